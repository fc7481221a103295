//! havipd and keepalived 2.4.3 (built from ../shared/vendor) as one virtual router with
//! `auth_hmac` in enforce mode: VRRPv2 and VRRPv3, IPv4 and IPv6, unicast and multicast, each
//! daemon in either role. Each case: the primary wins, two seconds without a second holder, the
//! primary stops and the secondary takes over, the primary returns and the secondary yields
//! (so each side accepted the other's signed adverts), and havipd counted no rejection.

mod common;
use common::{Lab, keepalived_24, stats_of, wait_until};
use std::time::Duration;

/// keepalived's test key: bytes 00..1f.
pub const KEY1: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[derive(Clone, Copy, PartialEq)]
enum Daemon {
    Havipd,
    Keepalived24,
}

#[derive(Clone, Copy)]
struct Case {
    version: u8,
    unicast: bool,
    addrs: [&'static str; 3],
    vip: &'static str,
}

const V2_MCAST: Case = Case {
    version: 2,
    unicast: false,
    addrs: ["10.31.0.5", "10.31.0.6", "10.31.0.100"],
    vip: "10.31.0.12",
};
const V2_UCAST: Case = Case {
    version: 2,
    unicast: true,
    ..V2_MCAST
};
const V3_MCAST: Case = Case {
    version: 3,
    ..V2_MCAST
};
const V3_UCAST: Case = Case {
    version: 3,
    unicast: true,
    ..V2_MCAST
};
const V6_MCAST: Case = Case {
    version: 3,
    unicast: false,
    addrs: ["fd00:31::5", "fd00:31::6", "fd00:31::100"],
    vip: "fd00:31::12",
};
const V6_UCAST: Case = Case {
    unicast: true,
    ..V6_MCAST
};

fn prefix_len(addr: &str) -> u8 {
    if addr.contains(':') { 64 } else { 24 }
}

/// One server's config: `me` is its index in the case's addresses (0 primary, 1 secondary).
fn config(case: Case, me: usize, auth: &str) -> String {
    let priority = if me == 0 { 150 } else { 100 };
    let interval = if case.version == 2 { "1" } else { "0.5" };
    let unicast = if case.unicast {
        format!(
            "    unicast_src_ip {}\n    unicast_peer {{\n        {}\n    }}\n",
            case.addrs[me],
            case.addrs[1 - me]
        )
    } else {
        String::new()
    };
    format!(
        "global_defs {{\n    vrrp_version {v}\n    vrrp_garp_master_delay 1\n}}\n\
         vrrp_instance VI_H {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 61\n    \
         priority {priority}\n    advert_int {interval}\n{unicast}    auth_hmac {{\n{auth}\n    }}\n    \
         virtual_ipaddress {{\n        {vip}/{len}\n    }}\n}}\n",
        v = case.version,
        vip = case.vip,
        len = prefix_len(case.vip),
    )
}

fn enforce() -> String {
    format!("        key 1 {KEY1}\n        active_key 1\n        mode enforce")
}

fn start(lab: &mut Lab, host: &str, daemon: Daemon, config: &str) -> Option<std::path::PathBuf> {
    match daemon {
        Daemon::Havipd => Some(lab.havipd(host, host, config)),
        Daemon::Keepalived24 => {
            lab.keepalived(host, host, &keepalived_24(), config);
            None
        }
    }
}

fn logs(lab: &Lab) -> String {
    format!("--- a ---\n{}\n--- b ---\n{}", lab.log("a"), lab.log("b"))
}

fn pair(tag: &str, case: Case, primary: Daemon, secondary: Daemon) {
    let ka = keepalived_24();
    let Some(mut lab) = Lab::new(tag, &[ka.as_str()]) else {
        return;
    };
    let vip = case.vip;
    for (host, addr) in ["a", "b", "c"].iter().zip(case.addrs) {
        lab.host(host, &[&format!("{addr}/{}", prefix_len(addr))]);
    }
    let (conf_a, conf_b) = (config(case, 0, &enforce()), config(case, 1, &enforce()));
    start(&mut lab, "a", primary, &conf_a);
    std::thread::sleep(Duration::from_millis(300));
    let mut havipd_state = start(&mut lab, "b", secondary, &conf_b).map(|s| ("b", s));
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", vip)).is_some(),
        "the primary never took the VIP\n{}",
        logs(&lab)
    );
    let dual = wait_until(Duration::from_secs(2), || lab.holds("b", vip));
    assert!(
        dual.is_none(),
        "the secondary took the VIP too: it refused the primary's adverts\n{}",
        logs(&lab)
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", vip)).is_some(),
        "client cannot reach the VIP"
    );

    lab.signal("a", "TERM");
    assert!(
        wait_until(Duration::from_secs(4), || lab.holds("b", vip)).is_some(),
        "the secondary never took over\n{}",
        logs(&lab)
    );
    if let Some(s) = start(&mut lab, "a", primary, &conf_a) {
        havipd_state = Some(("a", s));
    }
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", vip)
            && !lab.holds("b", vip))
        .is_some(),
        "the returning primary did not take the VIP back alone\n{}",
        logs(&lab)
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", vip)).is_some(),
        "client cannot reach the VIP"
    );
    if let Some((name, state)) = havipd_state {
        let stats = stats_of(&lab, name, &state, "VI_H");
        for counter in [
            "auth_ext_missing",
            "auth_ext_malformed",
            "auth_ext_unknown_key",
            "auth_ext_invalid_hmac",
            "auth_ext_stale",
            "auth_ext_replay",
        ] {
            assert_eq!(stats[counter], 0, "{counter} in {stats}\n{}", logs(&lab));
        }
        assert!(
            stats["advert_rcvd"].as_u64().is_some_and(|n| n > 0),
            "{stats}"
        );
    }
}

