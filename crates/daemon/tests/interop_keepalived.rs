//! havipd and Debian's keepalived 2.2.7 as one virtual router, each daemon in either role:
//! - VRRPv2 with PASS auth over unicast: the English seed pair (keepalived gets the configs with
//!   the pasted no-break spaces made plain: it cannot read them; havipd can);
//! - VRRPv3 over IPv4 multicast;
//! - VRRPv3 over IPv6 multicast (link-local sources, ff02::12).
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
    }
}

fn v3_config(priority: u8, vip: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_garp_master_delay 1\n}}\n\
         vrrp_instance VI_3 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 53\n    \
         priority {priority}\n    advert_int 0.5\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    )
}

fn v3_ipv4() -> Case {
    Case {
        addrs: ["10.9.0.5/24", "10.9.0.6/24", "10.9.0.100/24"],
        vip: "10.9.0.12",
        primary_conf: v3_config(150, "10.9.0.12/24"),
        secondary_conf: v3_config(100, "10.9.0.12/24"),
    }
}

fn v3_ipv6() -> Case {
    Case {
        addrs: ["fd00:9::5/64", "fd00:9::6/64", "fd00:9::100/64"],
        vip: "fd00:9::12",
        primary_conf: v3_config(150, "fd00:9::12/64"),
        secondary_conf: v3_config(100, "fd00:9::12/64"),
    }
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
    let Some(mut lab) = Lab::new(tag, &["keepalived"]) else {
        return;
    };
    let vip = case.vip;
    lab.host("a", &[case.addrs[0]]);
    lab.host("b", &[case.addrs[1]]);
    lab.host("c", &[case.addrs[2]]);
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
