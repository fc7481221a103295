//! The simulated LAN: nodes, an event queue ordered by (time, sequence), and fault injection.

use crate::faults::LinkFaults;
use crate::record::{DeliveryRecord, NodeId, TransitionRecord, VipRecord};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::net::IpAddr;
use std::rc::Rc;
use vrrp::{
    Action, Advert, ChecksumMode, Event, Family, Micros, PacketAddrs, Router, RouterConfig,
    Timestamp,
};

struct Node {
    name: String,
    /// Index into `Network::segments`.
    segment: usize,
    cfg: RouterConfig,
    router: Router,
    running: bool,
    link_up: bool,
    cut: bool,
    holds_vips: bool,
    serving: bool,
    timer_gen: u64,
    timer_at: Option<Timestamp>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Timer {
        node: usize,
        generation: u64,
    },
    Deliver {
        to: usize,
        from: usize,
        dst: IpAddr,
        bytes: Rc<[u8]>,
    },
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    at: Timestamp,
    seq: u64,
    kind: Kind,
}

/// A simulated LAN (or several, by segment) of VRRP routers.
pub struct Network {
    now: Timestamp,
    seq: u64,
    rng: ChaCha8Rng,
    nodes: Vec<Node>,
    segments: Vec<(u32, Vec<usize>)>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    faults: LinkFaults,
    blocked: HashSet<(usize, usize)>,
    trace_deliveries: bool,
    transitions: Vec<TransitionRecord>,
    vips: Vec<VipRecord>,
    serving: Vec<VipRecord>,
    deliveries: Vec<DeliveryRecord>,
    announcements: Vec<(Timestamp, NodeId, u32)>,
    codec_errors: u64,
    adverts_sent: u64,
    copies_lost: u64,
}

