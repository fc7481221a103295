//! `vrrp_startup_delay` as keepalived 2.2.7 runs it (measured beside it: BACKUP at start,
//! MASTER at delay + Master_Down_Interval for `state BACKUP`, `state MASTER` and priority 255
//! alike), and adverts ignored during the delay.

mod common;
use common::*;
use vrrp::*;

fn delayed(c: RouterConfig, by: f64) -> (Router, Vec<Action>) {
    let mut r = Router::new(c).expect("valid");
    r.delay_start(Micros((by * 1e6) as u64));
    let out = r.handle(at(0.0), Event::Startup);
    (r, out)
}

#[test]
fn every_instance_starts_as_backup_and_waits_the_delay_plus_master_down() {
    let mut master = cfg(5, 150);
    master.start_as_master = true;
    for c in [cfg(5, 100), master, cfg(5, 255)] {
        let priority = c.priority;
        let (mut r, out) = delayed(c, 2.0);
        assert_eq!(
            out,
            vec![
                Action::Transition {
                    from: State::Init,
                    to: State::Backup,
                    reason: Reason::Startup
                },
                Action::Notify(Notify::Backup),
            ],
            "priority {priority}"
        );
        let skew = (256 - u64::from(priority)) * 1_000_000 / 256;
        let due = Timestamp(2_000_000 + 3_000_000 + skew);
        assert_eq!(r.next_deadline(), Some(due), "priority {priority}");
        assert!(r.handle(Timestamp(due.0 - 1), Event::Timer).is_empty());
        let out = r.handle(due, Event::Timer);
        assert!(sent(&out, priority), "priority {priority}: {out:?}");
        assert_eq!(r.state(), State::Master);
    }
}

#[test]
fn adverts_during_the_delay_are_ignored_and_heard_after_it() {
    let c = cfg(5, 150);
    let (mut r, _) = delayed(c.clone(), 2.0);
    let before = r.next_deadline();
    // Not even looked at (keepalived reads and discards them): no drop is reported.
    assert!(r.handle(at(1.0), rx(&c, "10.0.0.9", 100)).is_empty());
    assert!(r.handle(at(1.5), rx(&c, "10.0.0.9", 200)).is_empty());
    assert_eq!(r.next_deadline(), before);
    assert_eq!(r.stats().advert_rcvd, 0);
    let out = r.handle(at(2.0), rx(&c, "10.0.0.9", 100));
    assert_eq!(
        out,
        vec![Action::Dropped {
            from: ip("10.0.0.9"),
            reason: DropReason::LowerPriority(100)
        }]
    );
}

#[test]
fn a_higher_master_heard_after_the_delay_keeps_it_backup() {
    let c = cfg(5, 100);
    let (mut r, _) = delayed(c.clone(), 2.0);
    r.handle(at(2.5), rx(&c, "10.0.0.9", 200));
    // Master_Down_Interval from that advert, not from the end of the delay.
    assert_eq!(r.next_deadline(), Some(at(2.5) + Micros(3_609_375)));
}

#[test]
fn no_delay_is_the_usual_start() {
    let (r, out) = delayed(cfg(5, 255), 0.0);
    assert!(sent(&out, 255));
    assert_eq!(r.state(), State::Master);
}
