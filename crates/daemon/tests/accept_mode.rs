//! Accept mode beside Debian's keepalived 2.2.7 on the same config in the same namespace: a
//! VRRPv3 master under `vrrp_strict` (no accept mode by default) drops traffic to its VIPs
//! through the same nftables table as keepalived's (`nft list table ip keepalived` prints the
//! same text), so a client's ping goes unanswered; the table goes when the daemon stops. With
//! `accept` the VIPs answer and there is no table.

mod common;
use common::{Lab, wait_until};
use std::time::Duration;

const VIP: &str = "10.8.2.12";

fn config(extra: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_strict\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 64\n    \
         priority 100\n    advert_int 1\n{extra}\n    virtual_ipaddress {{\n        {VIP}/24\n        \
         10.8.2.13/24\n    }}\n}}\n"
    )
}

/// What `daemon` does as master with `extra` in the instance: the drop table it made (empty
/// if none), whether the client's ping of the VIP was answered, and whether a table is left
/// after it stops.
fn master(daemon: &str, extra: &str) -> Option<(String, bool, bool)> {
    let mut lab = Lab::new("acm", &["keepalived", "nft"])?;
    lab.host("a", &["10.8.2.5/24"]);
    lab.host("c", &["10.8.2.100/24"]);
    if daemon == "havipd" {
        lab.havipd("a", "d", &config(extra));
    } else {
        lab.keepalived("a", "d", "keepalived", &config(extra));
    }
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some(),
        "{daemon} never became master:\n{}",
        lab.log("d")
    );
    let table = |lab: &Lab| {
        let out = lab.exec("a", &["nft", "list", "table", "ip", "keepalived"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // keepalived sets the rule just after the addresses.
    let _ = wait_until(Duration::from_millis(500), || {
        table(&lab).contains("10.8.2.13")
    });
    let made = table(&lab);
    let answered = lab.ping("c", VIP) || lab.ping("c", VIP);
    lab.signal("d", "TERM");
    let left = !table(&lab).is_empty();
    Some((made, answered, left))
}

#[test]
fn strict_mode_without_accept_drops_traffic_to_the_vips_as_keepalived_does() {
    let Some((havipd, answered, left)) = master("havipd", "") else {
        return;
    };
    assert!(havipd.contains("ip daddr @vips drop"), "{havipd}");
    assert!(havipd.contains("10.8.2.12, 10.8.2.13"), "{havipd}");
    assert!(!answered, "the VIP answered a ping without accept mode");
    assert!(!left, "havipd left its drop table");
    let Some((keepalived, k_answered, _)) = master("keepalived", "") else {
        return;
    };
    assert!(!k_answered);
    assert_eq!(havipd, keepalived, "the drop tables differ");
}

#[test]
fn accept_mode_answers_on_the_vips_without_a_table() {
    let Some((table, answered, _)) = master("havipd", "    accept") else {
        return;
    };
    assert!(table.is_empty(), "{table}");
    assert!(answered, "the VIP did not answer in accept mode");
}
