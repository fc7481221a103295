//! The VIP mover without I/O: where a cloud has no HAVIP, havipd moves an instance's VIPs
//! itself through the cloud's API, and this reconciler decides which call to make and when.
//!
//! Per instance, a [`Mover`] takes what VRRP says (MASTER or not), the results of the calls it
//! asked for (ok, throttled, error, timeout; a describe's owner) and time, and asks for calls
//! ([`MoverCall`]). As MASTER it claims the VIPs, then describes until the cloud says this
//! server holds them, then keeps describing (soon after the VIPs are held, `settle` doubling,
//! then every `recheck`) and claims again when another holder shows up. BACKUP and FAULT never claim; a call in flight when MASTER is left is let
//! finish (its result is counted) but nothing follows it. Failures back off exponentially with
//! seeded jitter; the cloud's throttling answer waits at least `throttle_backoff`; a call not
//! answered within `call_timeout` is a timeout and its late answer is ignored.

mod backoff;
pub mod keys;
#[cfg(test)]
mod tests;

pub use backoff::Jitter;
use std::collections::BTreeMap;
use vrrp::{Micros, Timestamp};

/// How the VIPs are moved: which API call claims them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `MigratePrivateIpAddress`: the secondary IP moves from the ENI holding it to ours.
    Migrate,
    /// `AssignPrivateIpAddresses`: the secondary IP is assigned to our ENI (nobody holds it).
    Assign,
    /// `ReplaceRoutes`: the route table's routes to the VIPs point at us.
    Route,
}

/// A call the mover asks its executor to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Move the VIPs to this server (the call named by the [`Method`]).
    Claim(Method),
    /// Ask the cloud who holds the VIPs.
    Describe,
}

impl Action {
    /// The cloud API action name, as in metrics and status.
    pub fn api_name(self) -> &'static str {
        match self {
            Action::Claim(Method::Migrate) => "MigratePrivateIpAddress",
            Action::Claim(Method::Assign) => "AssignPrivateIpAddresses",
            Action::Claim(Method::Route) => "ReplaceRoutes",
            Action::Describe => "Describe",
        }
    }
}

/// Who the cloud says holds the VIPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// This server's ENI (or route next hop) holds all of them.
    Us,
    /// Another ENI, or nobody, holds at least one.
    Elsewhere,
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The cloud accepted it.
    Ok,
    /// The cloud answered `RequestLimitExceeded`.
    Throttled,
    /// Any other error (transport, HTTP, the cloud's error code).
    Error,
    /// No answer within the call timeout.
    Timeout,
}

impl Outcome {
    /// Lowercase name, as in metrics and status.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Throttled => "throttled",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// One call asked for: the executor makes it and reports [`Mover::finished`] with its `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoverCall {
    /// Identifies the call's answer.
    pub seq: u64,
    /// What to call.
    pub action: Action,
    /// When the mover stops waiting (the executor should give up by then too).
    pub deadline: Timestamp,
}

/// The mover's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// How long one call may take.
    pub call_timeout: Micros,
    /// The first retry's delay; doubles per failure.
    pub base_backoff: Micros,
    /// The longest retry delay.
    pub max_backoff: Micros,
    /// The least wait after `RequestLimitExceeded`.
    pub throttle_backoff: Micros,
    /// How often a MASTER holding the VIPs asks the cloud whether it still does.
    pub recheck: Micros,
    /// The first recheck after the VIPs are held; each next one waits twice as long, up to
    /// `recheck`. A claim another server sent while it was master for a moment may land
    /// seconds later (up to its `call_timeout`): the new holder finds out soon, not at the
    /// next `recheck`.
    pub settle: Micros,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            call_timeout: Micros::from_secs(5),
            base_backoff: Micros::from_millis(200),
            max_backoff: Micros::from_secs(30),
            throttle_backoff: Micros::from_secs(1),
            recheck: Micros::from_secs(10),
            settle: Micros::from_secs(1),
        }
    }
}

/// Where the mover is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not MASTER: nothing to do.
    Idle,
    /// MASTER, claiming: the next step is a claim.
    Claiming,
    /// MASTER, claimed: describing until the cloud says we hold the VIPs.
    Verifying,
    /// MASTER and the cloud says we hold the VIPs; describing every `recheck`.
    Held,
}

