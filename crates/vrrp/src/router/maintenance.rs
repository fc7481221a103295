//! Maintenance: a planned switchover without an outage. The master sends a priority-0 advert
//! (the peer with the best priority takes over after its Skew_Time, as on a resignation) but,
//! unlike a resignation, keeps its addresses and keeps answering for them until the successor
//! has advertised and announced itself; only then does it release them. Meanwhile it is a
//! backup at priority 1, so it preempts no one; if no successor shows up within
//! Master_Down_Interval it takes the role back (the addresses never left).

use super::{Action, HANDOVER_LINGER, Handover, Notify, Reason, Router, State};
use crate::config::PRIORITY_OWNER;
use crate::time::Timestamp;
use std::net::IpAddr;

/// The priority of an instance in maintenance: the lowest that still takes over when no other
/// router is left.
const MAINTENANCE_PRIORITY: u8 = 1;

impl Router {
    pub(super) fn set_maintenance(&mut self, now: Timestamp, on: bool, out: &mut Vec<Action>) {
        if on == self.maintenance {
            return;
        }
        self.maintenance = on;
        if !on {
            self.effective_priority = if self.cfg.priority == PRIORITY_OWNER {
                PRIORITY_OWNER
            } else {
                self.tracked_priority
            };
            return;
        }
        self.effective_priority = MAINTENANCE_PRIORITY;
        if self.state == State::Master {
            self.send_advert(0, out);
            self.clear_master_timers();
            self.enter(State::Backup, Reason::Maintenance, out);
            out.push(Action::Notify(Notify::Backup));
            self.stats.release_master += 1;
            self.handover = Some(Handover { release_at: None });
            self.resign_seen = false;
            self.preempt_until = None;
            let mdi = self.master_down_interval();
            self.start_down_timer(now, mdi);
        }
    }

    /// A backup still holding the addresses sees an advert: a successor (priority above 0,
    /// another address) starts the countdown to their release.
    pub(super) fn successor_seen(&mut self, now: Timestamp, src: IpAddr, priority: u8) {
        if let Some(h) = &mut self.handover
            && h.release_at.is_none()
            && priority > 0
            && src != self.cfg.primary_address
        {
            h.release_at = Some(now + HANDOVER_LINGER);
        }
    }

    /// Leaving BACKUP other than by becoming master: the addresses still held go now.
    pub(super) fn drop_handover(&mut self, out: &mut Vec<Action>) {
        if self.handover.take().is_some() {
            out.push(Action::RemoveVips);
        }
    }
}
