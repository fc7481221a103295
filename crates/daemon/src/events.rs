//! Transitions as they happen: the last ones kept for `havip events`, and a broadcast for
//! `havip events --follow`. Bounded both ways: the history keeps [`HISTORY`] records and a
//! follower that falls more than [`FOLLOW_BUFFER`] behind is told how many it missed.

use ctl::EventRecord;
use std::collections::VecDeque;
use tokio::sync::broadcast;

/// Transitions kept in memory.
pub const HISTORY: usize = 1000;
/// Transitions a slow follower may lag behind.
pub const FOLLOW_BUFFER: usize = 256;

/// The transition history and its followers.
pub struct Events {
    history: VecDeque<EventRecord>,
    live: broadcast::Sender<EventRecord>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            history: VecDeque::with_capacity(64),
            live: broadcast::channel(FOLLOW_BUFFER).0,
        }
    }
}

impl Events {
    /// Records a transition and tells the followers.
    pub fn push(&mut self, record: EventRecord) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(record.clone());
        // No follower is not an error.
        let _ = self.live.send(record);
    }

    /// The kept transitions, oldest first.
    pub fn history(&self) -> Vec<EventRecord> {
        self.history.iter().cloned().collect()
    }

    /// A receiver of the transitions from now on.
    pub fn follow(&self) -> broadcast::Receiver<EventRecord> {
        self.live.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> EventRecord {
        EventRecord {
            time: n as f64,
            instance: format!("VI_{n}"),
            from: "BACKUP".into(),
            to: "MASTER".into(),
            reason: "test".into(),
            priority: 100,
        }
    }

    #[test]
    fn history_is_bounded_and_keeps_the_newest() {
        let mut e = Events::default();
        for n in 0..HISTORY + 5 {
            e.push(record(n));
        }
        let h = e.history();
        assert_eq!(h.len(), HISTORY);
        assert_eq!(h[0].instance, "VI_5");
        assert_eq!(h[HISTORY - 1].instance, format!("VI_{}", HISTORY + 4));
    }

    #[test]
    fn a_slow_follower_learns_how_many_it_missed() {
        let mut e = Events::default();
        let mut rx = e.follow();
        for n in 0..FOLLOW_BUFFER + 3 {
            e.push(record(n));
        }
        assert_eq!(
            rx.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(3))
        );
        assert_eq!(rx.try_recv().expect("next").instance, "VI_3");
    }
}