impl Phase {
    /// Lowercase name, for status.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Claiming => "claiming",
            Phase::Verifying => "verifying",
            Phase::Held => "held",
        }
    }
}

/// What `havip status` shows of one instance's mover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoverStatus {
    /// Where it is.
    pub phase: Phase,
    /// Failures since the last success.
    pub failures: u32,
    /// The call under way.
    pub in_flight: Option<Action>,
    /// When the next call is due, if one is waiting.
    pub next_at: Option<Timestamp>,
    /// The last call's action and outcome.
    pub last: Option<(Action, Outcome)>,
    /// Calls made, by action and outcome.
    pub counts: BTreeMap<(Action, Outcome), u64>,
}

/// One instance's VIP mover.
#[derive(Clone, Debug)]
pub struct Mover {
    method: Method,
    timing: Timing,
    jitter: Jitter,
    master: bool,
    phase: Phase,
    failures: u32,
    /// Rechecks answered "held" since the VIPs were last found held.
    held_checks: u32,
    next_seq: u64,
    in_flight: Option<MoverCall>,
    next: Option<(Timestamp, Action)>,
    last: Option<(Action, Outcome)>,
    counts: BTreeMap<(Action, Outcome), u64>,
}

impl Mover {
    /// A mover claiming with `method`, idle until told the instance is MASTER; `seed` makes its
    /// jitter reproducible.
    pub fn new(method: Method, timing: Timing, seed: u64) -> Self {
        Mover {
            method,
            timing,
            jitter: Jitter::new(seed),
            master: false,
            phase: Phase::Idle,
            failures: 0,
            held_checks: 0,
            next_seq: 1,
            in_flight: None,
            next: None,
            last: None,
            counts: BTreeMap::new(),
        }
    }

    /// The instance became MASTER (`true`) or left it (BACKUP, FAULT, INIT: `false`).
    pub fn set_master(&mut self, now: Timestamp, master: bool, out: &mut Vec<MoverCall>) {
        if master == self.master {
            return;
        }
        self.master = master;
        self.failures = 0;
        if master {
            self.phase = Phase::Claiming;
            self.schedule(now, Action::Claim(self.method));
            self.poll(now, out);
        } else {
            self.phase = Phase::Idle;
            self.next = None;
        }
    }

    /// Its settings changed (a reload gave it another ENI, credentials, endpoint or method,
    /// or its instance other VIPs): what it learnt no longer holds. The call in flight is
    /// forgotten (its answer, made with the old settings, is ignored and not counted); the
    /// instance is MASTER or not as `master` says (the loop's state at the reload) and, if
    /// MASTER, claims again at once with `method`. Failures start from zero; counts go on.
    pub fn reconfigure(
        &mut self,
        now: Timestamp,
        method: Method,
        master: bool,
        out: &mut Vec<MoverCall>,
    ) {
        self.method = method;
        self.in_flight = None;
        self.next = None;
        self.failures = 0;
        self.held_checks = 0;
        self.master = master;
        self.phase = Phase::Idle;
        if master {
            self.phase = Phase::Claiming;
            self.schedule(now, Action::Claim(method));
            self.poll(now, out);
        }
    }

    /// As MASTER, a sign that the VIPs may be elsewhere (an advert of lower priority: another
    /// router was master and may have claimed them). A mover that holds them claims again at
    /// once; one already claiming or verifying goes on as it is (its next step asks the cloud).
    pub fn elsewhere(&mut self, now: Timestamp, out: &mut Vec<MoverCall>) {
        if !self.master || self.phase != Phase::Held {
            return;
        }
        self.phase = Phase::Claiming;
        self.failures = 0;
        self.schedule(now, Action::Claim(self.method));
        self.poll(now, out);
    }

    /// The call `seq` ended with `outcome`; `holder` is what a successful describe said.
    pub fn finished(
        &mut self,
        now: Timestamp,
        seq: u64,
        outcome: Outcome,
        holder: Option<Holder>,
        out: &mut Vec<MoverCall>,
    ) {
        let Some(call) = self.in_flight.filter(|c| c.seq == seq) else {
            return; // late (already timed out) or unknown
        };
        self.in_flight = None;
        self.record(call.action, outcome);
        if self.master {
            self.after(now, call.action, outcome, holder);
        }
        self.poll(now, out);
    }