impl Network {
    /// An empty network whose random choices all come from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            now: Timestamp(0),
            seq: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            nodes: Vec::new(),
            segments: Vec::new(),
            queue: BinaryHeap::new(),
            faults: LinkFaults::default(),
            blocked: HashSet::new(),
            trace_deliveries: false,
            transitions: Vec::new(),
            vips: Vec::new(),
            serving: Vec::new(),
            deliveries: Vec::new(),
            announcements: Vec::new(),
            codec_errors: 0,
            adverts_sent: 0,
            copies_lost: 0,
        }
    }

    /// Adds a node on segment 0 (not started). Panics on an invalid config: tests build them.
    pub fn add_node(&mut self, name: &str, cfg: RouterConfig) -> NodeId {
        self.add_node_on(0, name, cfg)
    }

    /// Adds a node on a LAN segment; adverts reach only nodes of the same segment.
    pub fn add_node_on(&mut self, segment: u32, name: &str, cfg: RouterConfig) -> NodeId {
        let router = Router::new(cfg.clone()).unwrap_or_else(|e| panic!("node {name}: {e}"));
        let id = self.nodes.len();
        let segment = match self.segments.iter().position(|(s, _)| *s == segment) {
            Some(index) => index,
            None => {
                self.segments.push((segment, Vec::new()));
                self.segments.len() - 1
            }
        };
        self.segments[segment].1.push(id);
        self.nodes.push(Node {
            name: name.to_string(),
            segment,
            cfg,
            router,
            running: false,
            link_up: true,
            cut: false,
            holds_vips: false,
            serving: false,
            timer_gen: 0,
            timer_at: None,
        });
        NodeId(id)
    }

    /// Sets the impairments applied from now on.
    pub fn set_faults(&mut self, faults: LinkFaults) {
        self.faults = faults;
    }

    /// Records every delivered advert (costs memory on long runs).
    pub fn trace_deliveries(&mut self, on: bool) {
        self.trace_deliveries = on;
    }

    /// Current virtual time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Starts a node's daemon: a fresh router receives `Startup` now.
    pub fn start(&mut self, node: NodeId) {
        let n = &mut self.nodes[node.0];
        n.router = Router::new(n.cfg.clone()).unwrap_or_else(|e| panic!("node {}: {e}", n.name));
        n.running = true;
        if !n.link_up {
            self.feed(node.0, Event::InterfaceDown);
        }
        self.feed(node.0, Event::Startup);
    }

    /// Starts every node now, in the order they were added.
    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(NodeId(i));
        }
    }

    /// The daemon dies (kill -9 or power loss): no goodbye advert; its addresses vanish.
    pub fn crash(&mut self, node: NodeId) {
        let n = &mut self.nodes[node.0];
        n.running = false;
        n.timer_gen += 1;
        n.timer_at = None;
        self.set_holds(node.0, false);
    }

    /// Graceful stop: the router handles `Shutdown` (a master resigns), then the daemon exits.
    pub fn stop(&mut self, node: NodeId) {
        self.feed(node.0, Event::Shutdown);
        self.crash(node);
    }

    /// The node's own interface goes down (the router is told) or up.
    pub fn set_link(&mut self, node: NodeId, up: bool) {
        self.nodes[node.0].link_up = up;
        self.feed(
            node.0,
            if up {
                Event::InterfaceUp
            } else {
                Event::InterfaceDown
            },
        );
    }

    /// Cuts the node off the LAN (or reconnects it) without telling its router: a cable
    /// pulled at the switch. Its addresses stay configured, but nobody can reach them.
    pub fn set_cut(&mut self, node: NodeId, cut: bool) {
        self.nodes[node.0].cut = cut;
        self.update_serving(node.0);
    }

    /// Drops all adverts between the two groups, both ways, until [`Network::heal`].
    pub fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
        for x in a {
            for y in b {
                self.blocked.insert((x.0, y.0));
                self.blocked.insert((y.0, x.0));
            }
        }
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// A tracked object of the node (a health-check script) failed (`true`) or recovered.
    pub fn set_track_fault(&mut self, node: NodeId, failed: bool) {
        self.feed(node.0, Event::TrackFault(failed));
    }

    /// Maintenance on (a master hands over make-before-break) or off.
    pub fn set_maintenance(&mut self, node: NodeId, on: bool) {
        self.feed(node.0, Event::Maintenance(on));
    }

    /// Tracking changed the node's effective priority.
    pub fn set_priority(&mut self, node: NodeId, priority: u8) {
        self.feed(node.0, Event::PriorityChange(priority));
    }

    /// Processes every event up to and including `until`, then sets the clock to it.
    pub fn run_until(&mut self, until: Timestamp) {
        while let Some(Reverse(top)) = self.queue.peek() {
            if top.at > until {
                break;
            }
            let Some(Reverse(item)) = self.queue.pop() else {
                break;
            };
            self.now = item.at;
            match item.kind {
                Kind::Timer { node, generation } => {
                    if self.nodes[node].running && self.nodes[node].timer_gen == generation {
                        self.nodes[node].timer_at = None;
                        self.feed(node, Event::Timer);
                    }
                }
                Kind::Deliver {
                    to,
                    from,
                    dst,
                    bytes,
                } => self.deliver(to, from, dst, &bytes),
            }
        }
        self.now = self.now.max(until);
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Micros) {
        self.run_until(self.now + d);
    }

    /// The node's router.
    pub fn router(&self, node: NodeId) -> &Router {
        &self.nodes[node.0].router
    }

    /// The node's name.
    pub fn name(&self, node: NodeId) -> &str {
        &self.nodes[node.0].name
    }

    /// Whether the node currently holds its virtual addresses.
    pub fn holds_vips(&self, node: NodeId) -> bool {
        self.nodes[node.0].holds_vips
    }

    /// Every state change so far.
    pub fn transitions(&self) -> &[TransitionRecord] {
        &self.transitions
    }

    /// Every change of address holding so far.
    pub fn vip_records(&self) -> &[VipRecord] {
        &self.vips
    }

    /// Every change of who *serves* the addresses: holds them and is reachable (running, link
    /// up, not cut). Outages seen by clients are gaps in this stream.
    pub fn serving_records(&self) -> &[VipRecord] {
        &self.serving
    }

    /// Delivered adverts (only while tracing is on).
    pub fn deliveries(&self) -> &[DeliveryRecord] {
        &self.deliveries
    }

    /// GARP/NA bursts: (time, node, rounds).
    pub fn announcements(&self) -> &[(Timestamp, NodeId, u32)] {
        &self.announcements
    }

    /// Adverts sent by all routers.
    pub fn adverts_sent(&self) -> u64 {
        self.adverts_sent
    }

    /// Copies lost to impairments or partitions.
    pub fn copies_lost(&self) -> u64 {
        self.copies_lost
    }

    /// Adverts that failed to encode or decode (always 0 unless the codec is broken).
    pub fn codec_errors(&self) -> u64 {
        self.codec_errors
    }

    fn feed(&mut self, node: usize, event: Event) {
        if !self.nodes[node].running {
            return;
        }
        let actions = self.nodes[node].router.handle(self.now, event);
        for action in actions {
            self.apply(node, action);
        }
        let n = &mut self.nodes[node];
        let deadline = n.router.next_deadline();
        if deadline != n.timer_at {
            n.timer_gen += 1;
            n.timer_at = deadline;
            if let Some(at) = deadline {
                let generation = n.timer_gen;
                self.push(at.max(self.now), Kind::Timer { node, generation });
            }
        }
    }

    fn apply(&mut self, node: usize, action: Action) {
        match action {
            Action::SendAdvert(advert) => self.send(node, &advert),
            Action::Transition { from, to, reason } => self.transitions.push(TransitionRecord {
                at: self.now,
                node: NodeId(node),
                from,
                to,
                reason,
            }),
            Action::AddVips => self.set_holds(node, true),
            Action::RemoveVips => self.set_holds(node, false),
            Action::Announce { repeat } => {
                self.announcements.push((self.now, NodeId(node), repeat))
            }
            Action::Notify(_) | Action::Dropped { .. } | Action::OwnerConflict { .. } => {}
        }
    }

    fn set_holds(&mut self, node: usize, holds: bool) {
        if self.nodes[node].holds_vips != holds {
            self.nodes[node].holds_vips = holds;
            self.vips.push(VipRecord {
                at: self.now,
                node: NodeId(node),
                holds,
            });
        }
        self.update_serving(node);
    }

    fn update_serving(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        let serving = n.holds_vips && n.running && n.link_up && !n.cut;
        if n.serving != serving {
            n.serving = serving;
            self.serving.push(VipRecord {
                at: self.now,
                node: NodeId(node),
                holds: serving,
            });
        }
    }

    fn send(&mut self, from: usize, advert: &Advert) {
        self.adverts_sent += 1;
        let sender = &self.nodes[from];
        if !sender.link_up || sender.cut {
            return;
        }
        let src = sender.cfg.primary_address;
        let family = Family::of(&src);
        let dsts: Vec<IpAddr> = if sender.cfg.is_unicast() {
            sender.cfg.unicast_peers.iter().map(|p| p.addr).collect()
        } else {
            vec![family.multicast_group()]
        };
        let segment = sender.segment;
        for dst in dsts {
            let addrs = PacketAddrs { src, dst };
            let Ok(bytes) = advert.encode(&addrs, ChecksumMode::PseudoHeader) else {
                self.codec_errors += 1;
                continue;
            };
            let bytes: Rc<[u8]> = bytes.into();
            let multicast = dst == family.multicast_group();
            for k in 0..self.segments[segment].1.len() {
                let to = self.segments[segment].1[k];
                let n = &self.nodes[to];
                let addressed = if multicast {
                    Family::of(&n.cfg.primary_address) == family
                } else {
                    n.cfg.primary_address == dst
                };
                if to == from || !addressed {
                    continue;
                }
                self.transmit(from, to, dst, bytes.clone());
            }
        }
    }

    fn transmit(&mut self, from: usize, to: usize, dst: IpAddr, bytes: Rc<[u8]>) {
        let f = self.faults;
        let copies = if f.duplicate > 0.0 && self.rng.random_bool(f.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.blocked.contains(&(from, to)) || (f.loss > 0.0 && self.rng.random_bool(f.loss))
            {
                self.copies_lost += 1;
                continue;
            }
            let jitter = if f.jitter.0 > 0 {
                self.rng.random_range(0..=f.jitter.0)
            } else {
                0
            };
            let at = self.now + f.delay + Micros(jitter);
            self.push(
                at,
                Kind::Deliver {
                    to,
                    from,
                    dst,
                    bytes: bytes.clone(),
                },
            );
        }
    }

    fn deliver(&mut self, to: usize, from: usize, dst: IpAddr, bytes: &[u8]) {
        let n = &self.nodes[to];
        if !n.running || !n.link_up || n.cut || self.blocked.contains(&(from, to)) {
            self.copies_lost += 1;
            return;
        }
        let src = self.nodes[from].cfg.primary_address;
        let advert = match Advert::decode(bytes, &PacketAddrs { src, dst }) {
            Ok(d) => d.advert,
            Err(_) => {
                self.codec_errors += 1;
                return;
            }
        };
        // The daemon dispatches by VRID: other virtual routers on the segment never see it.
        if advert.vrid != n.cfg.vrid {
            return;
        }
        if self.trace_deliveries {
            self.deliveries.push(DeliveryRecord {
                at: self.now,
                from: NodeId(from),
                to: NodeId(to),
                priority: advert.priority,
            });
        }
        let multicast = dst == Family::of(&src).multicast_group();
        self.feed(
            to,
            Event::Advert {
                src,
                ttl: vrrp::packet::VRRP_TTL,
                multicast,
                advert,
            },
        );
    }

    fn push(&mut self, at: Timestamp, kind: Kind) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            kind,
        }));
    }
}
