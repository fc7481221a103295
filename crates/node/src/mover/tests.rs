//! The mover on a virtual clock: claims only as MASTER, backoff, throttling, timeouts, re-claims.

use super::*;

const MIGRATE: Action = Action::Claim(Method::Migrate);

fn ms(n: u64) -> Micros {
    Micros::from_millis(n)
}

/// A mover and a virtual clock, with every call it asked for and whether it was MASTER then.
struct Rig {
    mover: Mover,
    now: Timestamp,
    calls: Vec<(Timestamp, MoverCall, bool)>,
    master: bool,
}

impl Rig {
    fn new(seed: u64) -> Self {
        Rig {
            mover: Mover::new(Method::Migrate, Timing::default(), seed),
            now: Timestamp(1_000_000),
            calls: Vec::new(),
            master: false,
        }
    }

    fn take(&mut self, out: Vec<MoverCall>) {
        for c in out {
            self.calls.push((self.now, c, self.master));
        }
    }

    fn set_master(&mut self, master: bool) {
        self.master = master;
        let mut out = Vec::new();
        self.mover.set_master(self.now, master, &mut out);
        self.take(out);
    }

    fn advance(&mut self, d: Micros) {
        let end = self.now + d;
        while let Some(at) = self.mover.poll_at().filter(|at| *at <= end) {
            self.now = at.max(self.now);
            let mut out = Vec::new();
            self.mover.poll(self.now, &mut out);
            self.take(out);
        }
        self.now = end;
        let mut out = Vec::new();
        self.mover.poll(self.now, &mut out);
        self.take(out);
    }

    fn answer(&mut self, outcome: Outcome, holder: Option<Holder>) {
        let call = self.last_call();
        let mut out = Vec::new();
        self.mover
            .finished(self.now, call.seq, outcome, holder, &mut out);
        self.take(out);
    }

    fn last_call(&self) -> MoverCall {
        self.calls.last().expect("a call was asked for").1
    }

    fn actions(&self) -> Vec<Action> {
        self.calls.iter().map(|(_, c, _)| c.action).collect()
    }
}

