//! BFD (RFC 5880/5881, single hop) between havipd and Debian's keepalived 2.2.7 (its separate
//! BFD process), over IPv4 and IPv6, with either side passive: each side's session reaches Up
//! (keepalived logs it; havipd's `track_bfd` instance leaves FAULT), cutting the link takes both
//! down (keepalived's tracking instance and havipd's fault), and both come back when it heals.

mod common;
use common::{Lab, state_of, wait_until};
use std::time::Duration;

/// The BFD and VRRP part of a config: a session to `neighbor` and an instance tracking it.
fn config(neighbor: &str, passive: bool, vrid: u8, vip: &str) -> String {
    let passive = if passive { "    passive\n" } else { "" };
    format!(
        "bfd_instance peer {{\n    neighbor_ip {neighbor}\n    min_rx 50\n    min_tx 50\n    \
         multiplier 3\n{passive}}}\n\
         vrrp_instance VB {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n    \
         track_bfd {{\n        peer\n    }}\n}}\n"
    )
}

/// havipd on `a`, keepalived on `k`; `v6`: the session runs over IPv6.
fn interop(tag: &str, v6: bool, havipd_passive: bool) {
    let Some(mut lab) = Lab::new(tag, &["keepalived"]) else {
        return;
    };
    lab.host("a", &["10.9.0.1/24", "fd09::1/64"]);
    lab.host("k", &["10.9.0.2/24", "fd09::2/64"]);
    let (to_k, to_a) = if v6 {
        ("fd09::2", "fd09::1")
    } else {
        ("10.9.0.2", "10.9.0.1")
    };
    let state = lab.havipd(
        "a",
        "havipd",
        &config(to_k, havipd_passive, 61, "10.9.0.100"),
    );
    lab.keepalived(
        "k",
        "keepalived",
        "keepalived",
        &config(to_a, !havipd_passive, 62, "10.9.0.200"),
    );
    let up = |lab: &Lab| {
        lab.log("keepalived").contains("(peer) Entering Up state")
            && lab.holds("a", "10.9.0.100")
            && lab.holds("k", "10.9.0.200")
    };
    assert!(
        wait_until(Duration::from_secs(15), || up(&lab)).is_some(),
        "both sessions Up and both instances MASTER: havipd log:\n{}\nkeepalived log:\n{}",
        lab.log("havipd"),
        lab.log("keepalived")
    );
    assert!(
        lab.log("havipd").contains("BFD session Init -> Up")
            || lab.log("havipd").contains("BFD session Down -> Up")
    );

    // Cut k's cable: each side's detection time (3 x 50 ms) passes without packets.
    lab.cable("k", false);
    let both_down = wait_until(Duration::from_secs(3), || {
        state_of(&state, "VB") == "FAULT"
            && lab.log("keepalived").contains("(VB) Entering FAULT STATE")
    });
    assert!(
        both_down.is_some(),
        "both instances in FAULT after the cut: havipd {:?}; keepalived log:\n{}",
        state_of(&state, "VB"),
        lab.log("keepalived")
    );
    assert!(!lab.holds("a", "10.9.0.100"));
    assert!(lab.log("keepalived").contains("Entering Down state"));
    assert!(lab.log("havipd").contains("Up -> Down"));

    // Heal: both sessions and both instances come back.
    lab.cable("k", true);
    assert!(
        wait_until(Duration::from_secs(15), || lab.holds("a", "10.9.0.100")
            && lab.holds("k", "10.9.0.200"))
        .is_some(),
        "back after the heal: havipd log:\n{}",
        lab.log("havipd")
    );
}

#[test]
fn ipv4_session_with_keepalived_passive() {
    interop("bfd4", false, false);
}

#[test]
fn ipv6_session_with_havipd_passive() {
    interop("bfd6", true, true);
}
