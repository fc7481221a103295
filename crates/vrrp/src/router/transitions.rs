//! State changes: start-up, becoming and leaving master, FAULT, and shutdown.

use super::{Action, Notify, Reason, Router, State};
use crate::config::PRIORITY_OWNER;
use crate::time::{Micros, Timestamp};
use crate::timing;

impl Router {
    pub(super) fn on_startup(&mut self, now: Timestamp, out: &mut Vec<Action>) {
        if self.state != State::Init {
            return;
        }
        let delay = std::mem::replace(&mut self.start_delay, Micros::ZERO);
        if delay > Micros::ZERO {
            self.hold_until = Some(now + delay);
        }
        if self.link_down || self.track_fault {
            let reason = if self.link_down {
                Reason::InterfaceDown
            } else {
                Reason::TrackFault
            };
            self.enter(State::Fault, reason, out);
            out.push(Action::Notify(Notify::Fault));
            return;
        }
        if delay > Micros::ZERO {
            self.master_interval = Micros(self.cfg.advert_interval.micros());
            self.start_down_timer(now, delay + self.master_down_interval());
            self.enter(State::Backup, Reason::Startup, out);
            out.push(Action::Notify(Notify::Backup));
            return;
        }
        if self.cfg.priority == PRIORITY_OWNER {
            self.become_master(now, Reason::Owner, out);
            return;
        }
        // keepalived: `state MASTER` without ownership starts as backup and waits one interval
        // plus the smallest skew for a master; `state BACKUP` waits Master_Down_Interval.
        self.master_interval = Micros(self.cfg.advert_interval.micros());
        let wait = if self.cfg.start_as_master {
            self.master_interval + timing::min_skew(self.cfg.version, self.master_interval)
        } else {
            self.master_down_interval()
        };
        self.start_down_timer(now, wait);
        self.enter(State::Backup, Reason::Startup, out);
        out.push(Action::Notify(Notify::Backup));
    }

    /// RFC 5798 §6.4.2 "Transition to Master": advert first (so the old master drops the
    /// addresses before our GARPs), then addresses, announcements, notification.
    pub(super) fn become_master(&mut self, now: Timestamp, reason: Reason, out: &mut Vec<Action>) {
        let garp = self.cfg.garp;
        self.master_interval = Micros(self.cfg.advert_interval.micros());
        self.send_advert(self.effective_priority, out);
        self.enter(State::Master, reason, out);
        out.push(Action::AddVips);
        self.announce(garp.master_repeat, out);
        out.push(Action::Notify(Notify::Master));
        self.stats.become_master += 1;
        self.down_timer = None;
        self.preempt_until = None;
        self.resign_seen = false;
        self.advert_timer = Some(now + self.master_interval);
        self.garp_timer = (!garp.master_delay.is_zero()).then(|| now + garp.master_delay);
        self.garp_refresh_due = (!garp.master_refresh.is_zero()).then(|| now + garp.master_refresh);
        self.lower_prio_garp_timer = None;
        // A handover that found no successor: the addresses were kept, AddVips is a no-op.
        self.handover = None;
    }

    /// Master -> Backup on a better advert (RFC 5798 §6.4.3).
    pub(super) fn yield_to(&mut self, now: Timestamp, reason: Reason, out: &mut Vec<Action>) {
        self.clear_master_timers();
        self.enter(State::Backup, reason, out);
        out.push(Action::RemoveVips);
        out.push(Action::Notify(Notify::Backup));
        self.stats.release_master += 1;
        self.preempt_until = None;
        let mdi = self.master_down_interval();
        self.start_down_timer(now, mdi);
    }

    pub(super) fn set_fault(
        &mut self,
        now: Timestamp,
        link_down: bool,
        track_fault: bool,
        reason: Reason,
        out: &mut Vec<Action>,
    ) {
        let was_faulty = self.link_down || self.track_fault;
        self.link_down = link_down;
        self.track_fault = track_fault;
        let faulty = link_down || track_fault;
        match (was_faulty, faulty, self.state) {
            (false, true, State::Master) => {
                // keepalived sends a priority-0 advert when a master goes to FAULT.
                self.send_advert(0, out);
                self.clear_master_timers();
                self.enter(State::Fault, reason, out);
                out.push(Action::RemoveVips);
                out.push(Action::Notify(Notify::Fault));
                self.stats.release_master += 1;
            }
            (false, true, State::Backup) => {
                self.down_timer = None;
                self.drop_handover(out);
                self.enter(State::Fault, reason, out);
                out.push(Action::Notify(Notify::Fault));
            }
            (true, false, State::Fault) => {
                if self.cfg.priority == PRIORITY_OWNER {
                    self.become_master(now, reason, out);
                } else {
                    self.master_interval = Micros(self.cfg.advert_interval.micros());
                    self.preempt_until = None;
                    let mdi = self.master_down_interval();
                    self.start_down_timer(now, mdi);
                    self.enter(State::Backup, reason, out);
                    out.push(Action::Notify(Notify::Backup));
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_shutdown(&mut self, out: &mut Vec<Action>) {
        match self.state {
            State::Stopped => return,
            State::Master => {
                self.send_advert(0, out);
                self.clear_master_timers();
                self.enter(State::Stopped, Reason::Shutdown, out);
                out.push(Action::RemoveVips);
                self.stats.release_master += 1;
            }
            _ => {
                self.down_timer = None;
                self.drop_handover(out);
                self.enter(State::Stopped, Reason::Shutdown, out);
            }
        }
        out.push(Action::Notify(Notify::Stop));
    }

    pub(super) fn master_down_interval(&self) -> Micros {
        timing::master_down_interval(
            self.cfg.version,
            self.cfg.down_timer_adverts,
            self.effective_priority,
            self.master_interval,
        )
    }

    pub(super) fn start_down_timer(&mut self, now: Timestamp, wait: Micros) {
        self.down_timer = Some(now + wait);
        self.down_timer_started = now;
    }

    pub(super) fn clear_master_timers(&mut self) {
        self.advert_timer = None;
        self.garp_timer = None;
        self.lower_prio_garp_timer = None;
        self.garp_refresh_due = None;
    }

    pub(super) fn enter(&mut self, to: State, reason: Reason, out: &mut Vec<Action>) {
        out.push(Action::Transition {
            from: self.state,
            to,
            reason,
        });
        self.state = to;
    }
}
