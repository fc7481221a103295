//! The invariants a cluster keeps under any fault, checked over a run's timeline (who held each
//! VIP, sampled every 10 ms) and the faults applied. Pure: no clock, no I/O.
//!
//! - **one-holder**: at most one serving server (daemon alive, cable in, link up) holds a VIP,
//!   except while a server's VRRP is partitioned and for a grace after the heal; a dual
//!   holding shorter than the tolerance is a handover (preemption), not a violation.
//! - **takeover**: a VIP is not missing (held by no serving server) for longer than the
//!   takeover bound while a server has been healthy (serving, its check passing) for that long.
//! - **reachable**: the same for the client's view: its probes of the VIP are not unanswered
//!   for longer than the takeover bound while a server has been healthy for that long.
//! - **heal**: after a heal, dual holding ends within the grace (reported as one-holder when
//!   it outlives it, with the heal named).
//! - **sync-group**: the VIPs of one sync group are served by the same servers, apart no
//!   longer than the takeover bound.

use crate::drill::Action;
use crate::timeline::Span;
use serde::Serialize;

/// The protocol's times for one VIP's instance, with margins for a loaded machine.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// Longest a dual holding may last and still be a handover, seconds.
    pub tolerance: f64,
    /// How long after a heal two holders are still excused, seconds.
    pub grace: f64,
    /// Longest a VIP may be missing while a server is healthy: the largest
    /// Master_Down_Interval of the servers plus start-up and sampling margins, seconds.
    pub takeover: f64,
}

impl Timing {
    /// From the instance's advert interval and the largest Master_Down_Interval (seconds).
    pub fn from_protocol(advert: f64, master_down: f64) -> Timing {
        Timing {
            tolerance: 2.0 * advert + 0.1,
            grace: 2.0 * advert + 0.2,
            takeover: master_down + 1.0,
        }
    }
}

/// A fault or repair as applied: when (seconds, the timeline's clock) and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When it was applied.
    pub time: f64,
    /// What.
    pub action: Action,
}

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// `one-holder`, `takeover`, `reachable` or `sync-group`.
    pub invariant: &'static str,
    /// The VIP.
    pub vip: String,
    /// When the breaking stretch began (the timeline's clock).
    pub from: f64,
    /// How long it lasted, seconds.
    pub seconds: f64,
    /// What was seen.
    pub detail: String,
}

/// One server's condition, as the faults left it.
#[derive(Clone, Debug, Default)]
struct Health {
    dead: bool,
    cut: bool,
    link_down: bool,
    check_failing: bool,
    partitioned: bool,
    healed_at: Option<f64>,
    healthy_since: f64,
}

impl Health {
    fn serving(&self) -> bool {
        !self.dead && !self.cut && !self.link_down
    }

    fn healthy(&self) -> bool {
        self.serving() && !self.check_failing
    }

    fn apply(&mut self, action: &Action, time: f64) {
        let was = self.healthy();
        match action {
            Action::Kill { .. } | Action::Stop { .. } | Action::Reboot { .. } => self.dead = true,
            Action::Start { .. } => self.dead = false,
            Action::Cut { .. } => self.cut = true,
            Action::Restore { .. } => self.cut = false,
            Action::LinkDown { .. } => self.link_down = true,
            Action::LinkUp { .. } => self.link_down = false,
            Action::FailCheck { .. } => self.check_failing = true,
            Action::PassCheck { .. } => self.check_failing = false,
            Action::KillProcess { .. } => self.check_failing = true,
            Action::StartProcess { .. } => self.check_failing = false,
            Action::Partition { .. } => self.partitioned = true,
            Action::Heal { .. } => {
                self.partitioned = false;
                self.healed_at = Some(time);
            }
            _ => {}
        }
        if !was && self.healthy() {
            self.healthy_since = time;
        }
    }
}

/// A stretch in which a condition held, being followed.
struct Stretch {
    from: Option<f64>,
    detail: String,
}

impl Stretch {
    fn new() -> Stretch {
        Stretch {
            from: None,
            detail: String::new(),
        }
    }

    /// Follows the condition at `t`; returns the stretch that just ended if it outlasted `limit`.
    fn step(
        &mut self,
        on: bool,
        t: f64,
        limit: f64,
        detail: impl FnOnce() -> String,
    ) -> Option<(f64, f64, String)> {
        match (on, self.from) {
            (true, None) => {
                self.from = Some(t);
                self.detail = detail();
                None
            }
            (false, Some(from)) => {
                self.from = None;
                (t - from > limit).then(|| (from, t - from, std::mem::take(&mut self.detail)))
            }
            _ => None,
        }
    }
}

