//! The routers' deadlines, ordered: the node's earliest deadline and the routers due at a
//! time without scanning every instance on each wake-up (a backup of 200 instances at 0.01 s
//! wakes thousands of times a second; the scan was a third of its CPU).
//!
//! The index holds each router's [`Router::next_deadline`](vrrp::Router::next_deadline) as it
//! was after the router last handled an event: the node updates an instance's entry after
//! every event it gives that instance's router, the only way a router's timers change.

use std::collections::BTreeSet;
use vrrp::Timestamp;

/// Each instance's next deadline (by index), and the same ordered by time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    by_time: BTreeSet<(Timestamp, usize)>,
    at: Vec<Option<Timestamp>>,
    /// The list [`Timers::take_due`] hands out, kept between calls (no allocation per wake-up).
    due: Vec<usize>,
}

impl Timers {
    /// The index of `deadlines` (instance `k`'s at `k`).
    pub(crate) fn of(deadlines: impl IntoIterator<Item = Option<Timestamp>>) -> Self {
        let mut t = Timers::default();
        for (k, d) in deadlines.into_iter().enumerate() {
            t.at.push(None);
            t.set(k, d);
        }
        t
    }

    /// Instance `k`'s deadline is now `deadline`.
    pub(crate) fn set(&mut self, k: usize, deadline: Option<Timestamp>) {
        let old = std::mem::replace(&mut self.at[k], deadline);
        if old == deadline {
            return;
        }
        if let Some(t) = old {
            self.by_time.remove(&(t, k));
        }
        if let Some(t) = deadline {
            self.by_time.insert((t, k));
        }
    }

    /// The earliest deadline of all.
    pub(crate) fn earliest(&self) -> Option<Timestamp> {
        self.by_time.first().map(|(t, _)| *t)
    }

    /// The instances whose deadline is at or before `now`, by index; give the list back with
    /// [`Timers::give_back`].
    pub(crate) fn take_due(&mut self, now: Timestamp) -> Vec<usize> {
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        due.extend(
            self.by_time
                .iter()
                .take_while(|(t, _)| *t <= now)
                .map(|(_, k)| *k),
        );
        due.sort_unstable();
        due
    }

    /// Keeps the list [`Timers::take_due`] handed out for the next call.
    pub(crate) fn give_back(&mut self, due: Vec<usize>) {
        self.due = due;
    }

    /// The lowest instance index at or after `from` whose deadline is at or before `now`.
    pub(crate) fn due_from(&self, now: Timestamp, from: usize) -> Option<usize> {
        self.by_time
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, k)| *k)
            .filter(|k| *k >= from)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(us: u64) -> Option<Timestamp> {
        Some(Timestamp(us))
    }

    #[test]
    fn the_earliest_and_the_due_follow_every_change() {
        let mut t = Timers::of([ts(30), None, ts(10), ts(10)]);
        assert_eq!(t.earliest(), ts(10));
        assert_eq!(t.due_from(Timestamp(10), 0), Some(2));
        assert_eq!(t.due_from(Timestamp(10), 3), Some(3));
        assert_eq!(t.due_from(Timestamp(10), 4), None);
        assert_eq!(t.due_from(Timestamp(30), 0), Some(0));
        let due = t.take_due(Timestamp(10));
        assert_eq!(due, [2, 3]);
        t.give_back(due);
        assert_eq!(t.take_due(Timestamp(30)), [0, 2, 3]);
        assert!(t.take_due(Timestamp(9)).is_empty());
        t.set(2, ts(50));
        t.set(3, None);
        assert_eq!(t.earliest(), ts(30));
        assert_eq!(t.due_from(Timestamp(29), 0), None);
        t.set(1, ts(5));
        t.set(0, None);
        assert_eq!(t.earliest(), ts(5));
        assert_eq!(t.due_from(Timestamp(100), 2), Some(2));
        for k in 0..4 {
            t.set(k, None);
        }
        assert_eq!(t.earliest(), None);
    }
}
