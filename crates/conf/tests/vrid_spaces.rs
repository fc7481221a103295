//! Where a VRID must be unique, as keepalived 2.2.7's `keepalived -t` decides it (each case was
//! run through it on a veth): multicast instances on one interface conflict only within one
//! group (`mcast_dst_ip`, else `vrrp_mcast_group4/6`, else 224.0.0.18 / ff02::12); unicast and
//! multicast are apart; unicast instances conflict when they share their source and a peer.
//! A group keepalived skips (not multicast, the wrong family, IPv6 not link-local) is reported
//! on its line and the default group is used.

use conf::{Options, Severity, check_text};
use std::net::IpAddr;

fn errors(text: &str) -> Vec<String> {
    check_text(text, &Options::default())
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{} {}", d.location.line, d.location.col, d.code))
        .collect()
}

fn pair(global: &str, a: &str, b: &str) -> String {
    format!(
        "global_defs {{\n{global}\n}}\n\
         vrrp_instance A {{\n  interface ve0\n  virtual_router_id 51\n  {a}\n  \
         virtual_ipaddress {{\n    10.9.9.1/32\n  }}\n}}\n\
         vrrp_instance B {{\n  interface ve0\n  virtual_router_id 51\n  {b}\n  \
         virtual_ipaddress {{\n    10.9.9.2/32\n  }}\n}}\n"
    )
}

const NONE: [&str; 0] = [];

#[test]
fn multicast_instances_conflict_only_within_one_group() {
    assert_eq!(
        errors(&pair("", "mcast_dst_ip 224.0.0.100", "")),
        NONE,
        "different groups"
    );
    assert_eq!(
        errors(&pair("", "mcast_dst_ip 224.0.0.18", "")),
        ["14:3 duplicate-vrid"],
        "224.0.0.18 is the default group"
    );
    assert_eq!(
        errors(&pair(
            "vrrp_mcast_group4 224.0.0.100",
            "mcast_dst_ip 224.0.0.100",
            ""
        )),
        ["14:3 duplicate-vrid"],
        "the global group is B's"
    );
    assert_eq!(
        errors(&pair("", "mcast_dst_ip 10.0.0.100", "")),
        ["7:3 bad-mcast-group", "14:3 duplicate-vrid"],
        "a unicast address is skipped: both use 224.0.0.18"
    );
}

#[test]
fn unicast_is_a_space_apart_and_needs_a_shared_source_and_peer() {
    let peer = |p: &str| format!("unicast_peer {{\n    {p}\n  }}");
    assert_eq!(errors(&pair("", &peer("10.7.0.2"), "")), NONE);
    assert_eq!(
        errors(&pair("", &peer("10.7.0.2"), &peer("10.7.0.3"))),
        NONE
    );
    let dup = errors(&pair("", &peer("10.7.0.2"), &peer("10.7.0.2")));
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert!(dup[0].ends_with("duplicate-vrid"), "{dup:?}");
    let other_src = format!("unicast_src_ip 10.7.0.9\n  {}", peer("10.7.0.2"));
    assert_eq!(errors(&pair("", &other_src, &peer("10.7.0.2"))), NONE);
}

#[test]
fn the_group_resolved_is_the_instances_then_the_global_then_vrrps() {
    let cfg = |global: &str, a: &str| {
        let report = check_text(&pair(global, a, ""), &Options::default());
        let i = &report.config.instances[0];
        conf::mcast_group::group(&report.config, i)
    };
    let ip = |s: &str| s.parse::<IpAddr>().expect("address");
    assert_eq!(cfg("", ""), ip("224.0.0.18"));
    assert_eq!(cfg("", "mcast_dst_ip 224.0.0.100"), ip("224.0.0.100"));
    assert_eq!(cfg("vrrp_mcast_group4 224.0.0.7", ""), ip("224.0.0.7"));
    assert_eq!(
        cfg("vrrp_mcast_group4 224.0.0.7", "mcast_dst_ip 224.0.0.100"),
        ip("224.0.0.100")
    );
    assert_eq!(cfg("vrrp_mcast_group4 10.0.0.7", ""), ip("224.0.0.18"));
    assert_eq!(cfg("", "mcast_dst_ip ff02::99"), ip("224.0.0.18"));
}

#[test]
fn ipv6_groups_must_be_link_local_multicast() {
    let v6 = |a: &str| {
        format!(
            "vrrp_instance A {{\n  interface ve0\n  virtual_router_id 51\n  {a}\n  \
             virtual_ipaddress {{\n    fd00::1/64\n  }}\n}}\n"
        )
    };
    assert_eq!(errors(&v6("mcast_dst_ip ff02::99")), NONE);
    assert_eq!(
        errors(&v6("mcast_dst_ip ff05::99")),
        ["4:3 bad-mcast-group"]
    );
    assert_eq!(
        errors(&v6("mcast_dst_ip 224.0.0.99")),
        ["4:3 bad-mcast-group"]
    );
    let report = check_text(&v6("mcast_dst_ip ff02::99"), &Options::default());
    assert_eq!(
        conf::mcast_group::group(&report.config, &report.config.instances[0]),
        "ff02::99".parse::<IpAddr>().expect("address")
    );
}
