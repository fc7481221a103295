//! The node: its instances' routers, what tracking last told each, the sync groups' follow-ups,
//! the start-up delay and the announcement lanes; events in, effects out.

use crate::pacing::{Frame, Pacer};
use crate::timers::Timers;
use crate::tracking::{Tracker, Verdict};
use crate::{ById, Effect, InstanceId, Observation};
use tracing::info;
use vrrp::{Action, Event, Reason, Router, State, Timestamp};

/// One instance of a node.
#[derive(Clone, Debug)]
pub struct Member {
    /// Its `vrrp_instance` name.
    pub name: String,
    /// Its state machine.
    pub router: Router,
    /// What tracking last told the router.
    pub verdict: Verdict,
}

impl Member {
    /// An instance named `name` driven by `router`, not started yet.
    pub fn new(name: String, router: Router) -> Self {
        let verdict = Verdict {
            link_down: false,
            fault: false,
            priority: router.config().priority,
        };
        Member {
            name,
            router,
            verdict,
        }
    }
}

/// The VRRP instances of one host and everything above a single router (see the crate's
/// documentation).
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) members: ById<Member>,
    /// The routers' deadlines, updated after each event a router handles.
    pub(crate) timers: Timers,
    pub(crate) tracker: Tracker,
    pub(crate) pacer: Pacer,
    /// `vrrp_startup_delay`: instances started before this time wait until it.
    startup_until: Timestamp,
    /// Sync group members still to follow a transition.
    pub(crate) following: Vec<(InstanceId, State)>,
    /// A planted bug for the simulator's chaos campaigns: sync groups do not follow their
    /// members' transitions. Off unless [`Node::plant_unsynced_groups`] turns it on.
    unsynced_groups: bool,
}

impl Node {
    /// A node of `members` (in config order, as `tracker` numbers them), announcing through
    /// `pacer`, whose instances started before `startup_until` wait until then.
    pub fn new(
        members: Vec<Member>,
        tracker: Tracker,
        pacer: Pacer,
        startup_until: Timestamp,
    ) -> Self {
        let timers = Timers::of(members.iter().map(|m| m.router.next_deadline()));
        Node {
            members: members.into(),
            timers,
            tracker,
            pacer,
            startup_until,
            following: Vec::new(),
            unsynced_groups: false,
        }
    }

    /// Fault injection for the simulator's chaos campaigns, never called by havipd: with
    /// `on`, a member's transition no longer takes its sync group along (a planted bug the
    /// campaign's invariants must catch). A reload keeps the setting.
    #[doc(hidden)]
    pub fn plant_unsynced_groups(&mut self, on: bool) {
        self.unsynced_groups = on;
    }

    /// Its instances, tracking and pacer, to hand to [`Node::reload`] of a running node.
    pub fn into_parts(self) -> (Vec<Member>, Tracker, Pacer) {
        (self.members.into_vec(), self.tracker, self.pacer)
    }

    /// Every instance's id, in config order.
    pub fn ids(&self) -> impl Iterator<Item = InstanceId> + use<> {
        self.members.ids()
    }

    /// How many instances run.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no instance runs.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The instance called `name`.
    pub fn find(&self, name: &str) -> Option<InstanceId> {
        self.members.find(|m| m.name == name)
    }

    /// An instance's name.
    pub fn name(&self, id: InstanceId) -> &str {
        &self.members[id].name
    }

    /// An instance's router, to read.
    pub fn router(&self, id: InstanceId) -> &Router {
        &self.members[id].router
    }

    /// An instance's router, for the calls that return no actions (counters kept by the
    /// executor's authentication and sends). Events go through [`Node::handle`].
    pub fn router_mut(&mut self, id: InstanceId) -> &mut Router {
        &mut self.members[id].router
    }

