//! The reload diff: which instances of the running configuration a new one keeps (same name,
//! same resolved settings), which stop and which start, and what the kept ones carry over
//! (their routers' state, what tracking observed, their queued announcements).

use crate::pacing::Pacer;
use crate::tracking::Tracker;
use crate::{InstanceId, Member, Node};

/// How a new configuration's instances relate to the running ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// For each new instance (in its config's order), the running one it keeps, if any.
    kept: Vec<Option<InstanceId>>,
    /// Running instances the new configuration does not keep.
    stopped: Vec<InstanceId>,
}

impl Plan {
    /// The plan from `running` instances to `new` ones, where `same(old, new)` says the new
    /// instance at position `new` is the running `old` one unchanged.
    pub fn new(running: usize, new: usize, same: impl Fn(InstanceId, usize) -> bool) -> Plan {
        let mut taken = vec![false; running];
        let mut kept = Vec::with_capacity(new);
        for n in 0..new {
            let old = (0..running).find(|&o| !taken[o] && same(InstanceId::new(o), n));
            if let Some(o) = old {
                taken[o] = true;
            }
            kept.push(old.map(InstanceId::new));
        }
        let stopped = (0..running)
            .filter(|&o| !taken[o])
            .map(InstanceId::new)
            .collect();
        Plan { kept, stopped }
    }

    /// The running instances that stop (removed or changed).
    pub fn stopped(&self) -> &[InstanceId] {
        &self.stopped
    }

    /// The new configuration's instances that start afresh (new or changed), by their new ids.
    pub fn started(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.kept
            .iter()
            .enumerate()
            .filter(|(_, k)| k.is_none())
            .map(|(n, _)| InstanceId::new(n))
    }

    /// Whether the new instance `id` is a running one kept.
    pub fn keeps(&self, id: InstanceId) -> bool {
        self.kept.get(id.index()).is_some_and(Option::is_some)
    }

    /// The new instances in order: each kept one made from its running self and its new
    /// self by `keep`, each other by `fresh` from its new self and the running instances not
    /// kept (`None` where taken).
    pub fn arrange<T>(
        &self,
        running: Vec<T>,
        new: Vec<T>,
        mut keep: impl FnMut(T, T) -> T,
        mut fresh: impl FnMut(T, &[Option<T>]) -> T,
    ) -> Vec<T> {
        let mut old: Vec<Option<T>> = running.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(new.len());
        for (n, t) in new.into_iter().enumerate() {
            let kept = self
                .kept
                .get(n)
                .copied()
                .flatten()
                .and_then(|o| old.get_mut(o.index()).and_then(Option::take));
            out.push(match kept {
                Some(o) => keep(o, t),
                None => fresh(t, &old),
            });
        }
        out
    }
}

impl Node {
    /// Switches to a new configuration's `members`, `tracker` and `pacer` by `plan`: kept
    /// instances keep their routers and verdicts, tracking keeps what it observed of the
    /// objects both track, and the announcements queued by kept instances stay queued. The
    /// instances `plan` stops should have been stopped ([`Node::stop`]) before; the started
    /// ones are to be started ([`Node::start`]) and the kept ones retracked
    /// ([`Node::retrack`]).
    pub fn reload(&mut self, plan: &Plan, members: Vec<Member>, tracker: Tracker, pacer: Pacer) {
        let running = std::mem::take(&mut self.members).into_vec();
        let kept: Vec<String> = members
            .iter()
            .enumerate()
            .filter(|(n, _)| plan.keeps(InstanceId::new(*n)))
            .map(|(_, m)| m.name.clone())
            .collect();
        self.members = plan
            .arrange(running, members, |old, _| old, |new, _| new)
            .into();
        self.timers =
            crate::timers::Timers::of(self.members.iter().map(|m| m.router.next_deadline()));
        let mut tracker = tracker;
        tracker.carry_over(&self.tracker);
        self.tracker = tracker;
        let old_pacer = std::mem::replace(&mut self.pacer, pacer);
        self.pacer
            .carry_over(old_pacer, |name| kept.iter().any(|k| k == name));
        self.following.clear();
    }
}
