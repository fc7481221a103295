//! havipd and Debian's keepalived 2.2.7 as one virtual router, each daemon in either role:
//! - VRRPv2 with PASS auth over unicast: the English seed pair (keepalived gets the configs with
//!   the pasted no-break spaces made plain: it cannot read them; havipd can);
//! - VRRPv3 over IPv4 multicast;
//! - VRRPv3 over IPv6 multicast (link-local sources, ff02::12);
//! - VRRPv3 on the groups of `mcast_dst_ip` (224.0.0.100, ff02::99): every advert on the wire,
//!   from either daemon, goes to that group;
//! - `native_ipv6` before a mixed address list (IPv4 first): both run VRRPv3 over IPv6 on
//!   ff02::12 with the IPv6 VIP, the IPv4 one skipped.
//!
//! Each case: the primary wins the election, no moment has two holders, the primary stops and
//! the secondary takes over, the client reaches the VIP throughout.

mod common;
use common::{Lab, wait_until};
use std::time::Duration;

/// One interop setup: addresses of the two servers and the client, the VIP, and the configs.
struct Case {
    addrs: [&'static str; 3],
    vip: &'static str,
    primary_conf: String,
    secondary_conf: String,
    /// The multicast group every advert must go to, checked on the wire when set.
    group: Option<&'static str>,
}

fn seed_ascii(name: &str) -> String {
    let path = format!(
        "{}/../conf/tests/data/seeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("seed")
        .replace('\u{a0}', " ")
}

fn v2_pass_unicast() -> Case {
    Case {
        addrs: ["172.16.16.5/24", "172.16.16.6/24", "172.16.16.100/24"],
        vip: "172.16.16.12",
        primary_conf: seed_ascii("en-primary.conf"),
        secondary_conf: seed_ascii("en-secondary.conf"),
        group: None,
    }
}

fn v3_config(priority: u8, vip: &str) -> String {
    v3_config_with(priority, vip, "")
}

fn v3_config_with(priority: u8, vip: &str, extra: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_garp_master_delay 1\n}}\n\
         vrrp_instance VI_3 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 53\n    \
         priority {priority}\n    advert_int 0.5\n    {extra}\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    )
}

fn v3_ipv4() -> Case {
    Case {
        addrs: ["10.9.0.5/24", "10.9.0.6/24", "10.9.0.100/24"],
        vip: "10.9.0.12",
        primary_conf: v3_config(150, "10.9.0.12/24"),
        secondary_conf: v3_config(100, "10.9.0.12/24"),
        group: None,
    }
}

fn v3_ipv6() -> Case {
    Case {
        addrs: ["fd00:9::5/64", "fd00:9::6/64", "fd00:9::100/64"],
        vip: "fd00:9::12",
        primary_conf: v3_config(150, "fd00:9::12/64"),
        secondary_conf: v3_config(100, "fd00:9::12/64"),
        group: None,
    }
}

fn v3_ipv4_group() -> Case {
    let group = "mcast_dst_ip 224.0.0.100";
    Case {
        primary_conf: v3_config_with(150, "10.9.0.12/24", group),
        secondary_conf: v3_config_with(100, "10.9.0.12/24", group),
        group: Some("224.0.0.100"),
        ..v3_ipv4()
    }
}

fn v3_ipv6_group() -> Case {
    let group = "mcast_dst_ip ff02::99";
    Case {
        primary_conf: v3_config_with(150, "fd00:9::12/64", group),
        secondary_conf: v3_config_with(100, "fd00:9::12/64", group),
        group: Some("ff02::99"),
        ..v3_ipv6()
    }
}

fn v3_native_ipv6() -> Case {
    let vips = "10.9.0.12/24\n        fd00:9::12/64";
    Case {
        primary_conf: v3_config_with(150, vips, "native_ipv6"),
        secondary_conf: v3_config_with(100, vips, "native_ipv6"),
        group: Some("ff02::12"),
        ..v3_ipv6()
    }
}

/// Asserts that the VRRP adverts tcpdump printed came from both servers, each to `group`.
fn assert_all_to(group: &str, dump: &str) {
    let adverts: Vec<&str> = dump.lines().filter(|l| l.contains("VRRP")).collect();
    let mut sources: Vec<&str> = adverts
        .iter()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    sources.sort();
    sources.dedup();
    assert!(
        sources.len() == 2,
        "expected adverts from both servers on the wire:\n{dump}"
    );
    let elsewhere: Vec<&&str> = adverts
        .iter()
        .filter(|l| !l.contains(&format!("> {group}:")))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "adverts not sent to {group}: {elsewhere:?}"
    );
}

/// Starts `daemon` ("havipd" or "keepalived") on `host` with `config`.
fn start(lab: &mut Lab, host: &str, daemon: &str, config: &str) {
    if daemon == "havipd" {
        lab.havipd(host, host, config);
    } else {
        lab.keepalived(host, host, "keepalived", config);
    }
}

