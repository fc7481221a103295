//! The data plane's change feed: every commit gets the next version; the changes the data
//! plane forwards by (VPCs, subnets, ENIs, EIPs, HAVIPs) are kept for the last
//! [`FEED_ENTRIES`] versions that had any, so a data plane that is current or a little behind
//! gets only what changed, and one further behind (or new, or following an earlier run of the
//! server, told apart by the epoch) gets the whole state.

use crate::cloud::Change;
use std::collections::VecDeque;

/// Versions with forwarding changes kept for data planes that are behind.
pub const FEED_ENTRIES: usize = 1024;

/// Versions and the recent forwarding changes.
#[derive(Debug, Default)]
pub struct Feed {
    version: u64,
    log: VecDeque<(u64, Vec<Change>)>,
    /// The newest version whose entry was dropped from the log.
    dropped_through: u64,
}

/// What a data plane at some version needs to be current.
#[derive(Debug, PartialEq)]
pub enum Catchup {
    /// These changes, in order.
    Changes(Vec<Change>),
    /// The log no longer reaches back far enough (or the version is not this run's): the whole
    /// state.
    Everything,
}

/// Whether the data plane forwards by this change (history, tasks and tokens it does not).
fn forwards_by(c: &Change) -> bool {
    matches!(
        c,
        Change::Vpc(_)
            | Change::Subnet(_)
            | Change::Eni(_)
            | Change::Address(_)
            | Change::HaVip(_)
            | Change::RouteTable(_)
            | Change::DeleteHaVip(_)
    )
}

impl Feed {
    /// The current version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Records a commit; returns its version.
    pub fn record(&mut self, changes: &[Change]) -> u64 {
        self.version += 1;
        let kept: Vec<Change> = changes.iter().filter(|c| forwards_by(c)).cloned().collect();
        if !kept.is_empty() {
            self.log.push_back((self.version, kept));
            if self.log.len() > FEED_ENTRIES
                && let Some((v, _)) = self.log.pop_front()
            {
                self.dropped_through = v;
            }
        }
        self.version
    }

    /// What a data plane that has applied everything through `after` needs.
    pub fn since(&self, after: u64) -> Catchup {
        if after > self.version || after < self.dropped_through {
            return Catchup::Everything;
        }
        let start = self.log.partition_point(|(v, _)| *v <= after);
        Catchup::Changes(
            self.log
                .range(start..)
                .flat_map(|(_, c)| c.iter().cloned())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u64) -> Change {
        Change::Token {
            token: n.to_string(),
            id: String::new(),
        }
    }

    fn delete(n: u64) -> Change {
        Change::DeleteHaVip(format!("havip-{n}"))
    }

    #[test]
    fn a_current_or_slightly_behind_reader_gets_only_what_changed() {
        let mut f = Feed::default();
        assert_eq!(f.record(&[delete(1), token(1)]), 1);
        assert_eq!(f.record(&[token(2)]), 2);
        assert_eq!(f.record(&[delete(3)]), 3);
        assert_eq!(f.since(3), Catchup::Changes(vec![]));
        assert_eq!(f.since(1), Catchup::Changes(vec![delete(3)]));
        assert_eq!(f.since(0), Catchup::Changes(vec![delete(1), delete(3)]));
        assert_eq!(
            f.since(4),
            Catchup::Everything,
            "a version from another run"
        );
    }

    #[test]
    fn the_log_is_bounded_and_a_reader_behind_it_gets_everything() {
        let mut f = Feed::default();
        for n in 1..=(FEED_ENTRIES as u64 + 10) {
            f.record(&[delete(n)]);
        }
        assert_eq!(f.log.len(), FEED_ENTRIES);
        assert_eq!(f.since(0), Catchup::Everything);
        assert_eq!(f.since(9), Catchup::Everything);
        let Catchup::Changes(c) = f.since(10) else {
            panic!("version 10 is the oldest dropped one: everything after it is kept")
        };
        assert_eq!(c.len(), FEED_ENTRIES);
    }
}
