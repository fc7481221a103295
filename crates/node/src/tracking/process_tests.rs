//! The tracker's verdicts for `track_process`, with explicit time.

use super::Tracker;
use super::processes::{Cause, Crossing};
use conf::model::Instance;
use vrrp::Timestamp;

fn tracker(text: &str) -> Tracker {
    let report = conf::check_text(text, &conf::Options::default());
    let insts: Vec<&Instance> = report.config.instances.iter().collect();
    let mut t = Tracker::new(&report.config, &insts);
    t.set_process_source(7);
    t
}

fn cross(name: &str, in_quorum: bool, cause: Cause) -> Crossing {
    Crossing {
        name: name.into(),
        in_quorum,
        grew: in_quorum,
        cause,
    }
}

const S: u64 = 1_000_000;

const PROCS: &str = "vrrp_track_process web { process web }\n\
    vrrp_track_process minus { process web\n weight -30 }\n\
    vrrp_track_process plus { process web\n weight 20 }\n\
    vrrp_track_process rev { process web\n weight 10 reverse }\n\
    vrrp_track_process slow { process web\n terminate_delay 2 }\n";

#[test]
fn weights_and_reverse_as_keepalived() {
    let mut t = tracker(&format!(
        "{PROCS}vrrp_instance A {{ interface eth0\n virtual_router_id 1\n priority 100\n\
         track_process {{ minus\n plus\n rev }} }}\n\
         vrrp_instance B {{ interface eth0\n virtual_router_id 2\n track_process {{ web }} }}\n\
         vrrp_instance C {{ interface eth0\n virtual_router_id 3\n track_process {{ web weight 0 reverse }} }}\n"
    ));
    assert_eq!(t.processes_used(), ["minus", "plus", "rev", "web"]);
    let now = Timestamp(0);
    for n in ["minus", "plus", "rev", "web"] {
        t.process_crossing(now, 7, &cross(n, true, Cause::Start));
    }
    // plus +20, rev: weight 10 reversed is -10 while the quorum holds.
    assert_eq!(t.verdict(0).priority, 110);
    assert!(!t.verdict(1).fault);
    assert!(
        t.verdict(2).fault,
        "unweighted, reversed: a quorum held faults"
    );
    for n in ["minus", "plus", "rev", "web"] {
        assert!(t.process_crossing(now, 7, &cross(n, false, Cause::Exit)));
    }
    assert_eq!(t.verdict(0).priority, 70, "minus -30");
    assert!(t.verdict(1).fault);
    assert!(!t.verdict(2).fault);
    let objects = t.objects(1);
    assert_eq!(
        (objects[0].kind.as_str(), objects[0].ok),
        ("process", false)
    );
}

#[test]
fn reports_of_an_older_watcher_are_ignored() {
    let mut t = tracker(&format!(
        "{PROCS}vrrp_instance A {{ interface eth0\n virtual_router_id 1\n track_process {{ web }} }}\n"
    ));
    assert!(!t.process_crossing(Timestamp(0), 6, &cross("web", false, Cause::Exit)));
    assert!(!t.verdict(0).fault);
}

#[test]
fn terminate_delay_is_a_deadline_of_the_tracker() {
    let mut t = tracker(&format!(
        "{PROCS}vrrp_instance A {{ interface eth0\n virtual_router_id 1\n track_process {{ slow }} }}\n"
    ));
    t.process_crossing(Timestamp(0), 7, &cross("slow", true, Cause::Start));
    assert!(!t.process_crossing(Timestamp(S), 7, &cross("slow", false, Cause::Exit)));
    assert_eq!(t.next_deadline(), Some(Timestamp(3 * S)));
    assert!(!t.expire(Timestamp(3 * S - 1)));
    assert!(!t.verdict(0).fault);
    assert!(t.expire(Timestamp(3 * S)));
    assert!(t.verdict(0).fault);
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn a_sync_group_s_process_faults_every_member() {
    let mut t = tracker(&format!(
        "{PROCS}vrrp_sync_group G {{ group {{ A\n B }}\n track_process {{ plus }} }}\n\
         vrrp_instance A {{ interface eth0\n virtual_router_id 1\n }}\n\
         vrrp_instance B {{ interface eth1\n virtual_router_id 2\n }}\n"
    ));
    t.process_crossing(Timestamp(0), 7, &cross("plus", true, Cause::Start));
    assert!(!t.verdict(0).fault && !t.verdict(1).fault);
    assert_eq!(t.verdict(0).priority, 100, "members' weights are zeroed");
    t.process_crossing(Timestamp(1), 7, &cross("plus", false, Cause::Exit));
    assert!(t.verdict(0).fault && t.verdict(1).fault);
}

#[test]
fn a_process_listed_twice_counts_once() {
    let mut t = tracker(&format!(
        "{PROCS}vrrp_instance A {{ interface eth0\n virtual_router_id 1\n track_process {{ plus\n plus }} }}\n"
    ));
    t.process_crossing(Timestamp(0), 7, &cross("plus", true, Cause::Start));
    assert_eq!(t.verdict(0).priority, 120);
}

#[test]
fn a_weight_given_in_the_instance_keeps_the_definition_s_reverse() {
    // keepalived 2.2.7 dumps `TP, weight 10 reverse` for this (scripts alike).
    let mut t = tracker(&format!(
        "{PROCS}vrrp_script s {{ script /bin/true\n weight -20 reverse }}\n\
         vrrp_instance A {{ interface eth0\n virtual_router_id 1\n priority 100\n\
         track_process {{ rev weight 30 }}\n track_script {{ s weight 5 }} }}\n\
         vrrp_instance B {{ interface eth0\n virtual_router_id 2\n priority 100\n\
         track_process {{ rev weight 30 noreverse }} }}\n"
    ));
    t.process_crossing(Timestamp(0), 7, &cross("rev", true, Cause::Start));
    // rev: 30 reversed while the quorum holds: -30; s passing, 5 reversed: nothing.
    assert_eq!(t.verdict(0).priority, 70);
    assert_eq!(t.verdict(1).priority, 130);
}
