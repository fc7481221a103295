//! Each built-in scenario with havipd on the seed pair, against the protocol's bounds. The
//! secondary has priority 50 in the seeds: Master_Down_Interval = 3 + 206/256 s = 3.8047 s,
//! Skew_Time = 0.8047 s. After each drill no namespace or process of the lab is left.

use lab::daemon::Kind;
use lab::drill;

const MDI_MS: f64 = 3804.7;
const SKEW_MS: f64 = 804.7;

fn run(name: &str) -> Option<drill::DrillResult> {
    if let Some(why) = lab::shell::cannot_run(&[]) {
        eprintln!("SKIPPED drill {name}: {why}");
        return None;
    }
    let sc = drill::scenario(name).expect("built-in scenario");
    let result = drill::run(&sc, Kind::Havipd, &|m| eprintln!("{m}")).expect("drill runs");
    // The lab is gone: no new namespace, and (with them) no link or process of its own.
    let prefix = format!("{}{}", lab::topology::PREFIX, result.lab_id);
    let left: Vec<_> = lab::topology::leftovers()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert!(
        left.is_empty(),
        "the drill left namespaces behind: {left:?}"
    );
    let ps = lab::shell::sh("ps -eo args").expect("ps");
    let strays: Vec<&str> = ps.lines().filter(|l| l.contains(&prefix)).collect();
    assert!(strays.is_empty(), "processes of the lab left: {strays:?}");
    assert!(
        !std::env::temp_dir().join(&prefix).exists(),
        "scratch dir left"
    );
    eprintln!("{name}: {:?}", result);
    Some(result)
}

#[test]
fn crash_outage_is_within_master_down_interval() {
    let Some(r) = run("crash") else { return };
    assert_eq!(r.outages.len(), 1, "{r:?}");
    let ms = r.worst_outage_ms();
    assert!(
        (MDI_MS - 1000.0..=MDI_MS + 100.0).contains(&ms),
        "crash outage {ms:.1} ms, want MDI - advert_int .. MDI + 100 ms"
    );
    assert_eq!(r.final_holder.as_deref(), Some("b"));
    assert!(r.dual_master_ms < 1.0, "{r:?}");
}

#[test]
fn graceful_stop_outage_is_within_skew_time() {
    let Some(r) = run("graceful") else { return };
    assert_eq!(r.outages.len(), 1, "{r:?}");
    let ms = r.worst_outage_ms();
    assert!(
        ms <= SKEW_MS + 100.0,
        "graceful outage {ms:.1} ms, want <= skew + 100 ms"
    );
    assert_eq!(r.final_holder.as_deref(), Some("b"));
}

#[test]
fn killed_daemon_leaves_its_vip_and_the_secondary_takes_over_anyway() {
    let Some(r) = run("kill") else { return };
    let t = r.time_to_new_master.expect("the secondary took the VIP");
    assert!(
        (MDI_MS - 1000.0..=MDI_MS + 100.0).contains(&(t * 1000.0)),
        "takeover {t:.3} s after the kill"
    );
    // SIGKILL cannot resign: the primary keeps a stale copy of the VIP (split brain the
    // seeds' VPC resolves by following the GARP). The lab reports it.
    assert!(r.dual_master_ms > 1000.0, "{r:?}");
}

#[test]
fn returning_primary_does_not_preempt_with_nopreempt() {
    let Some(r) = run("return-nopreempt") else {
        return;
    };
    assert_eq!(r.outages.len(), 1, "only the crash interrupts: {r:?}");
    assert_eq!(r.final_holder.as_deref(), Some("b"));
}