/// Who held the VIP at `t`, from its spans.
fn holders_at(spans: &[Span], t: f64) -> &[String] {
    spans
        .iter()
        .rev()
        .find(|s| s.from <= t)
        .map_or(&[], |s| s.holders.as_slice())
}

/// What was seen of one VIP: who held it, and when the client's probes went unanswered.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    /// The VIP.
    pub vip: &'a str,
    /// Its holders (servers by name).
    pub spans: &'a [Span],
    /// Stretches without answers (start, end).
    pub unanswered: &'a [(f64, f64)],
}

/// Checks one VIP (`seen`; servers named by `servers`) against the faults `events` (sorted
/// by time) from `start` to `end`, every 10 ms.
pub fn check(
    seen: Seen,
    servers: &[String],
    events: &[Event],
    timing: Timing,
    (start, end): (f64, f64),
) -> Vec<Violation> {
    let (vip, spans) = (seen.vip, seen.spans);
    let mut health: Vec<Health> = servers
        .iter()
        .map(|_| Health {
            healthy_since: start,
            ..Health::default()
        })
        .collect();
    let mut dual = Stretch::new();
    let mut missing = Watch::new("held by no serving server");
    let mut silent = Watch::new("the client's probes unanswered");
    let mut out = Vec::new();
    let mut next = 0;
    let steps = ((end - start) / 0.01).ceil() as usize;
    for k in 0..=steps {
        let t = (start + k as f64 * 0.01).min(end);
        while next < events.len() && events[next].time <= t {
            let e = &events[next];
            if let Some(i) = servers.iter().position(|s| s == e.action.node()) {
                health[i].apply(&e.action, e.time);
            }
            next += 1;
        }
        let serving: Vec<&String> = holders_at(spans, t)
            .iter()
            .filter(|h| {
                servers
                    .iter()
                    .position(|s| s == *h)
                    .is_some_and(|i| health[i].serving())
            })
            .collect();
        let excused = health
            .iter()
            .any(|h| h.partitioned || h.healed_at.is_some_and(|at| t - at < timing.grace));
        let last = k == steps;
        let two = serving.len() > 1 && !excused && !last;
        if let Some((from, seconds, detail)) = dual.step(two, t, timing.tolerance, || {
            let names: Vec<&str> = serving.iter().map(|s| s.as_str()).collect();
            format!("held by {} at once, no partition", names.join(" and "))
        }) {
            out.push(violation("one-holder", vip, from, seconds, detail));
        }
        // Missing since when; late once a healthy server has had the takeover bound to act.
        let held = !serving.is_empty();
        if let Some((from, seconds, detail)) =
            missing.step(held, (t, last), (&health, servers), timing)
        {
            out.push(violation("takeover", vip, from, seconds, detail));
        }
        let answered = !seen.unanswered.iter().any(|(a, b)| *a <= t && t < *b);
        if let Some((from, seconds, detail)) =
            silent.step(answered, (t, last), (&health, servers), timing)
        {
            out.push(violation("reachable", vip, from, seconds, detail));
        }
    }
    out
}

/// Watches a "the VIP is fine" condition: once it has been off for the takeover bound past
/// the moment a healthy server could act, the stretch is late.
struct Watch {
    stretch: Stretch,
    since: Option<f64>,
    what: &'static str,
}

impl Watch {
    fn new(what: &'static str) -> Watch {
        Watch {
            stretch: Stretch::new(),
            since: None,
            what,
        }
    }

    /// Follows `ok` at `t`; returns the late stretch that just ended.
    fn step(
        &mut self,
        ok: bool,
        (t, last): (f64, bool),
        (health, servers): (&[Health], &[String]),
        timing: Timing,
    ) -> Option<(f64, f64, String)> {
        if ok {
            self.since = None;
        } else if self.since.is_none() {
            self.since = Some(t);
        }
        let late = self.since.and_then(|from| {
            servers
                .iter()
                .zip(health)
                .filter(|(_, h)| h.healthy())
                .map(|(s, h)| (s, from.max(h.healthy_since) + timing.takeover))
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .filter(|(_, deadline)| t > *deadline)
        });
        let what = self.what;
        self.stretch.step(late.is_some() && !last, t, 0.0, || {
            let name = late.map_or("", |(s, _)| s.as_str());
            format!(
                "{what} while {name} was healthy (takeover bound {:.2} s)",
                timing.takeover
            )
        })
    }
}