#[test]
fn a_master_claims_verifies_holds_and_rechecks() {
    let mut rig = Rig::new(1);
    rig.set_master(true);
    assert_eq!(rig.actions(), [MIGRATE]);
    rig.answer(Outcome::Ok, None);
    assert_eq!(rig.actions(), [MIGRATE, Action::Describe]);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    assert_eq!(rig.mover.status().phase, Phase::Held);
    // Settling: rechecks 1, 2, 4 and 8 s apart, then every 10 s.
    let mut gaps = Vec::new();
    for _ in 0..6 {
        let before = rig.calls.len();
        let mut waited = 0;
        while rig.calls.len() == before {
            rig.advance(ms(1));
            waited += 1;
        }
        gaps.push(waited);
        rig.answer(Outcome::Ok, Some(Holder::Us));
    }
    assert_eq!(gaps, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    assert_eq!(rig.mover.status().counts[&(MIGRATE, Outcome::Ok)], 1);
    assert_eq!(
        rig.mover.status().counts[&(Action::Describe, Outcome::Ok)],
        7
    );
}

#[test]
fn a_late_claim_of_a_brief_master_is_found_within_the_settling_rechecks() {
    let mut rig = Rig::new(9);
    rig.set_master(true);
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    // Another server's claim, sent while it was master for a moment, lands 3 s later: the
    // recheck at 3 s (1 + 2) finds it and claims again, long before the 10 s recheck.
    rig.advance(Micros::from_secs(1));
    rig.answer(Outcome::Ok, Some(Holder::Us));
    rig.advance(Micros::from_secs(2));
    let found_at = rig.now;
    rig.answer(Outcome::Ok, Some(Holder::Elsewhere));
    assert_eq!(rig.calls.last().expect("re-claim").0, found_at);
    assert_eq!(rig.last_call().action, MIGRATE);
}

#[test]
fn backup_and_fault_never_claim() {
    let mut rig = Rig::new(2);
    rig.set_master(false);
    rig.advance(Micros::from_secs(600));
    assert!(rig.calls.is_empty());
    assert_eq!(rig.mover.status().phase, Phase::Idle);
    assert_eq!(rig.mover.poll_at(), None);
}

#[test]
fn flapping_master_backup_master_within_a_second_claims_only_as_master() {
    let mut rig = Rig::new(3);
    rig.set_master(true);
    let first = rig.last_call();
    rig.advance(ms(200));
    rig.set_master(false);
    rig.advance(ms(200));
    // The claim in flight ends while BACKUP: counted, nothing follows.
    rig.mover
        .finished(rig.now, first.seq, Outcome::Error, None, &mut Vec::new());
    rig.advance(ms(200));
    assert_eq!(rig.calls.len(), 1);
    rig.set_master(true);
    rig.advance(ms(200));
    assert_eq!(rig.actions(), [MIGRATE, MIGRATE]);
    rig.set_master(false);
    rig.advance(Micros::from_secs(60));
    assert!(
        rig.calls.iter().all(|(_, _, master)| *master),
        "{:?}",
        rig.calls
    );
    assert_eq!(rig.calls.len(), 2);
    // The second claim timed out while BACKUP: counted, not retried.
    assert_eq!(rig.mover.status().counts[&(MIGRATE, Outcome::Timeout)], 1);
    assert_eq!(rig.mover.status().counts[&(MIGRATE, Outcome::Error)], 1);
}

#[test]
fn master_again_while_the_old_claim_is_in_flight_waits_for_it() {
    let mut rig = Rig::new(4);
    rig.set_master(true);
    rig.set_master(false);
    rig.set_master(true);
    assert_eq!(rig.calls.len(), 1, "one call at a time");
    rig.answer(Outcome::Ok, None);
    assert_eq!(rig.actions(), [MIGRATE, Action::Describe]);
}

#[test]
fn throttling_backs_off_at_least_the_throttle_wait_and_grows() {
    let mut rig = Rig::new(5);
    rig.set_master(true);
    let mut gaps = Vec::new();
    for _ in 0..8 {
        let asked = rig.now;
        rig.answer(Outcome::Throttled, None);
        let before = rig.calls.len();
        let at = rig.mover.poll_at().expect("a retry is due");
        rig.advance(at - rig.now);
        assert_eq!(rig.calls.len(), before + 1);
        gaps.push(rig.now - asked);
    }
    assert!(gaps.iter().all(|g| *g >= Micros::from_secs(1)), "{gaps:?}");
    assert!(gaps[7] >= Micros::from_millis(12_800), "grows: {gaps:?}");
    assert!(
        gaps.iter().all(|g| *g <= Micros::from_secs(30)),
        "capped: {gaps:?}"
    );
    assert!(rig.actions().iter().all(|a| *a == MIGRATE));
    assert_eq!(rig.mover.status().counts[&(MIGRATE, Outcome::Throttled)], 8);
}

#[test]
fn a_lost_claim_is_claimed_again_at_once() {
    let mut rig = Rig::new(6);
    rig.set_master(true);
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    rig.advance(Micros::from_secs(10));
    let lost_at = rig.now;
    rig.answer(Outcome::Ok, Some(Holder::Elsewhere));
    assert_eq!(rig.calls.last().expect("re-claim").0, lost_at);
    assert_eq!(rig.last_call().action, MIGRATE);
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    assert_eq!(rig.mover.status().phase, Phase::Held);
}

#[test]
fn a_claim_that_did_not_take_is_retried_with_backoff() {
    let mut rig = Rig::new(7);
    rig.set_master(true);
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Elsewhere));
    assert_eq!(rig.calls.len(), 2, "no immediate hammering");
    rig.advance(ms(200));
    assert_eq!(rig.actions(), [MIGRATE, Action::Describe, MIGRATE]);
}

#[test]
fn a_timed_out_call_is_retried_and_its_late_answer_ignored() {
    let mut rig = Rig::new(8);
    rig.set_master(true);
    let first = rig.last_call();
    rig.advance(Micros::from_secs(5));
    assert_eq!(rig.mover.status().last, Some((MIGRATE, Outcome::Timeout)));
    rig.advance(ms(200));
    assert_eq!(rig.calls.len(), 2);
    let mut out = Vec::new();
    rig.mover
        .finished(rig.now, first.seq, Outcome::Ok, None, &mut out);
    assert!(out.is_empty());
    assert_eq!(rig.mover.status().in_flight, Some(MIGRATE));
    assert_eq!(rig.mover.status().counts.get(&(MIGRATE, Outcome::Ok)), None);
}

