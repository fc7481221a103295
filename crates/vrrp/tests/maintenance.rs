//! Maintenance: make-before-break handover, and what maintenance does in every other state.

mod common;

use common::*;
use vrrp::{Action, Event, HANDOVER_LINGER, Reason, State};

fn removes(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::RemoveVips))
}

#[test]
fn master_hands_over_keeping_its_addresses_until_the_successor_advertises() {
    let c = cfg(1, 100);
    let (mut r, t) = master(c.clone());
    let out = r.handle(t, Event::Maintenance(true));
    assert!(
        sent(&out, 0),
        "a priority-0 advert starts the handover: {out:?}"
    );
    assert!(out.contains(&Action::Transition {
        from: State::Master,
        to: State::Backup,
        reason: Reason::Maintenance
    }));
    assert!(
        !removes(&out),
        "the addresses stay until a successor shows up"
    );
    assert!(r.handing_over());
    assert_eq!(r.effective_priority(), 1);

    // The successor's first advert, 0.6 s later (its skew time): release after the linger.
    let seen = at(0.6) + (t - at(0.0));
    let out = r.handle(seen, rx(&c, "10.0.0.2", 90));
    assert!(!removes(&out));
    assert_eq!(r.next_deadline(), Some(seen + HANDOVER_LINGER));
    let out = r.handle(seen + HANDOVER_LINGER, Event::Timer);
    assert_eq!(out, vec![Action::RemoveVips]);
    assert!(!r.handing_over());
    assert_eq!(r.state(), State::Backup);
}

#[test]
fn a_handover_nobody_takes_ends_with_the_old_master_back_in_charge() {
    let c = cfg(1, 100);
    let (mut r, t) = master(c.clone());
    r.handle(t, Event::Maintenance(true));
    let down = r.next_deadline().expect("Master_Down_Interval runs");
    // MDI at priority 1: 3 s + 255/256 s.
    assert_eq!(down - t, us(3_000_000 + 996_093));
    let out = r.handle(down, Event::Timer);
    assert_eq!(r.state(), State::Master);
    assert!(
        sent(&out, 1),
        "back as master at the maintenance priority: {out:?}"
    );
    assert!(!r.handing_over());
}

#[test]
fn a_resignation_is_not_a_successor_and_own_adverts_are_ignored() {
    let c = cfg(1, 100);
    let (mut r, t) = master(c.clone());
    r.handle(t, Event::Maintenance(true));
    r.handle(t + us(1000), rx(&c, "10.0.0.2", 0));
    r.handle(t + us(2000), rx(&c, "10.0.0.1", 100));
    assert!(r.handing_over());
    assert!(r.next_deadline().expect("down timer") > t + HANDOVER_LINGER);
}

#[test]
fn fault_or_shutdown_during_a_handover_releases_the_addresses_at_once() {
    let c = cfg(1, 100);
    let (mut r, t) = master(c.clone());
    r.handle(t, Event::Maintenance(true));
    let out = r.handle(t + us(10), Event::InterfaceDown);
    assert!(removes(&out), "{out:?}");
    assert_eq!(r.state(), State::Fault);

    let (mut r, t) = master(c);
    r.handle(t, Event::Maintenance(true));
    let out = r.handle(t + us(10), Event::Shutdown);
    assert!(removes(&out), "{out:?}");
    assert_eq!(r.state(), State::Stopped);
}

#[test]
fn a_backup_in_maintenance_never_preempts_and_gets_its_priority_back_after() {
    let c = cfg(1, 100);
    let mut r = started(c.clone(), at(0.0));
    r.handle(at(0.1), Event::PriorityChange(120));
    r.handle(at(0.2), Event::Maintenance(true));
    assert_eq!(r.effective_priority(), 1);
    // A lower-priority master (50) keeps resetting our timer: no takeover.
    for k in 1..20 {
        let out = r.handle(at(k as f64), rx(&c, "10.0.0.2", 50));
        assert!(out.is_empty(), "{out:?}");
        if let Some(d) = r.next_deadline()
            && d <= at(k as f64 + 1.0)
        {
            panic!("would take over at {d:?}");
        }
    }
    // Tracking changes while in maintenance are remembered, not applied.
    r.handle(at(20.0), Event::PriorityChange(110));
    assert_eq!(r.effective_priority(), 1);
    r.handle(at(20.1), Event::Maintenance(false));
    assert_eq!(r.effective_priority(), 110);
    assert!(!r.in_maintenance());
    assert!(!r.handing_over(), "a backup never held the addresses");
}
