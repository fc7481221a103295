//! A rolling migration of a running pair from Debian's keepalived 2.2.7 (no auth_hmac: it drops
//! adverts that carry a trailer as too long) to havipd with auth_hmac, through keepalived's
//! three sweeps: receive-only (verify a trailer when present, send none), permissive (sign,
//! still accept unsigned), enforce. The backup's daemon is swapped without any transition; the
//! master's swap is one planned handover and back, as any daemon restart is; every sweep of the
//! auth mode, one node at a time, moves nothing.

mod common;
use common::{Lab, stats_of, transitions_of, wait_until};
use std::time::Duration;

const VIP: &str = "10.32.0.12";
const KEY: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn config(priority: u8, mode: Option<&str>) -> String {
    let auth = mode.map_or(String::new(), |m| {
        format!("    auth_hmac {{\n        key 1 {KEY}\n        active_key 1\n        mode {m}\n    }}\n")
    });
    format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_garp_master_delay 1\n}}\n\
         vrrp_instance VI_M {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 62\n    \
         priority {priority}\n    advert_int 0.5\n{auth}    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

fn logs(lab: &Lab) -> String {
    format!("--- a ---\n{}\n--- b ---\n{}", lab.log("a"), lab.log("b"))
}

/// True if `a` held the VIP alone for all of `d`.
fn a_alone(lab: &Lab, d: Duration) -> bool {
    wait_until(d, || !lab.holds("a", VIP) || lab.holds("b", VIP)).is_none()
}

#[test]
fn keepalived_2_2_pair_to_havipd_enforce() {
    let Some(mut lab) = Lab::new("mig", &["keepalived"]) else {
        return;
    };
    lab.host("a", &["10.32.0.5/24"]);
    lab.host("b", &["10.32.0.6/24"]);
    lab.keepalived("a", "a", "keepalived", &config(150, None));
    std::thread::sleep(Duration::from_millis(300));
    lab.keepalived("b", "b", "keepalived", &config(100, None));
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", VIP)).is_some(),
        "{}",
        logs(&lab)
    );
    assert!(a_alone(&lab, Duration::from_secs(2)), "{}", logs(&lab));

    // The backup's daemon first: havipd in receive-only joins keepalived 2.2.7's group.
    lab.signal("b", "TERM");
    let state_b = lab.havipd("b", "b", &config(100, Some("receive-only")));
    assert!(
        a_alone(&lab, Duration::from_secs(3)),
        "swapping the backup moved the VIP\n{}",
        logs(&lab)
    );

    // The master's daemon: one planned handover to b and back.
    lab.signal("a", "TERM");
    assert!(
        wait_until(Duration::from_secs(3), || lab.holds("b", VIP)).is_some(),
        "{}",
        logs(&lab)
    );
    let state_a = lab.havipd("a", "a", &config(150, Some("receive-only")));
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", VIP)
            && !lab.holds("b", VIP))
        .is_some(),
        "{}",
        logs(&lab)
    );
    assert!(a_alone(&lab, Duration::from_secs(2)), "{}", logs(&lab));
    let before = (
        transitions_of(&state_a, "VI_M").len(),
        transitions_of(&state_b, "VI_M").len(),
    );

    // The sweeps, backup first, one node at a time.
    for mode in ["permissive", "enforce"] {
        for (host, priority) in [("b", 100), ("a", 150)] {
            lab.write(&format!("{host}.conf"), &config(priority, Some(mode)));
            lab.reload(host);
            assert!(
                a_alone(&lab, Duration::from_secs(3)),
                "the VIP moved after {host} went {mode}\n{}",
                logs(&lab)
            );
        }
    }
    let after = (
        transitions_of(&state_a, "VI_M").len(),
        transitions_of(&state_b, "VI_M").len(),
    );
    assert_eq!(
        before,
        after,
        "a transition during the sweeps\n{}",
        logs(&lab)
    );
    for (name, state) in [("a", &state_a), ("b", &state_b)] {
        let stats = stats_of(&lab, name, state, "VI_M");
        for counter in [
            "auth_ext_missing",
            "auth_ext_invalid_hmac",
            "auth_ext_replay",
            "auth_ext_stale",
        ] {
            assert_eq!(stats[counter], 0, "{name}: {counter} in {stats}");
        }
    }
    // Now enforced: an unsigned advert from a keepalived 2.2.7 node would be refused.
    let stats_b = stats_of(&lab, "b", &state_b, "VI_M");
    assert!(
        stats_b["advert_rcvd"].as_u64().is_some_and(|n| n > 0),
        "{stats_b}"
    );
}