/// The primary wins, the secondary stays backup, and no moment has two holders; then the
/// primary stops and the secondary takes over.
fn pair(tag: &str, primary: &str, secondary: &str, case: Case) {
    let Some(mut lab) = Lab::new(tag, &["keepalived", "tcpdump"]) else {
        return;
    };
    let vip = case.vip;
    lab.host("a", &[case.addrs[0]]);
    lab.host("b", &[case.addrs[1]]);
    lab.host("c", &[case.addrs[2]]);
    if case.group.is_some() {
        let filter = "ip proto 112 or ip6 proto 112";
        lab.spawn("c", "dump", &["tcpdump", "-l", "-n", "-i", "eth0", filter]);
        std::thread::sleep(Duration::from_millis(300));
    }
    start(&mut lab, "a", primary, &case.primary_conf);
    std::thread::sleep(Duration::from_millis(500));
    start(&mut lab, "b", secondary, &case.secondary_conf);
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", vip)).is_some(),
        "{primary} primary never took the VIP:\n{}",
        lab.log("a")
    );
    // Watch for two seconds: exactly one holder all along.
    let dual = wait_until(Duration::from_secs(2), || {
        lab.holds("a", vip) && lab.holds("b", vip)
    });
    assert!(
        dual.is_none(),
        "dual master: {primary} and {secondary} both hold the VIP\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    assert!(lab.holds("a", vip) && !lab.holds("b", vip));
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", vip)).is_some(),
        "the client cannot reach the VIP on the primary"
    );
    lab.signal("a", "TERM");
    assert!(
        wait_until(Duration::from_secs(3), || lab.holds("b", vip)).is_some(),
        "{secondary} secondary never took over:\n{}",
        lab.log("b")
    );
    assert!(!lab.holds("a", vip));
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", vip)).is_some(),
        "the client cannot reach the VIP on the secondary"
    );
    // With an IPv6 VIP, an IPv4 one in the list (native_ipv6's case) is never added.
    assert!(
        !vip.contains(':') || !(lab.holds("a", "10.9.0.12") || lab.holds("b", "10.9.0.12")),
        "an address of the other family was added"
    );
    if let Some(group) = case.group {
        std::thread::sleep(Duration::from_millis(600));
        lab.signal("dump", "INT");
        assert_all_to(group, &lab.log("dump"));
    }
}

#[test]
fn havipd_primary_keepalived_secondary_v2_pass() {
    pair("ihk", "havipd", "keepalived", v2_pass_unicast());
}

#[test]
fn keepalived_primary_havipd_secondary_v2_pass() {
    pair("ikh", "keepalived", "havipd", v2_pass_unicast());
}

#[test]
fn havipd_primary_keepalived_secondary_v3_ipv4() {
    pair("i4h", "havipd", "keepalived", v3_ipv4());
}

#[test]
fn keepalived_primary_havipd_secondary_v3_ipv4() {
    pair("i4k", "keepalived", "havipd", v3_ipv4());
}

#[test]
fn havipd_primary_keepalived_secondary_v3_ipv6() {
    pair("i6h", "havipd", "keepalived", v3_ipv6());
}

#[test]
fn keepalived_primary_havipd_secondary_v3_ipv6() {
    pair("i6k", "keepalived", "havipd", v3_ipv6());
}

#[test]
fn havipd_primary_keepalived_secondary_native_ipv6() {
    pair("inh", "havipd", "keepalived", v3_native_ipv6());
}

#[test]
fn keepalived_primary_havipd_secondary_native_ipv6() {
    pair("ink", "keepalived", "havipd", v3_native_ipv6());
}

#[test]
fn havipd_primary_keepalived_secondary_v3_ipv4_mcast_dst_ip() {
    pair("igh", "havipd", "keepalived", v3_ipv4_group());
}

#[test]
fn keepalived_primary_havipd_secondary_v3_ipv4_mcast_dst_ip() {
    pair("igk", "keepalived", "havipd", v3_ipv4_group());
}

#[test]
fn havipd_primary_keepalived_secondary_v3_ipv6_mcast_dst_ip() {
    pair("ig6", "havipd", "keepalived", v3_ipv6_group());
}

#[test]
fn keepalived_primary_havipd_secondary_v3_ipv6_mcast_dst_ip() {
    pair("ik6", "keepalived", "havipd", v3_ipv6_group());
}

/// Two virtual routers share VRID 53 on one LAN, one on 224.0.0.100 and one on 224.0.0.18
/// (keepalived accepts that: the groups are apart). Each advert reaches only its group's
/// instance: havipd wins the first (150 against 100) and keepalived the second (200 against
/// 150); the second on havipd's side stays backup and the first on keepalived's too.
#[test]
fn one_vrid_on_two_groups_is_two_virtual_routers() {
    let Some(mut lab) = Lab::new("i2g", &["keepalived"]) else {
        return;
    };
    lab.host("a", &["10.9.0.5/24"]);
    lab.host("b", &["10.9.0.6/24"]);
    let conf = |p1: u8, p2: u8| {
        let one = v3_config_with(p1, "10.9.0.12/24", "mcast_dst_ip 224.0.0.100");
        let two = v3_config_with(p2, "10.9.0.13/24", "")
            .replace("VI_3", "VI_4")
            .replace(
                "global_defs {\n    vrrp_version 3\n    vrrp_garp_master_delay 1\n}\n",
                "",
            );
        one + &two
    };
    lab.havipd("a", "a", &conf(150, 150));
    lab.keepalived("b", "b", "keepalived", &conf(100, 200));
    let settled = wait_until(Duration::from_secs(10), || {
        lab.holds("a", "10.9.0.12") && lab.holds("b", "10.9.0.13")
    });
    assert!(
        settled.is_some(),
        "each side should hold its group's VIP:\n--- havipd\n{}\n--- keepalived\n{}",
        lab.log("a"),
        lab.log("b")
    );
    let wrong = wait_until(Duration::from_secs(3), || {
        lab.holds("a", "10.9.0.13") || lab.holds("b", "10.9.0.12")
    });
    assert!(
        wrong.is_none(),
        "a VIP held by the side that lost its group's election"
    );
}
