//! Whether a `vrrp_track_process` has its quorum, with keepalived's `fork_delay` and
//! `terminate_delay` as deadlines: a count that crosses a bound because of a fork (an exit) is
//! believed only once `fork_delay` (`terminate_delay`) has passed, unless a crossing back comes
//! first and cancels it (keepalived's `check_process_fork`, `check_process_termination`,
//! `reinitialise_track_processes`).

use super::processes::{Cause, Crossing};
use vrrp::{Micros, Timestamp};

/// The delay waiting, by what started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Fork(Timestamp),
    Terminate(Timestamp),
}

/// One tracked process's quorum.
#[derive(Clone, Debug)]
pub struct Quorum {
    /// What the instances act on.
    have: bool,
    /// Whether the count is within its bounds, as last reported.
    in_quorum: bool,
    pending: Option<Pending>,
    fork_delay: Micros,
    terminate_delay: Micros,
}

impl Quorum {
    /// A process with these delays, taken to have its quorum until the first scan says.
    pub fn new(fork_delay_us: u64, terminate_delay_us: u64) -> Self {
        Quorum {
            have: true,
            in_quorum: true,
            pending: None,
            fork_delay: Micros(fork_delay_us),
            terminate_delay: Micros(terminate_delay_us),
        }
    }

    /// Whether the instances see the quorum.
    pub fn have(&self) -> bool {
        self.have
    }

    /// When a delay ends, if one is waiting.
    pub fn deadline(&self) -> Option<Timestamp> {
        match self.pending? {
            Pending::Fork(t) | Pending::Terminate(t) => Some(t),
        }
    }

    fn settle(&mut self) -> bool {
        let changed = self.have != self.in_quorum;
        self.have = self.in_quorum;
        changed
    }

    /// Takes a crossing into account at `now`. Returns whether [`Quorum::have`] changed.
    pub fn cross(&mut self, now: Timestamp, c: &Crossing) -> bool {
        self.in_quorum = c.in_quorum;
        match c.cause {
            Cause::Start => {
                self.pending = None;
                self.settle()
            }
            Cause::Fork => match self.pending {
                Some(Pending::Terminate(_)) => {
                    self.pending = None;
                    self.settle()
                }
                _ if self.fork_delay > Micros::ZERO => {
                    self.pending = Some(Pending::Fork(now + self.fork_delay));
                    false
                }
                _ => self.settle(),
            },
            Cause::Exit => match self.pending {
                Some(Pending::Fork(_)) => {
                    self.pending = None;
                    self.settle()
                }
                _ if self.terminate_delay > Micros::ZERO => {
                    self.pending = Some(Pending::Terminate(now + self.terminate_delay));
                    false
                }
                _ => self.settle(),
            },
            Cause::Exec => {
                // A process gained cancels a termination delay, one lost a fork delay.
                let cancels = match self.pending {
                    Some(Pending::Terminate(_)) => c.grew,
                    Some(Pending::Fork(_)) => !c.grew,
                    None => false,
                };
                if cancels {
                    self.pending = None;
                }
                self.settle()
            }
            Cause::Rescan => {
                let (delay, pending): (Micros, fn(Timestamp) -> Pending) = if c.in_quorum {
                    (self.fork_delay, Pending::Fork)
                } else {
                    (self.terminate_delay, Pending::Terminate)
                };
                self.pending = None;
                if delay > Micros::ZERO {
                    self.pending = Some(pending(now + delay));
                    false
                } else {
                    self.settle()
                }
            }
        }
    }

    /// Ends a delay that is due at `now`. Returns whether [`Quorum::have`] changed.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        if self.deadline().is_some_and(|t| t <= now) {
            self.pending = None;
            return self.settle();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(in_quorum: bool, grew: bool, cause: Cause) -> Crossing {
        Crossing {
            name: "p".into(),
            in_quorum,
            grew,
            cause,
        }
    }

    const S: u64 = 1_000_000;

    #[test]
    fn without_delays_every_crossing_applies_at_once() {
        let mut q = Quorum::new(0, 0);
        assert!(q.cross(Timestamp(0), &c(false, false, Cause::Start)));
        assert!(!q.have());
        assert!(q.cross(Timestamp(1), &c(true, true, Cause::Fork)));
        assert!(q.cross(Timestamp(2), &c(false, false, Cause::Exit)));
        assert_eq!(q.deadline(), None);
    }

    #[test]
    fn terminate_delay_waits_and_a_new_process_cancels_it() {
        let mut q = Quorum::new(0, 2 * S);
        q.cross(Timestamp(0), &c(true, false, Cause::Start));
        assert!(!q.cross(Timestamp(10 * S), &c(false, false, Cause::Exit)));
        assert_eq!(q.deadline(), Some(Timestamp(12 * S)));
        assert!(!q.expire(Timestamp(12 * S - 1)), "not yet");
        assert!(q.have());
        assert!(q.expire(Timestamp(12 * S)));
        assert!(!q.have());
        // Lost again, then a fork brings it back before the delay ends: nothing happens.
        q.cross(Timestamp(20 * S), &c(true, true, Cause::Exec));
        assert!(q.have());
        assert!(!q.cross(Timestamp(30 * S), &c(false, false, Cause::Exit)));
        assert!(!q.cross(Timestamp(31 * S), &c(true, true, Cause::Fork)));
        assert_eq!(q.deadline(), None);
        assert!(q.have());
        assert!(!q.expire(Timestamp(40 * S)));
    }

    #[test]
    fn fork_delay_waits_and_an_exit_cancels_it() {
        let mut q = Quorum::new(S, 0);
        q.cross(Timestamp(0), &c(false, false, Cause::Start));
        assert!(!q.cross(Timestamp(5 * S), &c(true, true, Cause::Fork)));
        assert!(!q.have());
        assert!(!q.cross(Timestamp(5 * S + 1), &c(false, false, Cause::Exit)));
        assert_eq!(q.deadline(), None, "the exit cancelled the fork delay");
        assert!(!q.have());
        q.cross(Timestamp(7 * S), &c(true, true, Cause::Fork));
        assert!(q.expire(Timestamp(8 * S)));
        assert!(q.have());
    }

    #[test]
    fn exec_applies_at_once_and_a_rescan_uses_the_delay_of_its_direction() {
        let mut q = Quorum::new(3 * S, 2 * S);
        q.cross(Timestamp(0), &c(true, false, Cause::Start));
        assert!(q.cross(Timestamp(1), &c(false, false, Cause::Exec)));
        assert!(!q.cross(Timestamp(S), &c(true, true, Cause::Rescan)));
        assert_eq!(q.deadline(), Some(Timestamp(4 * S)));
        assert!(q.expire(Timestamp(4 * S)));
        assert!(q.have());
        assert!(!q.cross(Timestamp(5 * S), &c(false, false, Cause::Rescan)));
        assert_eq!(q.deadline(), Some(Timestamp(7 * S)));
    }
}
