//! Planned switchover drills, each beside keepalived's way (stop the primary) in the same run:
//! `maintenance` with a havipd successor and with a keepalived successor, and `graceful-handover`
//! (havipd's opt-in `--handover-on-stop`). Target: client outage <= 20 ms and no lost TCP
//! request, where keepalived's stop costs about its Skew_Time (0.8 s with the seeds).

use lab::daemon::Kind;
use lab::drill::{self, DrillResult};

/// One ICMP probe every 10 ms: an outage of 20 ms is two probes missed in a row.
const TARGET_MS: f64 = 20.0;

fn run(name: &str, kinds: [Kind; 2]) -> Option<DrillResult> {
    if hostcheck::skip_reason(&format!("drill {name}"), &["nft", "keepalived"]).is_some() {
        return None;
    }
    let sc = drill::scenario(name).expect("built-in scenario");
    let r = drill::run(&sc, kinds, &|m| eprintln!("{m}"), &|_, _| {}).expect("drill runs");
    eprintln!(
        "{name} {}: worst outage {:.1} ms, lost {}/{}, split {:.1} ms, new master {:?} s, holder {:?}",
        r.daemon,
        r.worst_outage_ms(),
        r.lost_requests(),
        r.requests.len(),
        r.dual_master_ms(),
        r.time_to_new_master,
        r.final_holder
    );
    Some(r)
}

fn assert_seamless(r: &DrillResult) {
    assert!(r.worst_outage_ms() <= TARGET_MS, "{r:?}");
    assert_eq!(r.lost_requests(), 0, "{r:?}");
    assert_eq!(r.final_holder.as_deref(), Some("b"), "{r:?}");
    // The overlap is the handover's linger (50 ms) plus sampling, never a lasting dual master.
    assert!(r.dual_master_ms() < 500.0, "{r:?}");
}

#[test]
fn maintenance_hands_over_without_an_outage_where_keepalived_stops() {
    let Some(ours) = run("maintenance", [Kind::Havipd; 2]) else {
        return;
    };
    assert_seamless(&ours);
    let Some(theirs) = run("maintenance", [Kind::Keepalived; 2]) else {
        return;
    };
    assert_eq!(theirs.final_holder.as_deref(), Some("b"), "{theirs:?}");
    assert!(
        theirs.worst_outage_ms() > 10.0 * TARGET_MS,
        "keepalived's stop was expected to cost about its skew time: {theirs:?}"
    );
}

#[test]
fn maintenance_hands_over_to_a_keepalived_successor() {
    let Some(r) = run("maintenance", [Kind::Havipd, Kind::Keepalived]) else {
        return;
    };
    assert_seamless(&r);
}

#[test]
fn handover_on_stop_is_seamless_and_the_daemon_exits() {
    let Some(r) = run("graceful-handover", [Kind::Havipd; 2]) else {
        return;
    };
    assert_seamless(&r);
    let a_stopped = r
        .transitions
        .iter()
        .any(|t| t["server"] == "a" && t["to"] == "STOP");
    assert!(
        a_stopped,
        "the primary's daemon did not stop: {:?}",
        r.transitions
    );
}
