//! Accept mode beside Debian's keepalived 2.2.7 on the same config in the same namespace: a
//! VRRPv3 master under `vrrp_strict` (no accept mode by default) drops traffic to its VIPs
//! through the same nftables table as keepalived's (`nft list table ip keepalived` prints the
//! same text), so a client's ping goes unanswered; the table goes when the daemon stops. With
//! `accept` the VIPs answer and there is no table. IPv6 likewise (`ip6 keepalived`, neighbour
//! discovery let through, a link-local VIP matched with its interface).

mod common;
use common::{Lab, wait_until};
use std::time::Duration;

/// One family's addresses: the hosts', the VIPs, the table's family and its second VIP.
struct Family {
    server: &'static str,
    client: &'static str,
    vips: [&'static str; 2],
    table: &'static str,
}

const V4: Family = Family {
    server: "10.8.2.5/24",
    client: "10.8.2.100/24",
    vips: ["10.8.2.12/24", "10.8.2.13/24"],
    table: "ip",
};

const V6: Family = Family {
    server: "fd00:8:2::5/64",
    client: "fd00:8:2::100/64",
    vips: ["fd00:8:2::12/64", "fe80::8:12/64"],
    table: "ip6",
};

impl Family {
    fn vip(&self) -> &'static str {
        self.vips[0].split('/').next().unwrap_or_default()
    }
}

fn config(f: &Family, extra: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_strict\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 64\n    \
         priority 100\n    advert_int 1\n{extra}\n    virtual_ipaddress {{\n        {}\n        \
         {}\n    }}\n}}\n",
        f.vips[0], f.vips[1]
    )
}

/// What `daemon` does as master with `extra` in the instance: the drop table it made (empty
/// if none), whether the client's ping of the VIP was answered, and whether a table is left
/// after it stops.
fn master(f: &Family, daemon: &str, extra: &str) -> Option<(String, bool, bool)> {
    let mut lab = Lab::new("acm", &["keepalived", "nft"])?;
    lab.host("a", &[f.server]);
    lab.host("c", &[f.client]);
    if daemon == "havipd" {
        lab.havipd("a", "d", &config(f, extra));
    } else {
        lab.keepalived("a", "d", "keepalived", &config(f, extra));
    }
    let vip = f.vip();
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", vip)).is_some(),
        "{daemon} never became master:\n{}",
        lab.log("d")
    );
    let table = |lab: &Lab| {
        let out = lab.exec("a", &["nft", "list", "table", f.table, "keepalived"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // keepalived sets the rule just after the addresses.
    let second = f.vips[1].split('/').next().unwrap_or_default();
    let _ = wait_until(Duration::from_millis(500), || table(&lab).contains(second));
    let made = table(&lab);
    let answered = lab.ping("c", vip) || lab.ping("c", vip);
    lab.signal("d", "TERM");
    let left = !table(&lab).is_empty();
    Some((made, answered, left))
}

/// havipd drops as keepalived does: the same table, no answer, nothing left.
fn drops_as_keepalived_does(f: &Family, elements: &str) {
    let Some((havipd, answered, left)) = master(f, "havipd", "") else {
        return;
    };
    assert!(havipd.contains("daddr @vips drop"), "{havipd}");
    assert!(havipd.contains(elements), "{havipd}");
    assert!(!answered, "the VIP answered a ping without accept mode");
    assert!(!left, "havipd left its drop table");
    let Some((keepalived, k_answered, _)) = master(f, "keepalived", "") else {
        return;
    };
    assert!(!k_answered);
    assert_eq!(havipd, keepalived, "the drop tables differ");
}

#[test]
fn strict_mode_without_accept_drops_traffic_to_the_vips_as_keepalived_does() {
    drops_as_keepalived_does(&V4, "10.8.2.12, 10.8.2.13");
}

#[test]
fn strict_mode_without_accept_drops_ipv6_traffic_to_the_vips_as_keepalived_does() {
    drops_as_keepalived_does(&V6, "fe80::8:12 . \"eth0\"");
}

#[test]
fn accept_mode_answers_on_the_vips_without_a_table() {
    for f in [&V4, &V6] {
        let Some((table, answered, _)) = master(f, "havipd", "    accept") else {
            return;
        };
        assert!(table.is_empty(), "{table}");
        assert!(
            answered,
            "the VIP {} did not answer in accept mode",
            f.vip()
        );
    }
}
