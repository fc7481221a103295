//! `havip lab bench` on a small scale: havipd and keepalived each reach the steady state (every
//! VIP on the master side, the backup side started once the master holds them, none on it at
//! the end of the window) and are measured, also with SNMP, D-Bus and BFD enabled (checked live
//! before and after the window by the bench itself).

use lab::bench::{BenchSpec, run};
use lab::bench_features::Features;
use lab::daemon::Kind;

#[test]
fn both_daemons_are_measured_in_a_steady_state() {
    if let Some(why) = hostcheck::skip_reason("lab bench", &["keepalived"]) {
        eprintln!("{why}");
        return;
    }
    let spec = BenchSpec {
        instances: 5,
        advert_int: 0.1,
        auth_hmac: false,
        window: 2.0,
        features: Features::default(),
        rt_priority: None,
    };
    measured(&spec);
}

fn measured(spec: &BenchSpec) {
    for kind in [Kind::Havipd, Kind::Keepalived] {
        let r = run(spec, kind, &|_| {}).unwrap_or_else(|e| panic!("{kind}: {e:#}"));
        assert!(r.master_cpu_pct > 0.0, "{kind}: {r:?}");
        assert!(
            r.master_pss_kib > 0 && r.backup_pss_kib > 0,
            "{kind}: {r:?}"
        );
    }
}

/// `--with snmp,dbus,bfd`: both daemons are measured with the master agent walking every
/// instance in its state on each side (KEEPALIVED-MIB and VRRPV3-MIB), an object per instance
/// on each side's bus, and the BFD session Up on both sides without a change through the
/// window; `run` fails otherwise.
#[test]
fn both_daemons_are_measured_with_snmp_dbus_and_bfd_live() {
    if let Some(why) = hostcheck::skip_reason(
        "lab bench --with snmp,dbus,bfd",
        &["keepalived", "snmpd", "snmpwalk", "dbus-daemon", "busctl"],
    ) {
        eprintln!("{why}");
        return;
    }
    let spec = BenchSpec {
        instances: 5,
        advert_int: 0.1,
        auth_hmac: false,
        window: 2.0,
        features: "snmp,dbus,bfd".parse().expect("features"),
        rt_priority: None,
    };
    measured(&spec);
}

/// `--find-capacity`'s measure: the listener on the other server hears every instance's
/// adverts of a daemon pinned to one core, for both daemons.
#[test]
fn the_capacity_listener_times_every_instance_s_adverts() {
    if let Some(why) =
        hostcheck::skip_reason("lab bench --find-capacity", &["keepalived", "taskset"])
    {
        eprintln!("{why}");
        return;
    }
    for kind in [Kind::Havipd, Kind::Keepalived] {
        let s =
            lab::capacity::measure(kind, 5, 0.1, 2.0).unwrap_or_else(|e| panic!("{kind}: {e:#}"));
        // 5 instances x 10 adverts a second x 2 s, less each instance's first.
        assert!((80..=105).contains(&s.adverts), "{kind}: {s:?}");
        assert!(s.late <= s.adverts && s.p99_ms >= 0.0, "{kind}: {s:?}");
    }
}