    /// Time passed: a call past its deadline times out, a due call is asked for.
    pub fn poll(&mut self, now: Timestamp, out: &mut Vec<MoverCall>) {
        if let Some(call) = self.in_flight.filter(|c| now >= c.deadline) {
            self.in_flight = None;
            self.record(call.action, Outcome::Timeout);
            if self.master {
                self.after(now, call.action, Outcome::Timeout, None);
            }
        }
        if self.in_flight.is_some() || !self.master {
            return;
        }
        let Some((_, action)) = self.next.filter(|(at, _)| now >= *at) else {
            return;
        };
        self.next = None;
        let call = MoverCall {
            seq: self.next_seq,
            action,
            deadline: now + self.timing.call_timeout,
        };
        self.next_seq += 1;
        self.in_flight = Some(call);
        out.push(call);
    }

    /// When [`Mover::poll`] has something to do next.
    pub fn poll_at(&self) -> Option<Timestamp> {
        let due = self
            .next
            .filter(|_| self.master && self.in_flight.is_none());
        match (self.in_flight.map(|c| c.deadline), due.map(|(at, _)| at)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What status shows.
    pub fn status(&self) -> MoverStatus {
        MoverStatus {
            phase: self.phase,
            failures: self.failures,
            in_flight: self.in_flight.map(|c| c.action),
            next_at: self.next.filter(|_| self.master).map(|(at, _)| at),
            last: self.last,
            counts: self.counts.clone(),
        }
    }

    fn record(&mut self, action: Action, outcome: Outcome) {
        self.last = Some((action, outcome));
        *self.counts.entry((action, outcome)).or_insert(0) += 1;
    }

    /// The wait before the next recheck of held VIPs: `settle`, doubling per recheck, up to
    /// `recheck`.
    fn settling_wait(&self) -> Micros {
        let doubled = self
            .timing
            .settle
            .0
            .saturating_mul(1u64 << self.held_checks.min(20));
        Micros(doubled.min(self.timing.recheck.0))
    }

    fn schedule(&mut self, at: Timestamp, action: Action) {
        self.next = Some((at, action));
    }

    /// The next step of a MASTER after `action` ended with `outcome`.
    fn after(&mut self, now: Timestamp, action: Action, outcome: Outcome, holder: Option<Holder>) {
        if self.phase == Phase::Claiming && action == Action::Describe {
            // A describe from before a re-claim began: the claim still comes first.
            self.schedule(now, Action::Claim(self.method));
            return;
        }
        match (action, outcome, holder) {
            (Action::Claim(_), Outcome::Ok, _) => {
                self.phase = Phase::Verifying;
                self.schedule(now, Action::Describe);
            }
            (Action::Describe, Outcome::Ok, Some(Holder::Us)) => {
                if self.phase != Phase::Held {
                    self.held_checks = 0;
                }
                self.phase = Phase::Held;
                self.failures = 0;
                let wait = self.settling_wait();
                self.held_checks = self.held_checks.saturating_add(1);
                self.schedule(now + wait, Action::Describe);
            }
            (Action::Describe, Outcome::Ok, _) if self.phase == Phase::Held => {
                // Lost while held: someone else claimed it. Claim again now.
                self.phase = Phase::Claiming;
                self.failures = 0;
                self.schedule(now, Action::Claim(self.method));
            }
            (Action::Describe, Outcome::Ok, _) => {
                // Claimed but not (yet) ours: the claim did not take; claim again, backing off.
                self.phase = Phase::Claiming;
                self.retry(now, Action::Claim(self.method), false);
            }
            (_, outcome, _) => self.retry(now, action, outcome == Outcome::Throttled),
        }
    }

    /// Schedules `action` again after the failure backoff (at least the throttle backoff).
    fn retry(&mut self, now: Timestamp, action: Action, throttled: bool) {
        self.failures = self.failures.saturating_add(1);
        let mut delay = self.jitter.backoff(
            self.timing.base_backoff,
            self.timing.max_backoff,
            self.failures,
        );
        if throttled && delay < self.timing.throttle_backoff {
            delay = self.jitter.spread(self.timing.throttle_backoff);
        }
        self.schedule(now + delay, action);
    }
}