#[test]
fn errors_back_off_exponentially_up_to_the_cap() {
    let mut j = Jitter::new(9);
    let (base, max) = (ms(200), Micros::from_secs(30));
    for failures in 1..40 {
        let full = (200_000u64 << (failures - 1).min(30)).min(30_000_000);
        let d = j.backoff(base, max, failures);
        assert!(d.0 >= full / 2 && d.0 <= full, "{failures}: {d:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_delays_and_seeds_differ() {
    let draw = |seed| {
        let mut j = Jitter::new(seed);
        (1..10)
            .map(|f| j.backoff(ms(200), Micros::from_secs(30), f))
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(11), draw(11));
    assert_ne!(draw(11), draw(12));
}

/// Random VRRP flaps and cloud answers over many seeds: every call is asked for as MASTER,
/// one at a time, and a MASTER left alone with a healthy cloud ends holding the VIPs.
#[test]
fn seeded_chaos_claims_only_as_master_and_settles() {
    for seed in 0..300u64 {
        let mut rig = Rig::new(seed);
        let mut dice = Jitter::new(seed ^ 0xdead_beef);
        for _ in 0..60 {
            match dice.backoff(Micros(1000), Micros(1000), 1).0 % 6 {
                0 => rig.set_master(!rig.master),
                1 | 2 if rig.mover.status().in_flight.is_some() => {
                    let outcome = [Outcome::Ok, Outcome::Throttled, Outcome::Error]
                        [(dice.spread(Micros(6)).0 % 3) as usize];
                    let holder =
                        [Holder::Us, Holder::Elsewhere][(dice.spread(Micros(4)).0 % 2) as usize];
                    rig.answer(outcome, Some(holder));
                }
                _ => rig.advance(ms(dice.spread(Micros(1000)).0)),
            }
        }
        assert!(rig.calls.iter().all(|(_, _, m)| *m), "seed {seed}");
        rig.set_master(true);
        for _ in 0..10 {
            if rig.mover.status().in_flight.is_some() {
                let holder = match rig.last_call().action {
                    Action::Describe => Some(Holder::Us),
                    Action::Claim(_) => None,
                };
                rig.answer(Outcome::Ok, holder);
            } else if let Some(at) = rig.mover.poll_at() {
                rig.advance(at - rig.now);
            }
        }
        assert_eq!(rig.mover.status().phase, Phase::Held, "seed {seed}");
    }
}

/// An advert of lower priority while holding: the master claims again at once (after the
/// recheck in flight, if one is); not holding, or not MASTER, it changes nothing.
#[test]
fn a_lower_priority_advert_makes_a_holding_master_claim_again() {
    let mut rig = Rig::new(3);
    let mut out = Vec::new();
    rig.mover.elsewhere(rig.now, &mut out);
    assert!(out.is_empty(), "not master: {out:?}");
    rig.set_master(true);
    rig.mover.elsewhere(rig.now, &mut out);
    assert!(out.is_empty(), "claim in flight: {out:?}");
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    assert_eq!(rig.mover.status().phase, Phase::Held);
    rig.advance(ms(100));
    assert_eq!(rig.actions(), [MIGRATE, Action::Describe]);
    rig.mover.elsewhere(rig.now, &mut out);
    rig.take(out);
    assert_eq!(rig.actions(), [MIGRATE, Action::Describe, MIGRATE]);
    assert_eq!(rig.mover.status().phase, Phase::Claiming);
    rig.set_master(false);
    let mut out = Vec::new();
    rig.mover.elsewhere(rig.now, &mut out);
    assert!(out.is_empty());
}

/// A reload that changes a holding master's settings: its call in flight is forgotten (a late
/// answer changes nothing), it claims again at once with the new method, and its counts go on;
/// a backup's reload asks for nothing.
#[test]
fn a_reconfigured_master_forgets_its_call_and_claims_with_the_new_method() {
    let mut rig = Rig::new(7);
    rig.set_master(true);
    rig.answer(Outcome::Ok, None);
    rig.answer(Outcome::Ok, Some(Holder::Us));
    assert_eq!(rig.mover.status().phase, Phase::Held);
    rig.advance(ms(1_000));
    let stale = rig.last_call();
    assert_eq!(stale.action, Action::Describe);
    let counted = rig.mover.status().counts.values().sum::<u64>();
    let mut out = Vec::new();
    rig.mover
        .reconfigure(rig.now, Method::Assign, true, &mut out);
    rig.take(out);
    let claim = rig.last_call();
    assert_eq!(claim.action, Action::Claim(Method::Assign));
    assert_eq!(rig.mover.status().phase, Phase::Claiming);
    // The old settings' describe answers late: ignored, the claim stays in flight.
    let mut out = Vec::new();
    rig.mover
        .finished(rig.now, stale.seq, Outcome::Ok, Some(Holder::Us), &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(rig.mover.status().phase, Phase::Claiming);
    assert_eq!(rig.mover.status().in_flight, Some(claim.action));
    assert_eq!(rig.mover.status().counts.values().sum::<u64>(), counted);
    rig.answer(Outcome::Ok, None);
    assert_eq!(rig.last_call().action, Action::Describe);

    let mut backup = Rig::new(8);
    let mut out = Vec::new();
    backup
        .mover
        .reconfigure(backup.now, Method::Route, false, &mut out);
    assert!(out.is_empty(), "{out:?}");
    backup.advance(ms(60_000));
    assert!(backup.calls.is_empty());
    assert_eq!(backup.mover.status().phase, Phase::Idle);
}
