//! Announcement pacing: `vrrp_garp_interval` / `vrrp_gna_interval` and `garp_group`. Frames
//! leaving by interfaces of one lane (an interface, or a `garp_group`'s `interfaces`, which share
//! a switch) are spaced by the lane's interval; frames never wait when the interval is 0.
//! Pure logic: the loop pushes frames and sends what [`Pacer::due`] returns.

use conf::model::Config;
use std::collections::{HashMap, VecDeque};
use vrrp::{Micros, Timestamp};

/// A frame waiting for its turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Interface index it leaves by.
    pub ifindex: u32,
    /// The Ethernet frame.
    pub bytes: Vec<u8>,
    /// An unsolicited NA (paced by the NA interval) rather than a GARP.
    pub neighbour_advert: bool,
    /// The instance announcing.
    pub instance: String,
}

#[derive(Clone, Debug, Default)]
struct Lane {
    garp: Micros,
    gna: Micros,
    next_free: Timestamp,
    queue: VecDeque<Frame>,
}

/// Frames a lane holds at most: past it the oldest is dropped (a newer announcement of the
/// same address says the same, later).
const LANE_MAX: usize = 4096;

/// Lanes of paced frames.
#[derive(Clone, Debug, Default)]
pub struct Pacer {
    lanes: Vec<Lane>,
    by_interface: HashMap<String, usize>,
    default_garp: Micros,
    default_gna: Micros,
    /// Frames dropped from full lanes.
    pub dropped: u64,
}

impl Pacer {
    /// Lanes from the global intervals and the config's `garp_group`s.
    pub fn new(cfg: &Config) -> Self {
        let mut p = Pacer {
            default_garp: Micros(cfg.global.garp_interval_us()),
            default_gna: Micros(cfg.global.gna_interval_us()),
            ..Pacer::default()
        };
        for group in &cfg.garp_groups {
            let lane = p.lanes.len();
            p.lanes.push(Lane {
                garp: Micros(group.garp_interval_us().unwrap_or(p.default_garp.0)),
                gna: Micros(group.gna_interval_us().unwrap_or(p.default_gna.0)),
                ..Lane::default()
            });
            for name in group.garp_interfaces() {
                p.by_interface.insert(name, lane);
            }
        }
        p
    }

    fn lane(&mut self, interface: &str) -> usize {
        if let Some(&l) = self.by_interface.get(interface) {
            return l;
        }
        let l = self.lanes.len();
        self.lanes.push(Lane {
            garp: self.default_garp,
            gna: self.default_gna,
            ..Lane::default()
        });
        self.by_interface.insert(interface.to_string(), l);
        l
    }

    /// Queues a frame for the lane of `interface` (the physical interface it concerns).
    pub fn push(&mut self, interface: &str, frame: Frame) {
        let l = self.lane(interface);
        let queue = &mut self.lanes[l].queue;
        if queue.len() >= LANE_MAX {
            queue.pop_front();
            self.dropped += 1;
            if self.dropped % 1000 == 1 {
                tracing::warn!(
                    interface,
                    dropped = self.dropped,
                    "announcement queue full: the oldest frames are dropped"
                );
            }
        }
        queue.push_back(frame);
    }

    /// Takes over the frames `old` still holds for instances `keep` accepts, in their order
    /// (a reload keeps the announcements of the instances it leaves untouched).
    pub fn carry_over(&mut self, old: Pacer, keep: impl Fn(&str) -> bool) {
        let mut names: Vec<(usize, String)> =
            old.by_interface.into_iter().map(|(n, l)| (l, n)).collect();
        names.sort();
        for (l, name) in names {
            for frame in old.lanes[l].queue.iter().filter(|f| keep(&f.instance)) {
                self.push(&name, frame.clone());
            }
        }
    }

    /// Drops the frames `instance` still has queued (it no longer holds its addresses).
    pub fn forget(&mut self, instance: &str) {
        for lane in &mut self.lanes {
            lane.queue.retain(|f| f.instance != instance);
        }
    }