/// One VIP of a sync group, as seen.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    /// The VIP.
    pub vip: &'a str,
    /// Its holders (servers by name).
    pub spans: &'a [Span],
}

/// **sync-group**: the VIPs of one sync group's instances are served by the same servers;
/// a difference may last no longer than the takeover bound (a member's takeover, its group
/// following). Checked every 10 ms from `start` to `end`, like [`check`].
pub fn check_group(
    group: &[Member],
    servers: &[String],
    events: &[Event],
    timing: Timing,
    (start, end): (f64, f64),
) -> Vec<Violation> {
    let mut health: Vec<Health> = servers.iter().map(|_| Health::default()).collect();
    let mut apart = Stretch::new();
    let mut out = Vec::new();
    let mut next = 0;
    let steps = ((end - start) / 0.01).ceil() as usize;
    for k in 0..=steps {
        let t = (start + k as f64 * 0.01).min(end);
        while next < events.len() && events[next].time <= t {
            let e = &events[next];
            if let Some(i) = servers.iter().position(|s| s == e.action.node()) {
                health[i].apply(&e.action, e.time);
            }
            next += 1;
        }
        let serving = |m: &Member| -> Vec<String> {
            let mut v: Vec<String> = holders_at(m.spans, t)
                .iter()
                .filter(|h| {
                    servers
                        .iter()
                        .position(|s| s == *h)
                        .is_some_and(|i| health[i].serving())
                })
                .cloned()
                .collect();
            v.sort();
            v
        };
        let sets: Vec<Vec<String>> = group.iter().map(serving).collect();
        let differ = sets.windows(2).any(|w| w[0] != w[1]) && k != steps;
        if let Some((from, seconds, detail)) = apart.step(differ, t, timing.takeover, || {
            let parts: Vec<String> = group
                .iter()
                .zip(&sets)
                .map(|(m, s)| format!("{} by [{}]", m.vip, s.join(", ")))
                .collect();
            format!("the sync group is split: {}", parts.join(", "))
        }) {
            out.push(violation("sync-group", group[0].vip, from, seconds, detail));
        }
    }
    out
}

