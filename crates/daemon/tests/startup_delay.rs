//! `vrrp_startup_delay` side by side with keepalived: a backup (VRRPv3 every 0.2 s, priority
//! 150) started with `vrrp_startup_delay 2` enters BACKUP at once, ignores adverts and does
//! not take over during the delay, then waits its Master_Down_Interval (0.68 s):
//! - alone, beside Debian's keepalived 2.2.7 in the same role;
//! - beside a running lower-priority master (havipd), which without the delay it would
//!   preempt within 0.68 s, beside keepalived 2.4.3 in the same role. keepalived 2.2.7 there
//!   takes over only after about 12 s (measured: 12.1 and 12.4 s; its read thread is not
//!   re-armed for the expired timer while adverts keep arriving), which havipd does not copy.

mod common;
use common::{Lab, keepalived_24, wait_until};
use std::time::{Duration, Instant};

const VIP: &str = "10.8.1.12";

fn config(priority: u8, delay: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n{delay}\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 62\n    \
         priority {priority}\n    advert_int 0.2\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// Seconds from starting `daemon` (havipd, or a keepalived binary) with the delay on `b`
/// until it holds the VIP; with a running lower-priority master on `a` if `master`.
fn takeover(daemon: &str, master: bool) -> Option<f64> {
    let mut lab = Lab::new("sdl", &["keepalived"])?;
    lab.host("a", &["10.8.1.5/24"]);
    lab.host("b", &["10.8.1.6/24"]);
    if master {
        lab.havipd("a", "a", &config(100, ""));
        assert!(
            wait_until(Duration::from_secs(5), || lab.holds("a", VIP)).is_some(),
            "the master never took the VIP:\n{}",
            lab.log("a")
        );
    }
    let delayed = config(150, "    vrrp_startup_delay 2");
    let started = Instant::now();
    if daemon == "havipd" {
        lab.havipd("b", "b", &delayed);
    } else {
        lab.keepalived("b", "b", daemon, &delayed);
    }
    let early = wait_until(Duration::from_millis(1950), || lab.holds("b", VIP));
    assert!(
        early.is_none(),
        "{daemon} took over during its start-up delay:\n{}",
        lab.log("b")
    );
    let Some(at) = wait_until(Duration::from_secs(3), || lab.holds("b", VIP)) else {
        panic!("{daemon} never took over:\n{}", lab.log("b"));
    };
    Some((at - started).as_secs_f64())
}

/// Both took over after the delay plus the interval, within 0.3 s of each other.
fn alike(havipd: f64, keepalived: f64, which: &str) {
    eprintln!("takeover after start: havipd {havipd:.3} s, {which} {keepalived:.3} s");
    for (who, t) in [("havipd", havipd), (which, keepalived)] {
        assert!((2.6..3.3).contains(&t), "{who} took over after {t:.3} s");
    }
    assert!(
        (havipd - keepalived).abs() < 0.3,
        "havipd {havipd:.3} s, {which} {keepalived:.3} s"
    );
}

#[test]
fn a_delayed_backup_alone_takes_over_after_the_delay_as_keepalived_2_2_does() {
    let Some(havipd) = takeover("havipd", false) else {
        return;
    };
    let Some(keepalived) = takeover("keepalived", false) else {
        return;
    };
    alike(havipd, keepalived, "keepalived 2.2.7");
}

#[test]
fn a_delayed_backup_ignores_a_lower_master_during_the_delay_as_keepalived_2_4_does() {
    let Some(havipd) = takeover("havipd", true) else {
        return;
    };
    let Some(keepalived) = takeover(&keepalived_24(), true) else {
        return;
    };
    alike(havipd, keepalived, "keepalived 2.4.3");
}
