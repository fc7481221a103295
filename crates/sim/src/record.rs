//! What a simulation run records, and the questions asked of it: who held the virtual
//! addresses when, how long nobody did (outage), and when more than one did (split brain).

use serde::Serialize;
use vrrp::{Micros, Reason, State, Timestamp};

/// Index of a node in its [`crate::Network`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub usize);

/// A state change of one instance of a node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TransitionRecord {
    /// When.
    pub at: Timestamp,
    /// Which node.
    pub node: NodeId,
    /// Which of its instances, by network-wide key ([`crate::Network::instance_name`]).
    pub instance: u32,
    /// Old state.
    pub from: State,
    /// New state.
    pub to: State,
    /// Why.
    pub reason: Reason,
}

/// A node's instance started or stopped holding its virtual addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VipRecord {
    /// When.
    pub at: Timestamp,
    /// Which node.
    pub node: NodeId,
    /// Which of its instances, by network-wide key ([`crate::Network::instance_name`]).
    pub instance: u32,
    /// Holds them from now on (true) or not (false).
    pub holds: bool,
}

/// An advert that reached a node's router (recorded when delivery tracing is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// Arrival time.
    pub at: Timestamp,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Advertised priority.
    pub priority: u8,
}

/// A half-open interval of virtual time, `[start, end)`; `end` is `None` while still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Interval {
    /// Start.
    pub start: Timestamp,
    /// End, if it ended.
    pub end: Option<Timestamp>,
}

impl Interval {
    /// Length up to `end` (or up to `now` if still open).
    pub fn length(&self, now: Timestamp) -> Micros {
        self.end.unwrap_or(now) - self.start
    }
}

/// Intervals in which the number of holders among `nodes` satisfies `pred`.
pub fn holder_intervals(
    vips: &[VipRecord],
    nodes: &[NodeId],
    from: Timestamp,
    pred: impl Fn(usize) -> bool,
) -> Vec<Interval> {
    let mut holding = vec![false; nodes.iter().map(|n| n.0 + 1).max().unwrap_or(0)];
    let count = |holding: &[bool]| nodes.iter().filter(|n| holding[n.0]).count();
    let mut out: Vec<Interval> = Vec::new();
    let mut i = 0;
    // Replay history up to `from` to know who held the addresses then.
    while i < vips.len() && vips[i].at < from {
        if nodes.contains(&vips[i].node) {
            holding[vips[i].node.0] = vips[i].holds;
        }
        i += 1;
    }
    let mut open: Option<Timestamp> = pred(count(&holding)).then_some(from);
    while i < vips.len() {
        let at = vips[i].at;
        // Apply every change at the same instant before judging, so a hand-over that
        // happens within one instant is not counted as an overlap or a gap.
        while i < vips.len() && vips[i].at == at {
            if nodes.contains(&vips[i].node) {
                holding[vips[i].node.0] = vips[i].holds;
            }
            i += 1;
        }
        match (open, pred(count(&holding))) {
            (None, true) => open = Some(at),
            (Some(start), false) => {
                if at > start {
                    out.push(Interval {
                        start,
                        end: Some(at),
                    });
                }
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push(Interval { start, end: None });
    }
    out
}

/// The records of one instance (by key), for the questions below on a multi-instance run.
pub fn of_instance(records: &[VipRecord], instance: u32) -> Vec<VipRecord> {
    records
        .iter()
        .filter(|r| r.instance == instance)
        .copied()
        .collect()
}

/// Intervals when two or more of `nodes` held the addresses at once.
pub fn split_brain(vips: &[VipRecord], nodes: &[NodeId]) -> Vec<Interval> {
    holder_intervals(vips, nodes, Timestamp(0), |n| n >= 2)
}

/// Intervals after `from` when none of `nodes` held (or, given serving records, served) the
/// addresses.
pub fn outages(vips: &[VipRecord], nodes: &[NodeId], from: Timestamp) -> Vec<Interval> {
    holder_intervals(vips, nodes, from, |n| n == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: u64, node: usize, holds: bool) -> VipRecord {
        VipRecord {
            at: Timestamp(at),
            node: NodeId(node),
            instance: 0,
            holds,
        }
    }

    #[test]
    fn outages_and_overlaps() {
        let (a, b) = (NodeId(0), NodeId(1));
        let log = [
            rec(5, 0, true),
            rec(10, 0, false),
            rec(13, 1, true),
            rec(20, 0, true),
            rec(21, 1, false),
        ];
        assert_eq!(
            outages(&log, &[a, b], Timestamp(0)),
            vec![
                Interval {
                    start: Timestamp(0),
                    end: Some(Timestamp(5))
                },
                Interval {
                    start: Timestamp(10),
                    end: Some(Timestamp(13))
                },
            ]
        );
        assert_eq!(
            outages(&log, &[a, b], Timestamp(7)),
            vec![Interval {
                start: Timestamp(10),
                end: Some(Timestamp(13))
            }]
        );
        assert_eq!(
            split_brain(&log, &[a, b]),
            vec![Interval {
                start: Timestamp(20),
                end: Some(Timestamp(21))
            }]
        );
    }

    #[test]
    fn a_handover_within_one_instant_is_neither_gap_nor_overlap() {
        let (a, b) = (NodeId(0), NodeId(1));
        let log = [rec(1, 0, true), rec(9, 1, true), rec(9, 0, false)];
        assert!(split_brain(&log, &[a, b]).is_empty());
        assert!(outages(&log, &[a, b], Timestamp(2)).is_empty());
    }

    #[test]
    fn open_intervals_stay_open() {
        let log = [rec(1, 0, true), rec(4, 0, false)];
        let o = outages(&log, &[NodeId(0)], Timestamp(2));
        assert_eq!(
            o,
            vec![Interval {
                start: Timestamp(4),
                end: None
            }]
        );
        assert_eq!(o[0].length(Timestamp(10)), Micros(6));
    }
}
