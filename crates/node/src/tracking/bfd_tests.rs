//! The tracker's verdicts for `track_bfd`, as keepalived's `initialise_track_bfd_state` and its
//! BFD event handling weigh a session: down at start, unweighted down faults, a positive weight
//! counts while Up, a negative one while not, `reverse` swaps both.

use super::Tracker;
use conf::model::Instance;

fn tracker(text: &str) -> Tracker {
    let report = conf::check_text(text, &conf::Options::default());
    let insts: Vec<&Instance> = report.config.instances.iter().collect();
    Tracker::new(&report.config, &insts)
}

const SESSIONS: &str = "bfd_instance plain { neighbor_ip 10.0.0.2 }\n\
    bfd_instance minus { neighbor_ip 10.0.0.3\n weight -30 }\n\
    bfd_instance plus { neighbor_ip 10.0.0.4\n weight 20 }\n\
    bfd_instance rev { neighbor_ip 10.0.0.5\n weight 10 reverse }\n";

fn with(instance_tracks: &str) -> Tracker {
    tracker(&format!(
        "{SESSIONS}vrrp_instance A {{ interface eth0\n virtual_router_id 1\n priority 100\n \
         track_bfd {{ {instance_tracks} }} }}\n"
    ))
}

#[test]
fn an_unweighted_session_faults_until_it_is_up_and_when_it_leaves_up() {
    let mut t = with("plain");
    assert!(t.verdict(0).fault, "keepalived starts a session down");
    assert!(t.set_bfd("plain", true));
    assert!(!t.set_bfd("plain", true), "no change");
    assert!(!t.verdict(0).fault);
    assert!(t.set_bfd("plain", false));
    assert!(t.verdict(0).fault);
    assert!(
        !t.set_bfd("nosuch", true),
        "an unknown session changes nothing"
    );
}

#[test]
fn weights_count_as_keepalived_counts_them() {
    let mut t = with("minus\n plus\n rev");
    // All down: minus -30, plus nothing, rev (positive, reversed) nothing.
    assert_eq!(t.verdict(0).priority, 70);
    t.set_bfd("minus", true);
    t.set_bfd("plus", true);
    t.set_bfd("rev", true);
    // minus nothing, plus +20, rev -10.
    assert_eq!(t.verdict(0).priority, 110);
    assert!(!t.verdict(0).fault);
    let objects = t.objects(0);
    assert_eq!(objects[2].kind, "bfd");
    assert_eq!((objects[2].ok, objects[2].effect), (true, -10));
}

#[test]
fn the_reference_weight_overrides_the_sessions() {
    let mut t = with("minus weight 0\n plain weight -5 reverse");
    // minus unweighted here: down is a fault; plain's -5 counts while down, reversed: +5.
    assert!(t.verdict(0).fault);
    t.set_bfd("minus", true);
    assert_eq!(t.verdict(0).priority, 105);
    t.set_bfd("plain", true);
    assert_eq!(t.verdict(0).priority, 100);
}

#[test]
fn in_a_sync_group_the_groups_weights_count_and_the_members_weighted_ones_are_dropped() {
    let text = format!(
        "{SESSIONS}vrrp_sync_group G {{ group {{ A\n B }}\n track_bfd {{ plus\n plain }} }}\n\
         vrrp_instance A {{ interface eth0\n virtual_router_id 1\n track_bfd {{ minus }} }}\n\
         vrrp_instance B {{ interface eth0\n virtual_router_id 2 }}\n"
    );
    let mut t = tracker(&text);
    // plain (unweighted) is down: every member faults; A's weighted `minus` is dropped, as
    // keepalived drops it (no -30 while it is down).
    assert!(t.verdict(0).fault && t.verdict(1).fault);
    t.set_bfd("plain", true);
    assert!(!t.verdict(0).fault && !t.verdict(1).fault);
    assert_eq!(t.verdict(0).priority, 100);
    // The group's `plus` keeps its weight: +20 on both while Up.
    t.set_bfd("plus", true);
    assert_eq!((t.verdict(0).priority, t.verdict(1).priority), (120, 120));
    let mut reloaded = tracker(&text);
    reloaded.carry_over(&t);
    assert_eq!(reloaded.verdict(1).priority, 120, "kept across a reload");
}
