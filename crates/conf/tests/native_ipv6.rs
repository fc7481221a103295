//! `native_ipv6`, as keepalived 2.2.7 reads it (checked with `keepalived -t` and a run): written
//! before the addresses it makes the instance IPv6 and VRRPv3, its IPv4 addresses skipped;
//! written after an IPv4 address it is ignored, with an error.

use conf::{Options, Severity, check_text};

fn config(before: &str, after: &str) -> conf::Report {
    let text = format!(
        "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 61\n{before}\n  \
         virtual_ipaddress {{\n    10.8.0.12/24\n    fd00:8::12/64\n  }}\n{after}\n}}\n"
    );
    check_text(&text, &Options::default())
}

fn errors(r: &conf::Report) -> Vec<&str> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect()
}

#[test]
fn before_the_addresses_it_makes_an_ipv6_vrrpv3_instance() {
    let r = config("  native_ipv6", "");
    assert_eq!(errors(&r), ["mixed-family"], "the IPv4 address is skipped");
    let e = r.effective().remove(0).expect("runs");
    assert_eq!(e.router.version, vrrp::Version::V3);
    assert_eq!(
        e.router.virtual_addresses,
        ["fd00:8::12".parse::<std::net::IpAddr>().expect("address")]
    );
}

#[test]
fn after_an_ipv4_address_it_is_ignored_with_an_error() {
    let r = config("", "  native_ipv6");
    assert_eq!(errors(&r), ["mixed-family", "native-ipv6-ignored"]);
    let e = r.effective().remove(0).expect("runs");
    assert_eq!(e.router.version, vrrp::Version::V2);
}