macro_rules! matrix {
    ($($name:ident: $tag:literal, $case:expr, $p:ident, $s:ident;)*) => {
        $(
            #[test]
            fn $name() {
                pair($tag, $case, Daemon::$p, Daemon::$s);
            }
        )*
    };
}

matrix! {
    v2_multicast_havipd_primary: "a1", V2_MCAST, Havipd, Keepalived24;
    v2_multicast_keepalived_primary: "a2", V2_MCAST, Keepalived24, Havipd;
    v2_unicast_havipd_primary: "a3", V2_UCAST, Havipd, Keepalived24;
    v2_unicast_keepalived_primary: "a4", V2_UCAST, Keepalived24, Havipd;
    v3_ipv4_multicast_havipd_primary: "a5", V3_MCAST, Havipd, Keepalived24;
    v3_ipv4_multicast_keepalived_primary: "a6", V3_MCAST, Keepalived24, Havipd;
    v3_ipv4_unicast_havipd_primary: "a7", V3_UCAST, Havipd, Keepalived24;
    v3_ipv4_unicast_keepalived_primary: "a8", V3_UCAST, Keepalived24, Havipd;
    v3_ipv6_multicast_havipd_primary: "a9", V6_MCAST, Havipd, Keepalived24;
    v3_ipv6_multicast_keepalived_primary: "b1", V6_MCAST, Keepalived24, Havipd;
    v3_ipv6_unicast_havipd_primary: "b2", V6_UCAST, Havipd, Keepalived24;
    v3_ipv6_unicast_keepalived_primary: "b3", V6_UCAST, Keepalived24, Havipd;
}

fn keys(ids: &[u8], active: u8) -> String {
    let mut out = String::new();
    for id in ids {
        // Key 1 is keepalived's test key; key 2 is 64 ASCII bytes.
        let value = if *id == 1 {
            KEY1.to_string()
        } else {
            format!("{id}").repeat(64)
        };
        out.push_str(&format!("        key {id} {value}\n"));
    }
    out.push_str(&format!(
        "        active_key {active}\n        mode enforce"
    ));
    out
}

/// Watches the holder for `d`: true if `a` held the VIP alone all along.
fn a_held_alone(lab: &Lab, vip: &str, d: Duration) -> bool {
    wait_until(d, || !lab.holds("a", vip) || lab.holds("b", vip)).is_none()
}

/// havipd as primary (`a`) and keepalived 2.4.3 as secondary (`b`), VRRPv3 multicast, with
/// these auth_hmac blocks; the lab and havipd's state directory.
fn havipd_with_keepalived(
    tag: &str,
    auth_a: &str,
    auth_b: &str,
) -> Option<(Lab, std::path::PathBuf)> {
    let ka = keepalived_24();
    let mut lab = Lab::new(tag, &[ka.as_str()])?;
    for (host, addr) in ["a", "b"].iter().zip(V3_MCAST.addrs) {
        lab.host(host, &[&format!("{addr}/24")]);
    }
    let state = lab.havipd("a", "a", &config(V3_MCAST, 0, auth_a));
    lab.keepalived("b", "b", &ka, &config(V3_MCAST, 1, auth_b));
    Some((lab, state))
}

#[test]
fn key_rotation_without_a_flap() {
    let (case, vip) = (V3_MCAST, V3_MCAST.vip);
    let Some((lab, state)) = havipd_with_keepalived("rot", &keys(&[1], 1), &keys(&[1], 1)) else {
        return;
    };
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", vip)).is_some(),
        "{}",
        logs(&lab)
    );
    assert!(
        a_held_alone(&lab, vip, Duration::from_secs(2)),
        "{}",
        logs(&lab)
    );
    // Add key 2 everywhere, move each sender to it, then retire key 1; one node at a time.
    let steps: [(&str, &[u8], u8); 6] = [
        ("b", &[1, 2], 1),
        ("a", &[1, 2], 1),
        ("a", &[1, 2], 2),
        ("b", &[1, 2], 2),
        ("b", &[2], 2),
        ("a", &[2], 2),
    ];
    for (host, ids, active) in steps {
        lab.write(
            &format!("{host}.conf"),
            &config(case, usize::from(host == "b"), &keys(ids, active)),
        );
        lab.reload(host);
        assert!(
            a_held_alone(&lab, vip, Duration::from_secs(3)),
            "the VIP moved after reloading {host} with keys {ids:?} active {active}\n{}",
            logs(&lab)
        );
    }
    let stats = stats_of(&lab, "a", &state, "VI_H");
    assert_eq!(stats["auth_ext_unknown_key"], 0, "{stats}");
    assert_eq!(stats["auth_ext_invalid_hmac"], 0, "{stats}");
    let moves = common::transitions_of(&state, "VI_H");
    assert_eq!(moves.len(), 2, "INIT -> BACKUP -> MASTER only: {moves:?}");
}

#[test]
fn a_wrong_key_is_refused_on_both_sides() {
    let vip = V3_MCAST.vip;
    let Some((lab, state)) = havipd_with_keepalived("wky", &keys(&[1], 1), &keys(&[2], 2)) else {
        return;
    };
    // keepalived refuses havipd's adverts and takes the VIP as well.
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", vip)
            && lab.holds("b", vip))
        .is_some(),
        "keepalived accepted adverts signed with another key\n{}",
        logs(&lab)
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab
            .log("b")
            .contains("authentication"))
        .is_some(),
        "{}",
        logs(&lab)
    );
    let stats = stats_of(&lab, "a", &state, "VI_H");
    assert!(
        stats["auth_ext_unknown_key"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{stats}"
    );
}
