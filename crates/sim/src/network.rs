//! The simulated LAN: servers (each a `node::Node`), an event queue ordered by (time,
//! sequence), and the servers' life: start, crash, graceful stop.

use crate::faults::LinkFaults;
use crate::host::{self, Interface, Probe, Setup, Slot};
use crate::record::{DeliveryRecord, NodeId, TransitionRecord, VipRecord};
use node::{Effect, InstanceId, Node};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::net::IpAddr;
use std::rc::Rc;
use vrrp::{Event, Micros, Router, RouterConfig, Timestamp};

/// One simulated server: its host and the node its daemon runs.
pub(crate) struct Server {
    pub name: String,
    pub setup: Setup,
    pub interfaces: Vec<Interface>,
    /// Index into `Network::segments`, per interface.
    pub segments: Vec<usize>,
    pub links_up: Vec<bool>,
    pub node: Node,
    pub slots: Vec<Slot>,
    pub probes: Vec<Probe>,
    pub running: bool,
    pub cut: bool,
    pub holds: Vec<bool>,
    pub serving: Vec<bool>,
    pub timer_gen: u64,
    pub timer_at: Option<Timestamp>,
    /// Bumped at each start and reload: older script runs are dropped.
    pub life: u64,
    pub unsynced_groups: bool,
    /// Stopping once its masters have handed over (`--handover-on-stop`).
    pub stop_after_handover: bool,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Timer {
        node: usize,
        generation: u64,
    },
    Script {
        node: usize,
        probe: usize,
        life: u64,
    },
    Deliver {
        to: usize,
        from: usize,
        src: IpAddr,
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

/// A simulated LAN (or several, by segment) of servers, each running a `node::Node`.
pub struct Network {
    pub(crate) now: Timestamp,
    seq: u64,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) servers: Vec<Server>,
    /// Segment ids, and the (server, interface) pairs plugged into each.
    pub(crate) segments: Vec<(u32, Vec<(usize, usize)>)>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    pub(crate) faults: LinkFaults,
    /// Copies sent since the faults were set (the count a spread loss follows).
    pub(crate) spread_sent: u64,
    pub(crate) blocked: HashSet<(usize, usize)>,
    pub(crate) trace_deliveries: bool,
    pub(crate) instance_names: Vec<String>,
    pub(crate) transitions: Vec<TransitionRecord>,
    pub(crate) vips: Vec<VipRecord>,
    pub(crate) serving: Vec<VipRecord>,
    pub(crate) deliveries: Vec<DeliveryRecord>,
    pub(crate) announcements: Vec<(Timestamp, NodeId, u32)>,
    pub(crate) codec_errors: u64,
    pub(crate) adverts_sent: u64,
    pub(crate) copies_lost: u64,
    pub(crate) effects: Vec<Effect>,
}

impl Network {
    /// An empty network whose random choices all come from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            now: Timestamp(0),
            seq: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            servers: Vec::new(),
            segments: Vec::new(),
            queue: BinaryHeap::new(),
            faults: LinkFaults::default(),
            spread_sent: 0,
            blocked: HashSet::new(),
            trace_deliveries: false,
            instance_names: Vec::new(),
            transitions: Vec::new(),
            vips: Vec::new(),
            serving: Vec::new(),
            deliveries: Vec::new(),
            announcements: Vec::new(),
            codec_errors: 0,
            adverts_sent: 0,
            copies_lost: 0,
            effects: Vec::new(),
        }
    }

    /// Adds a server running one bare router on `eth0` of segment 0 (not started). Panics
    /// on an invalid config: tests build them.
    pub fn add_node(&mut self, name: &str, cfg: RouterConfig) -> NodeId {
        self.add_node_on(0, name, cfg)
    }

    /// Adds a server running one bare router on `eth0` of a LAN segment; adverts reach only
    /// servers of the same segment.
    pub fn add_node_on(&mut self, segment: u32, name: &str, cfg: RouterConfig) -> NodeId {
        let eth0 = Interface::new("eth0", segment, &[cfg.primary_address]);
        self.add(name, Setup::Router(cfg), vec![eth0])
            .unwrap_or_else(|e| panic!("node {name}: {e}"))
    }

    /// Adds a server running havipd's node on a whole keepalived.conf `text` (several
    /// instances, sync groups, tracked scripts and processes), with these `interfaces` (not
    /// started). A config havipd would not start with, or an instance the host cannot run
    /// (no address to advertise from), is an error.
    pub fn add_host(
        &mut self,
        name: &str,
        text: &str,
        interfaces: Vec<Interface>,
    ) -> Result<NodeId, String> {
        let cfg = host::read_config(text)?;
        self.add(name, Setup::Config(Box::new(cfg)), interfaces)
    }

    fn add(
        &mut self,
        name: &str,
        setup: Setup,
        interfaces: Vec<Interface>,
    ) -> Result<NodeId, String> {
        let id = self.servers.len();
        let (node, ifaces) = host::build(&setup, &interfaces, self.now)?;
        let mut segments = Vec::new();
        for (k, i) in interfaces.iter().enumerate() {
            let seg = match self.segments.iter().position(|(s, _)| *s == i.segment) {
                Some(index) => index,
                None => {
                    self.segments.push((i.segment, Vec::new()));
                    self.segments.len() - 1
                }
            };
            self.segments[seg].1.push((id, k));
            segments.push(seg);
        }
        let probes = host::probes(&setup);
        self.servers.push(Server {
            name: name.to_string(),
            setup,
            links_up: vec![true; interfaces.len()],
            interfaces,
            segments,
            node,
            slots: Vec::new(),
            probes,
            running: false,
            cut: false,
            holds: Vec::new(),
            serving: Vec::new(),
            timer_gen: 0,
            timer_at: None,
            life: 0,
            unsynced_groups: false,
            stop_after_handover: false,
        });
        self.install_slots(id, &ifaces)?;
        Ok(NodeId(id))
    }

    /// Maps the node's instances to interfaces and network-wide instance keys.
    pub(crate) fn install_slots(&mut self, s: usize, ifaces: &[String]) -> Result<(), String> {
        let mut slots = Vec::with_capacity(ifaces.len());
        for (k, ifname) in ifaces.iter().enumerate() {
            let server = &self.servers[s];
            let iface = server
                .interfaces
                .iter()
                .position(|i| i.name == *ifname)
                .ok_or_else(|| format!("{}: no interface {ifname}", server.name))?;
            let name = server.node.name(InstanceId::new(k)).to_string();
            let key = match self.instance_names.iter().position(|n| *n == name) {
                Some(key) => key,
                None => {
                    self.instance_names.push(name);
                    self.instance_names.len() - 1
                }
            };
            slots.push(Slot {
                key: key as u32,
                iface,
            });
        }
        let server = &mut self.servers[s];
        server.holds.resize(slots.len(), false);
        server.serving.resize(slots.len(), false);
        server.slots = slots;
        Ok(())
    }

    /// Sets the impairments applied from now on.
    pub fn set_faults(&mut self, faults: LinkFaults) {
        self.faults = faults;
        self.spread_sent = 0;
    }

    /// Records every delivered advert (costs memory on long runs).
    pub fn trace_deliveries(&mut self, on: bool) {
        self.trace_deliveries = on;
    }

    /// Current virtual time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Starts a server's daemon: a fresh node, told which links are down and which tracked
    /// objects fail, starts every instance now.
    pub fn start(&mut self, node: NodeId) {
        let s = node.0;
        let server = &mut self.servers[s];
        let (mut fresh, ifaces) = host::build(&server.setup, &server.interfaces, self.now)
            .unwrap_or_else(|e| panic!("node {}: {e}", server.name));
        fresh.plant_unsynced_groups(server.unsynced_groups);
        server.node = fresh;
        server.running = true;
        server.life += 1;
        self.install_slots(s, &ifaces)
            .unwrap_or_else(|e| panic!("{e}"));
        self.observe_host(s);
        let ids: Vec<InstanceId> = self.servers[s].node.ids().collect();
        for id in ids {
            let now = self.now;
            let mut out = std::mem::take(&mut self.effects);
            self.servers[s].node.start(now, id, &mut out);
            self.carry_out(s, out);
        }
        self.schedule_scripts(s);
        self.rearm(s);
    }

    /// Starts every server now, in the order they were added.
    pub fn start_all(&mut self) {
        for i in 0..self.servers.len() {
            self.start(NodeId(i));
        }
    }

    /// The daemon dies (kill -9 or power loss): no goodbye advert; its addresses vanish.
    pub fn crash(&mut self, node: NodeId) {
        let n = &mut self.servers[node.0];
        n.running = false;
        n.timer_gen += 1;
        n.timer_at = None;
        n.life += 1;
        for k in 0..n.holds.len() {
            self.set_holds(node.0, k, false);
        }
    }

    /// Stop with havipd's `--handover-on-stop`: every master hands over make-before-break
    /// (maintenance), and once none is still handing over, the daemon stops gracefully.
    pub fn stop_after_handover(&mut self, node: NodeId) {
        let s = node.0;
        if !self.servers[s].running {
            return;
        }
        let masters: Vec<InstanceId> = self.servers[s]
            .node
            .ids()
            .filter(|id| self.servers[s].node.router(*id).state() == vrrp::State::Master)
            .collect();
        for id in masters {
            let now = self.now;
            let mut out = std::mem::take(&mut self.effects);
            self.servers[s]
                .node
                .handle(now, id, Event::Maintenance(true), &mut out);
            self.carry_out(s, out);
        }
        self.servers[s].stop_after_handover = true;
        self.rearm(s);
    }

    /// Graceful stop: every instance handles `Shutdown` (a master resigns), then the daemon
    /// exits.
    pub fn stop(&mut self, node: NodeId) {
        self.servers[node.0].stop_after_handover = false;
        if self.servers[node.0].running {
            for id in self.servers[node.0].node.ids() {
                let now = self.now;
                let mut out = std::mem::take(&mut self.effects);
                self.servers[node.0].node.stop(now, id, &mut out);
                self.carry_out(node.0, out);
            }
        }
        self.crash(node);
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
                    let n = &self.servers[node];
                    if n.running && n.timer_gen == generation {
                        self.servers[node].timer_at = None;
                        self.fire(node);
                    }
                }
                Kind::Script { node, probe, life } => self.run_script(node, probe, life),
                Kind::Deliver {
                    to,
                    from,
                    src,
                    dst,
                    bytes,
                } => self.deliver(to, from, vrrp::PacketAddrs { src, dst }, &bytes),
            }
        }
        self.now = self.now.max(until);
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Micros) {
        self.run_until(self.now + d);
    }

    fn fire(&mut self, s: usize) {
        let now = self.now;
        let mut out = std::mem::take(&mut self.effects);
        let node = &mut self.servers[s].node;
        node.expire_tracking(now, &mut out);
        node.fire_timers(now, &mut out);
        // Announcements are recorded as the node asks for them, never paced.
        node.due_announcements(now);
        self.carry_out(s, out);
        self.rearm(s);
    }

    /// Runs `event` through every instance of the server.
    pub(crate) fn feed_all(&mut self, s: usize, event: Event) {
        if !self.servers[s].running {
            return;
        }
        for id in self.servers[s].node.ids() {
            let now = self.now;
            let mut out = std::mem::take(&mut self.effects);
            self.servers[s]
                .node
                .handle(now, id, event.clone(), &mut out);
            self.carry_out(s, out);
        }
        self.rearm(s);
    }

    /// Carries out a node's effects in order, and hands the buffer back for reuse.
    pub(crate) fn carry_out(&mut self, s: usize, mut out: Vec<Effect>) {
        for effect in out.drain(..) {
            match effect {
                Effect::Advert { id, advert } => self.send(s, id.index(), &advert),
                Effect::Transition {
                    id,
                    from,
                    to,
                    reason,
                    ..
                } => self.transitions.push(TransitionRecord {
                    at: self.now,
                    node: NodeId(s),
                    instance: self.servers[s].slots[id.index()].key,
                    from,
                    to,
                    reason,
                }),
                Effect::AddVips(id) => self.set_holds(s, id.index(), true),
                Effect::RemoveVips(id) => self.set_holds(s, id.index(), false),
                Effect::Announce { repeat, .. } => {
                    self.announcements.push((self.now, NodeId(s), repeat));
                }
                _ => {}
            }
        }
        self.effects = out;
    }

    /// Schedules the server's next timer if its node's deadline moved (or stops it, its
    /// handover done).
    pub(crate) fn rearm(&mut self, s: usize) {
        let n = &self.servers[s];
        if n.running && n.stop_after_handover && !n.node.handing_over() {
            self.stop(NodeId(s));
            return;
        }
        let n = &mut self.servers[s];
        if !n.running {
            return;
        }
        let deadline = n.node.next_deadline();
        if deadline != n.timer_at {
            n.timer_gen += 1;
            n.timer_at = deadline;
            if let Some(at) = deadline {
                let generation = n.timer_gen;
                self.push(
                    at.max(self.now),
                    Kind::Timer {
                        node: s,
                        generation,
                    },
                );
            }
        }
    }

    pub(crate) fn set_holds(&mut self, s: usize, k: usize, holds: bool) {
        if self.servers[s].holds[k] != holds {
            self.servers[s].holds[k] = holds;
            self.vips.push(VipRecord {
                at: self.now,
                node: NodeId(s),
                instance: self.servers[s].slots[k].key,
                holds,
            });
        }
        self.update_serving(s, k);
    }

    pub(crate) fn update_serving(&mut self, s: usize, k: usize) {
        let n = &mut self.servers[s];
        let iface = n.slots[k].iface;
        let serving = n.holds[k] && n.running && n.links_up[iface] && !n.cut;
        if n.serving[k] != serving {
            n.serving[k] = serving;
            self.serving.push(VipRecord {
                at: self.now,
                node: NodeId(s),
                instance: n.slots[k].key,
                holds: serving,
            });
        }
    }

    pub(crate) fn push(&mut self, at: Timestamp, kind: Kind) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            kind,
        }));
    }

    /// The server's first instance's router.
    pub fn router(&self, node: NodeId) -> &Router {
        self.servers[node.0].node.router(InstanceId::new(0))
    }

    /// The server's node (as it runs, or as it last ran).
    pub fn node(&self, node: NodeId) -> &Node {
        &self.servers[node.0].node
    }

    /// The server's name.
    pub fn name(&self, node: NodeId) -> &str {
        &self.servers[node.0].name
    }

    /// How many servers there are.
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// Whether there is no server.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }
}