fn violation(
    invariant: &'static str,
    vip: &str,
    from: f64,
    seconds: f64,
    detail: String,
) -> Violation {
    Violation {
        invariant,
        vip: vip.to_string(),
        from,
        seconds,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(from: f64, to: f64, holders: &[&str]) -> Span {
        Span {
            from,
            to,
            holders: holders.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn event(time: f64, action: &str, node: &str) -> Event {
        let action: Action =
            serde_json::from_value(serde_json::json!({"action": action, "node": node}))
                .expect("action");
        Event { time, action }
    }

    fn seen(spans: &[Span]) -> Seen<'_> {
        Seen {
            vip: "v",
            spans,
            unanswered: &[],
        }
    }

    fn servers() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    /// advert 1 s, Master_Down_Interval 3.8 s.
    fn timing() -> Timing {
        Timing::from_protocol(1.0, 3.8)
    }

    #[test]
    fn a_clean_takeover_breaks_nothing() {
        let spans = [
            span(0.0, 5.0, &["a"]),
            span(5.0, 8.7, &[]),
            span(8.7, 20.0, &["b"]),
        ];
        let events = [event(5.0, "cut", "a")];
        assert_eq!(
            check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0)),
            []
        );
    }

    #[test]
    fn two_holders_without_a_partition_are_caught_and_a_partition_excuses_them() {
        let spans = [
            span(0.0, 5.0, &["a"]),
            span(5.0, 12.0, &["a", "b"]),
            span(12.0, 20.0, &["a"]),
        ];
        let got = check(seen(&spans), &servers(), &[], timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].invariant, "one-holder");
        assert!((got[0].from - 5.0).abs() < 0.02 && (got[0].seconds - 7.0).abs() < 0.02);
        assert!(got[0].detail.contains("a and b"), "{}", got[0].detail);
        // The same stretch inside a partition (healed at 11.5 s, grace 2.2 s) is excused...
        let events = [event(4.9, "partition", "a"), event(11.5, "heal", "a")];
        assert_eq!(
            check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0)),
            []
        );
        // ...but not when it outlives the heal by more than the grace and the tolerance.
        let events = [event(4.9, "partition", "a"), event(6.0, "heal", "a")];
        let got = check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!((got[0].from - 8.2).abs() < 0.02, "{got:?}");
    }

    #[test]
    fn a_short_overlap_is_a_handover_and_a_dead_daemons_address_does_not_count() {
        let spans = [
            span(0.0, 5.0, &["a"]),
            span(5.0, 5.3, &["a", "b"]),
            span(5.3, 20.0, &["b"]),
        ];
        assert_eq!(
            check(seen(&spans), &servers(), &[], timing(), (0.0, 20.0)),
            []
        );
        // A crash that leaves a's address behind while b takes over: a is not serving.
        let spans = [
            span(0.0, 5.0, &["a"]),
            span(5.0, 8.7, &["a"]),
            span(8.7, 20.0, &["a", "b"]),
        ];
        let events = [event(5.0, "kill", "a")];
        assert_eq!(
            check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0)),
            []
        );
    }

    #[test]
    fn a_vip_missing_past_the_takeover_bound_is_caught_only_while_someone_is_healthy() {
        let spans = [span(0.0, 5.0, &["a"]), span(5.0, 20.0, &[])];
        let events = [event(5.0, "cut", "a")];
        let got = check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].invariant, "takeover");
        assert!(
            got[0].detail.contains("while b was healthy"),
            "{}",
            got[0].detail
        );
        // Both down: nobody could take it.
        let events = [event(5.0, "cut", "a"), event(5.0, "stop", "b")];
        assert_eq!(
            check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0)),
            []
        );
        // b starts at 10 s: it has the takeover bound (4.8 s) to take the VIP, then it is late.
        let events = [
            event(5.0, "cut", "a"),
            event(5.0, "stop", "b"),
            event(10.0, "start", "b"),
        ];
        let got = check(seen(&spans), &servers(), &events, timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].from > 14.7 && got[0].from < 14.9, "{got:?}");
    }

    #[test]
    fn a_vip_held_but_unanswered_past_the_bound_is_caught() {
        let spans = [span(0.0, 20.0, &["a"])];
        let unanswered = [(5.0, 6.0), (8.0, 12.0)];
        let seen = Seen {
            vip: "v",
            spans: &spans,
            unanswered: &unanswered,
        };
        // One second and four are within the bound (4.8 s), ...
        assert_eq!(check(seen, &servers(), &[], timing(), (0.0, 20.0)), []);
        let unanswered = [(8.0, 14.0)];
        let seen = Seen {
            unanswered: &unanswered,
            ..seen
        };
        // ... six are not: late from 12.8 s to 14 s.
        let got = check(seen, &servers(), &[], timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].invariant, "reachable");
        assert!(
            (got[0].from - 12.8).abs() < 0.02 && (got[0].seconds - 1.2).abs() < 0.03,
            "{got:?}"
        );
        assert!(
            got[0].detail.contains("unanswered while a was healthy"),
            "{}",
            got[0].detail
        );
    }

    #[test]
    fn a_split_sync_group_is_caught_and_a_group_that_moves_together_is_not() {
        let together = [span(0.0, 10.0, &["a"]), span(10.0, 20.0, &["b"])];
        let split = [span(0.0, 10.0, &["a"]), span(10.0, 20.0, &["a"])];
        let alone = [
            Member {
                vip: "v1",
                spans: &together,
            },
            Member {
                vip: "v2",
                spans: &[],
            },
        ];
        let got = check_group(&alone, &servers(), &[], timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "a member held by nobody is a split: {got:?}");
        let same = together.clone();
        let both = [
            Member {
                vip: "v1",
                spans: &together,
            },
            Member {
                vip: "v2",
                spans: &same,
            },
        ];
        assert!(check_group(&both, &servers(), &[], timing(), (0.0, 20.0)).is_empty());
        let apart = [
            Member {
                vip: "v1",
                spans: &together,
            },
            Member {
                vip: "v2",
                spans: &split,
            },
        ];
        let got = check_group(&apart, &servers(), &[], timing(), (0.0, 20.0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].invariant, "sync-group");
        assert!((got[0].from - 10.0).abs() < 0.02, "{got:?}");
    }
}