    /// Frames whose turn has come at `now`, in order.
    pub fn due(&mut self, now: Timestamp) -> Vec<Frame> {
        let mut out = Vec::new();
        for lane in &mut self.lanes {
            while lane.next_free <= now {
                let Some(f) = lane.queue.pop_front() else {
                    break;
                };
                let gap = if f.neighbour_advert {
                    lane.gna
                } else {
                    lane.garp
                };
                if !gap.is_zero() {
                    lane.next_free = now + gap;
                }
                out.push(f);
            }
        }
        out
    }

    /// When the next queued frame may go, if any waits.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.lanes
            .iter()
            .filter(|l| !l.queue.is_empty())
            .map(|l| l.next_free)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(text: &str) -> Pacer {
        let r = conf::check_text(text, &conf::Options::default());
        Pacer::new(&r.config)
    }

    fn frame(n: u8, na: bool) -> Frame {
        Frame {
            ifindex: 1,
            bytes: vec![n],
            neighbour_advert: na,
            instance: format!("VI_{n}"),
        }
    }

    #[test]
    fn a_lane_holds_a_bounded_number_of_frames() {
        let mut p = pacer("global_defs {\n    vrrp_garp_interval 1\n}\n");
        for n in 0..(LANE_MAX + 5) {
            p.push("eth0", frame((n % 200) as u8, false));
        }
        assert_eq!(p.dropped, 5);
        assert_eq!(p.lanes[p.by_interface["eth0"]].queue.len(), LANE_MAX);
    }

    #[test]
    fn a_reload_keeps_the_frames_of_instances_it_keeps() {
        let text = "global_defs {\n    vrrp_garp_interval 1\n}\n";
        let mut old = pacer(text);
        for n in 0..4 {
            old.push("eth0", frame(n, false));
        }
        let mut new = pacer(text);
        new.carry_over(old, |i| i != "VI_2");
        let sent: Vec<u8> = std::iter::from_fn(|| {
            let now = new.next_deadline()?;
            Some(new.due(now))
        })
        .flatten()
        .map(|f| f.bytes[0])
        .collect();
        assert_eq!(sent, [0, 1, 3]);
    }

    #[test]
    fn without_intervals_everything_goes_at_once() {
        let mut p = pacer("global_defs {\n}\n");
        for n in 0..5 {
            p.push("eth0", frame(n, false));
        }
        assert_eq!(p.due(Timestamp(0)).len(), 5);
        assert_eq!(p.next_deadline(), None);
    }

    #[test]
    fn garp_interval_spaces_frames_per_interface() {
        let mut p =
            pacer("global_defs {\n    vrrp_garp_interval 0.01\n    vrrp_gna_interval 0.002\n}\n");
        for n in 0..3 {
            p.push("eth0", frame(n, false));
        }
        p.push("eth1", frame(9, true));
        let first = p.due(Timestamp(1_000_000));
        assert_eq!(first, vec![frame(0, false), frame(9, true)], "one per lane");
        assert_eq!(p.next_deadline(), Some(Timestamp(1_010_000)));
        assert!(p.due(Timestamp(1_009_999)).is_empty());
        assert_eq!(p.due(Timestamp(1_010_000)), vec![frame(1, false)]);
        assert_eq!(p.due(Timestamp(1_020_000)), vec![frame(2, false)]);
        assert_eq!(p.next_deadline(), None);
    }

    #[test]
    fn a_garp_group_shares_one_lane_across_its_interfaces() {
        let mut p = pacer(
            "garp_group {\n    garp_interval 0.5\n    interfaces {\n        eth0\n        eth1\n    }\n}\n",
        );
        p.push("eth0", frame(0, false));
        p.push("eth1", frame(1, false));
        p.push("eth2", frame(2, false));
        assert_eq!(p.due(Timestamp(0)), vec![frame(0, false), frame(2, false)]);
        assert_eq!(p.next_deadline(), Some(Timestamp(500_000)));
        assert_eq!(p.due(Timestamp(500_000)), vec![frame(1, false)]);
    }

    #[test]
    fn forgotten_instances_announce_nothing_more() {
        let mut p = pacer("global_defs {\n    vrrp_garp_interval 1\n}\n");
        p.push("eth0", frame(0, false));
        p.push("eth0", frame(1, false));
        p.push("eth0", frame(2, false));
        assert_eq!(p.due(Timestamp(0)), vec![frame(0, false)]);
        p.forget("VI_1");
        assert_eq!(p.due(Timestamp(1_000_000)), vec![frame(2, false)]);
    }
}