    /// What tracking says about every instance.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The earliest time something is due: a router's timer, an announcement's turn, the end
    /// of a tracked process's delay.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        debug_assert_eq!(
            self.timers.earliest(),
            self.members
                .iter()
                .filter_map(|m| m.router.next_deadline())
                .min(),
            "the deadline index lost a router's change"
        );
        self.timers
            .earliest()
            .into_iter()
            .chain(self.pacer.next_deadline())
            .chain(self.tracker.next_deadline())
            .min()
    }

    /// Whether a master is still handing over to a successor (maintenance).
    pub fn handing_over(&self) -> bool {
        self.members.iter().any(|m| m.router.handing_over())
    }

    /// Runs `event` through instance `id`'s router at `now`, then lets its sync group follow;
    /// writes what is to be done into `out`.
    pub fn handle(&mut self, now: Timestamp, id: InstanceId, event: Event, out: &mut Vec<Effect>) {
        self.handle_followed(now, id, event, out);
    }

    /// [`Node::handle`], saying whether other members followed (their timers changed too).
    fn handle_followed(
        &mut self,
        now: Timestamp,
        id: InstanceId,
        event: Event,
        out: &mut Vec<Effect>,
    ) -> bool {
        let actions = self.members[id].router.handle(now, event);
        self.timers
            .set(id.index(), self.members[id].router.next_deadline());
        self.decide(id, actions, out);
        let followed = !self.following.is_empty();
        while let Some((m, to)) = self.following.pop() {
            let actions = self.members[m].router.handle(now, Event::SyncGroup(to));
            self.timers
                .set(m.index(), self.members[m].router.next_deadline());
            self.decide(m, actions, out);
        }
        followed
    }

    /// Starts instance `id`: its router learns what tracking says (silently: it has not
    /// started), waits out what is left of the start-up delay, and starts.
    pub fn start(&mut self, now: Timestamp, id: InstanceId, out: &mut Vec<Effect>) {
        let verdict = self.tracker.verdict(id.index());
        let m = &mut self.members[id];
        m.router
            .handle(now, Event::PriorityChange(verdict.priority));
        if verdict.link_down {
            m.router.handle(now, Event::InterfaceDown);
        }
        if verdict.fault {
            m.router.handle(now, Event::TrackFault(true));
        }
        m.verdict = verdict;
        if now < self.startup_until {
            m.router.delay_start(self.startup_until - now);
        }
        self.handle(now, id, Event::Startup, out);
    }

    /// Stops instance `id`: a master resigns with priority 0.
    pub fn stop(&mut self, now: Timestamp, id: InstanceId, out: &mut Vec<Effect>) {
        self.handle(now, id, Event::Shutdown, out);
    }

    /// Runs the routers' timers due at `now`, all at that instant (after tracked processes'
    /// delays that ended). Announcements due are taken with [`Node::due_announcements`].
    pub fn fire_timers(&mut self, now: Timestamp, out: &mut Vec<Effect>) {
        // In config order, each router checked when its turn comes (a sync group's follow-up
        // may make a later one due), as a scan of every instance would. Until a follow-up
        // changes another router's timers, the routers due in turn are those due at the start.
        let due = self.timers.take_due(now);
        let mut listed = due.iter().copied();
        let mut followed = false;
        let mut from = 0;
        loop {
            let next = if followed {
                self.timers.due_from(now, from)
            } else {
                listed.next()
            };
            let Some(k) = next else { break };
            let id = InstanceId::new(k);
            if let Some(t) = self.members[id].router.next_deadline() {
                out.push(Effect::TimerLate { id, by: now - t });
            }
            followed |= self.handle_followed(now, id, Event::Timer, out);
            from = k + 1;
        }
        self.timers.give_back(due);
    }

    /// Ends the tracked processes' delays due at `now` and tells the instances what changed.
    pub fn expire_tracking(&mut self, now: Timestamp, out: &mut Vec<Effect>) {
        if self.tracker.expire(now) {
            self.retrack_all(now, out);
        }
    }

    /// Takes a watcher's observation into account and tells the instances what changed.
    pub fn observe(&mut self, now: Timestamp, obs: &Observation, out: &mut Vec<Effect>) {
        let changed = match obs {
            Observation::Link { name, up } => {
                let changed = self.tracker.set_link(name, *up);
                if changed {
                    info!(interface = %name, up, "link state changed");
                }
                changed
            }
            Observation::Script { name, success } => {
                let changed = self.tracker.script_result(name, *success);
                if changed {
                    let ok = self.tracker.script_ok(name).unwrap_or(true);
                    info!(script = %name, "script is now {}", if ok { "OK" } else { "failing" });
                }
                changed
            }
            Observation::File { name, value } => self.tracker.set_file(name, *value),
            Observation::Bfd { name, up } => {
                let changed = self.tracker.set_bfd(name, *up);
                if changed {
                    info!(bfd = %name, up, "BFD session state changed");
                }
                changed
            }
            Observation::Process { source, crossing } => {
                let changed = self.tracker.process_crossing(now, *source, crossing);
                if changed {
                    let how = if crossing.in_quorum { "gained" } else { "lost" };
                    info!(process = %crossing.name, "tracked process quorum {how}");
                }
                changed
            }
        };
        if changed {
            self.retrack_all(now, out);
        }
    }

    /// Tells every instance what tracking says now.
    pub fn retrack_all(&mut self, now: Timestamp, out: &mut Vec<Effect>) {
        for id in self.ids() {
            self.retrack(now, id, out);
        }
    }

    /// Feeds instance `id` the differences between what tracking says now and what it last
    /// said.
    pub fn retrack(&mut self, now: Timestamp, id: InstanceId, out: &mut Vec<Effect>) {
        let new = self.tracker.verdict(id.index());
        let old = std::mem::replace(&mut self.members[id].verdict, new);
        if new.priority != old.priority {
            info!(instance = %self.members[id].name, from = old.priority, to = new.priority, "effective priority changed");
            let before = self.members[id].router.effective_priority();
            self.handle(now, id, Event::PriorityChange(new.priority), out);
            let r = &self.members[id].router;
            if r.effective_priority() != before {
                out.push(Effect::PriorityChanged {
                    id,
                    priority: r.effective_priority(),
                    master: r.state() == State::Master,
                });
            }
        }
        if new.link_down != old.link_down {
            let e = if new.link_down {
                Event::InterfaceDown
            } else {
                Event::InterfaceUp
            };
            self.handle(now, id, e, out);
        }
        if new.fault != old.fault {
            self.handle(now, id, Event::TrackFault(new.fault), out);
        }
    }

    /// Queues an announcement frame on the lane of `interface` (the physical interface it
    /// concerns).
    pub fn pace(&mut self, interface: &str, frame: Frame) {
        self.pacer.push(interface, frame);
    }

    /// Drops the announcements instance `id` still has queued (it no longer holds its
    /// addresses).
    pub fn forget_announcements(&mut self, id: InstanceId) {
        self.pacer.forget(&self.members[id].name);
    }

    /// The announcement frames whose turn has come at `now`, in order.
    pub fn due_announcements(&mut self, now: Timestamp) -> Vec<Frame> {
        self.pacer.due(now)
    }

    /// Turns instance `id`'s router actions into effects, queuing its sync group's follow-ups.
    fn decide(&mut self, id: InstanceId, actions: Vec<Action>, out: &mut Vec<Effect>) {
        let priority = self.members[id].router.effective_priority();
        for action in actions {
            out.push(match action {
                Action::SendAdvert(advert) => Effect::Advert { id, advert },
                Action::Transition { from, to, reason } => {
                    if reason != Reason::SyncGroup
                        && !self.unsynced_groups
                        && matches!(to, State::Master | State::Backup)
                    {
                        for m in self.tracker.group_peers(id.index()) {
                            self.following.push((InstanceId::new(m), to));
                        }
                    }
                    Effect::Transition {
                        id,
                        from,
                        to,
                        reason,
                        priority,
                    }
                }
                Action::AddVips => Effect::AddVips(id),
                Action::RemoveVips => Effect::RemoveVips(id),
                Action::Announce { repeat } => Effect::Announce { id, repeat },
                Action::Notify(notify) => Effect::Notify {
                    id,
                    notify,
                    priority,
                },
                Action::Dropped { from, reason } => Effect::Dropped { id, from, reason },
                Action::OwnerConflict { from } => Effect::OwnerConflict { id, from },
            });
        }
    }
}
