//! The VPC's forwarding rules, as a pure function of frames in to frames out (plus GARP
//! reports for the control plane): the VPC answers ARP itself, delivers by IP to the port that
//! owns the destination, drops ARP and IP whose sender the port does not own (anti-spoofing),
//! drops multicast unless the VPC enables it, and maps EIPs 1:1 to their HAVIPs.
//!
//! VPCs are isolated: an address is looked up in the sending port's VPC only (two VPCs may
//! use the same ranges), multicast is enabled per VPC and floods the sender's subnet only. Every
//! table learned from the wire is bounded: public hosts ([`MAX_PUBLIC_HOSTS`], learned only from
//! frames to an EIP), GARP budgets (one per attached ENI); the rest follows the control plane.
//!
//! The switch keeps a copy of the control plane's state, brought up to date by its pushes
//! ([`Switch::load`], [`Switch::apply`]). A GARP that the control plane's rules allow on that
//! copy moves forwarding at once; the move stays pending until the control plane confirms it
//! (and its state includes it) or refuses it, which puts forwarding back.

use super::frame::{self, Arp, ETH_ARP, ETH_IPV4};
pub use super::public_hosts::MAX_PUBLIC_HOSTS;
use super::public_hosts::PublicHosts;
use crate::actions::learn::garp_move;
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud};
use crate::model::GarpForm;
use crate::route_table::GatewayType;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;

/// A server port: an interface of the switch and the ENI behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// Interface index (in the switch's namespace).
    pub ifindex: u32,
    /// ENI id.
    pub eni: String,
    /// ENI MAC.
    pub mac: [u8; 6],
    /// ENI addresses.
    pub ips: Vec<Ipv4Addr>,
    /// Subnet id.
    pub subnet: String,
    /// VPC id.
    pub vpc: String,
}

#[derive(Clone, Debug)]
struct HavipView {
    subnet: String,
    /// Port index holding it.
    holder: Option<usize>,
    /// MAC its holder announced it from (ENI MAC or VMAC).
    mac: Option<[u8; 6]>,
    eip: Option<Ipv4Addr>,
}

/// What to do with a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// Send this frame out of that interface.
    Send {
        /// Interface index.
        ifindex: u32,
        /// Frame.
        frame: Vec<u8>,
    },
    /// A GARP for a HAVIP: ask the control plane to move it.
    Report {
        /// Sender's ENI.
        eni: String,
        /// The HAVIP's address.
        vip: Ipv4Addr,
        /// `request` or `reply`.
        form: GarpForm,
        /// MAC it was announced from.
        mac: [u8; 6],
        /// The local move made on it, if the control plane's rules allowed one here.
        generation: Option<u64>,
    },
}

/// A move made on a GARP that the control plane has not confirmed yet.
#[derive(Clone, Debug)]
struct Pending {
    eni: String,
    mac: [u8; 6],
    generation: u64,
    /// The version of the control plane's state that includes it, once confirmed.
    confirmed_in: Option<u64>,
}

/// An address in a VPC: (VPC id, address). VPCs may overlap, so the VPC is part of every key.
type VpcIp = (String, Ipv4Addr);

/// GARP reports one ENI may make per second.
pub const GARP_PER_SECOND: u32 = 20;

/// The switch.
#[derive(Debug, Default)]
pub struct Switch {
    cloud: Cloud,
    version: u64,
    attached: Vec<(u32, String)>,
    pending: HashMap<VpcIp, Pending>,
    generations: u64,
    ports: Vec<Port>,
    pub(super) public: Option<u32>,
    /// Subnet id -> (VPC id, block).
    subnets: HashMap<String, (String, Cidr)>,
    havips: HashMap<VpcIp, HavipView>,
    /// EIP -> the HAVIP it maps to.
    pub(super) eips: HashMap<Ipv4Addr, VpcIp>,
    /// VPCs that enable multicast.
    multicast: HashSet<String>,
    pub(super) gateway_mac: [u8; 6],
    pub(super) public_hosts: PublicHosts,
    budget: HashMap<String, (u64, u32)>,
    /// Frames dropped, by reason; frames handled, by outcome.
    pub counters: BTreeMap<&'static str, u64>,
}

fn is_vmac(m: [u8; 6]) -> bool {
    m[..4] == [0x00, 0x00, 0x5e, 0x00] && (m[4] == 1 || m[4] == 2)
}

impl Switch {
    /// A switch whose gateway answers with `gateway_mac`.
    pub fn new(gateway_mac: [u8; 6]) -> Self {
        Switch {
            gateway_mac,
            ..Switch::default()
        }
    }

    pub(super) fn count(&mut self, what: &'static str) {
        *self.counters.entry(what).or_default() += 1;
    }

    /// Attaches the switch's interfaces: server ports (interface index, ENI) and the public one.
    pub fn attach(&mut self, ports: &[(u32, String)], public: Option<u32>) {
        self.attached = ports.to_vec();
        self.public = public;
        self.rebuild();
    }

    /// Replaces the copy of the control plane's state with `cloud`, at `version`.
    pub fn load(&mut self, cloud: Cloud, version: u64) {
        self.cloud = cloud;
        self.version = version;
        self.rebuild();
    }

    /// Applies the control plane's changes that bring the copy to `version`.
    pub fn apply(&mut self, changes: &[Change], version: u64) {
        self.cloud.apply(changes);
        self.version = version;
        self.rebuild();
    }

    /// The version of the control plane's state the copy is at.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether the local move `generation` of `vip` still waits for the control plane.
    pub fn is_pending(&self, vip: Ipv4Addr, generation: u64) -> bool {
        self.pending_key(vip, generation).is_some()
    }

    /// The key of the pending move `generation` of `vip` (generations are unique).
    fn pending_key(&self, vip: Ipv4Addr, generation: u64) -> Option<VpcIp> {
        self.pending
            .iter()
            .find(|((_, ip), p)| *ip == vip && p.generation == generation)
            .map(|(k, _)| k.clone())
    }

    /// The control plane stored the move `generation` of `vip` in state `version`.
    pub fn confirmed(&mut self, vip: Ipv4Addr, generation: u64, version: u64) {
        let Some(key) = self.pending_key(vip, generation) else {
            return;
        };
        if version <= self.version {
            self.pending.remove(&key);
        } else if let Some(p) = self.pending.get_mut(&key) {
            p.confirmed_in = Some(version);
        }
    }

    /// The control plane refused the move `generation` of `vip`: forwarding goes back.
    pub fn refused(&mut self, vip: Ipv4Addr, generation: u64) {
        if let Some(key) = self.pending_key(vip, generation) {
            self.pending.remove(&key);
            self.rebuild();
        }
    }

    /// Rebuilds the forwarding view from the copy of the state and the pending moves.
    /// Announcer MACs learned from GARPs are kept while the binding is unchanged.
    fn rebuild(&mut self) {
        let cloud = std::mem::take(&mut self.cloud);
        let version = self.version;
        self.pending
            .retain(|_, p| p.confirmed_in.is_none_or(|v| v > version));
        self.ports = self
            .attached
            .iter()
            .filter_map(|(ifindex, eni)| port_of(&cloud, *ifindex, eni))
            .collect();
        self.subnets = cloud
            .subnets
            .values()
            .filter_map(|s| {
                let block = Cidr::parse(&s.cidr_block).ok()?;
                Some((s.subnet_id.clone(), (s.vpc_id.clone(), block)))
            })
            .collect();
        self.multicast = cloud
            .vpcs
            .values()
            .filter(|v| v.enable_multicast)
            .map(|v| v.vpc_id.clone())
            .collect();
        let attached: HashSet<&str> = self.ports.iter().map(|p| p.eni.as_str()).collect();
        self.budget.retain(|eni, _| attached.contains(eni.as_str()));
        let mut havips = HashMap::new();
        self.eips.clear();
        for h in cloud.havips.values() {
            let Ok(vip) = h.vip.parse::<Ipv4Addr>() else {
                continue;
            };
            let key = (h.vpc_id.clone(), vip);
            let pending = self.pending.get(&key);
            let bound = pending.map_or(h.network_interface_id.as_str(), |p| p.eni.as_str());
            let holder = self.ports.iter().position(|p| p.eni == bound);
            let old_mac = self
                .havips
                .get(&key)
                .filter(|o| o.holder == holder)
                .and_then(|o| o.mac);
            let eip = h.address_ip.parse().ok();
            if let Some(e) = eip {
                self.eips.insert(e, key.clone());
            }
            let mac = pending.map(|p| p.mac).or(old_mac);
            havips.insert(
                key,
                HavipView {
                    subnet: h.subnet_id.clone(),
                    holder,
                    mac: mac.or_else(|| holder.map(|k| self.ports[k].mac)),
                    eip,
                },
            );
        }
        self.havips = havips;
        self.cloud = cloud;
    }

    /// Moves forwarding of `vip` to `port`, announced from `mac`, pending the control plane.
    fn move_here(&mut self, port: usize, vip: Ipv4Addr, mac: [u8; 6]) -> u64 {
        self.generations += 1;
        let generation = self.generations;
        let key = (self.ports[port].vpc.clone(), vip);
        self.pending.insert(
            key.clone(),
            Pending {
                eni: self.ports[port].eni.clone(),
                mac,
                generation,
                confirmed_in: None,
            },
        );
        if let Some(h) = self.havips.get_mut(&key) {
            h.holder = Some(port);
            h.mac = Some(mac);
        }
        generation
    }

    /// Which port (and MAC) address `ip` of VPC `vpc` belongs to.
    pub(super) fn owner(&self, vpc: &str, ip: Ipv4Addr) -> Option<(usize, [u8; 6])> {
        if let Some(k) = self
            .ports
            .iter()
            .position(|p| p.vpc == vpc && p.ips.contains(&ip))
        {
            return Some((k, self.ports[k].mac));
        }
        let h = self.havips.get(&(vpc.to_string(), ip))?;
        Some((h.holder?, h.mac?))
    }

    fn owns(&self, port: usize, ip: Ipv4Addr) -> bool {
        let p = &self.ports[port];
        p.ips.contains(&ip)
            || self
                .havips
                .get(&(p.vpc.clone(), ip))
                .is_some_and(|h| h.holder == Some(port))
            || self.routed(port, ip).is_some_and(|(k, _)| k == port)
    }

    /// Where the route table of port `from`'s subnet sends `dst` (an address outside the
    /// VPC): the port (and MAC) of its next hop, the ENI with that private address
    /// (`NORMAL_CVM`) or the HAVIP's holder (`HAVIP`), as the state has them now.
    fn routed(&self, from: usize, dst: Ipv4Addr) -> Option<(usize, [u8; 6])> {
        let p = &self.ports[from];
        let r = crate::routing::route_for(&self.cloud, &p.vpc, &p.subnet, dst)?;
        match r.gateway_type {
            GatewayType::NormalCvm => {
                let hop: Ipv4Addr = r.gateway_id.parse().ok()?;
                let k = (self.ports.iter()).position(|q| q.vpc == p.vpc && q.ips.contains(&hop))?;
                Some((k, self.ports[k].mac))
            }
            GatewayType::HaVip => {
                let h = self.cloud.havips.get(&r.gateway_id)?;
                let vip: Ipv4Addr = h.vip.parse().ok()?;
                let view = self.havips.get(&(p.vpc.clone(), vip))?;
                Some((view.holder?, view.mac?))
            }
        }
    }

    fn in_vpc(&self, vpc: &str, ip: Ipv4Addr) -> bool {
        self.subnets
            .values()
            .any(|(v, c)| v == vpc && c.contains(ip))
    }

    fn is_gateway(&self, subnet: &str, ip: Ipv4Addr) -> bool {
        self.subnets
            .get(subnet)
            .is_some_and(|(_, c)| c.reserved(ip) == Some("the subnet's gateway"))
    }

    /// The port on interface `ifindex`, by index.
    pub(super) fn port_on(&self, ifindex: u32) -> Option<usize> {
        self.ports.iter().position(|p| p.ifindex == ifindex)
    }

    /// The interface of port `k`.
    pub(super) fn ifindex_of(&self, k: usize) -> u32 {
        self.ports[k].ifindex
    }

    /// Handles one frame that arrived on `ifindex` at `now_ms`.
    pub fn handle(&mut self, now_ms: u64, ifindex: u32, frame: &[u8]) -> Vec<Out> {
        let Some(eth) = frame::eth(frame) else {
            self.count("drop: runt frame");
            return Vec::new();
        };
        if Some(ifindex) == self.public {
            return self.arrived_from_public(eth, frame);
        }
        let Some(port) = self.port_on(ifindex) else {
            self.count("drop: unknown port");
            return Vec::new();
        };
        let p = &self.ports[port];
        if eth.src != p.mac && !is_vmac(eth.src) {
            self.count("drop: source MAC not the port's");
            return Vec::new();
        }
        match eth.ethertype {
            ETH_ARP => self.arp_from(port, eth.src, frame, now_ms),
            ETH_IPV4 => self.ipv4_from(port, frame),
            _ => {
                self.count("drop: not IPv4 or ARP");
                Vec::new()
            }
        }
    }

    fn arp_from(&mut self, port: usize, src: [u8; 6], frame: &[u8], now_ms: u64) -> Vec<Out> {
        let Some(a) = frame::arp(frame) else {
            self.count("drop: malformed ARP");
            return Vec::new();
        };
        if a.sha != src {
            self.count("drop: ARP sender MAC differs from the frame's");
            return Vec::new();
        }
        if a.spa.is_unspecified() {
            self.count("ARP probe");
            return Vec::new();
        }
        let p = self.ports[port].clone();
        if a.is_gratuitous() {
            return self.garp_from(port, &p, &a, now_ms);
        }
        if !self.owns(port, a.spa) {
            self.count("drop: ARP from an address the port does not own");
            return Vec::new();
        }
        if a.op != 1 {
            self.count("drop: ARP reply (the VPC answers ARP itself)");
            return Vec::new();
        }
        let answer = if self.is_gateway(&p.subnet, a.tpa) {
            Some(self.gateway_mac)
        } else {
            self.owner(&p.vpc, a.tpa)
                .filter(|(k, _)| self.ports[*k].subnet == p.subnet)
                .map(|(_, m)| m)
        };
        let Some(mac) = answer else {
            self.count("ARP for an unknown address");
            return Vec::new();
        };
        self.count("ARP answered");
        let reply = Arp {
            op: 2,
            sha: mac,
            spa: a.tpa,
            tha: a.sha,
            tpa: a.spa,
        };
        vec![Out::Send {
            ifindex: p.ifindex,
            frame: frame::arp_frame(a.sha, mac, &reply),
        }]
    }

    /// A gratuitous ARP from `port` (`p`): for a HAVIP of its subnet, within the port's
    /// budget, it moves forwarding at once if the control plane's rules allow it on this copy,
    /// and is reported either way.
    fn garp_from(&mut self, port: usize, p: &Port, a: &Arp, now_ms: u64) -> Vec<Out> {
        if p.ips.contains(&a.spa) {
            self.count("GARP for own address");
            return Vec::new();
        }
        let havip = self
            .havips
            .get(&(p.vpc.clone(), a.spa))
            .filter(|h| h.subnet == p.subnet)
            .is_some();
        if !havip {
            self.count("drop: GARP for an address the port does not own");
            return Vec::new();
        }
        let second = now_ms / 1000;
        let budget = self.budget.entry(p.eni.clone()).or_insert((second, 0));
        if budget.0 != second {
            *budget = (second, 0);
        }
        budget.1 += 1;
        if budget.1 > GARP_PER_SECOND {
            self.count("drop: GARP rate limit");
            return Vec::new();
        }
        let form = if a.op == 2 {
            GarpForm::Reply
        } else {
            GarpForm::Request
        };
        let allowed = self
            .cloud
            .enis
            .get(&p.eni)
            .is_some_and(|e| garp_move(&self.cloud, e, &a.spa.to_string(), form).is_ok());
        let generation = if allowed {
            self.count("GARP moved forwarding");
            Some(self.move_here(port, a.spa, a.sha))
        } else {
            self.count("GARP reported, not allowed here");
            None
        };
        vec![Out::Report {
            eni: p.eni.clone(),
            vip: a.spa,
            form,
            mac: a.sha,
            generation,
        }]
    }

    fn ipv4_from(&mut self, port: usize, frame: &[u8]) -> Vec<Out> {
        let Some(ip) = frame::ipv4(frame) else {
            self.count("drop: malformed IPv4");
            return Vec::new();
        };
        if !self.owns(port, ip.src) {
            self.count("drop: IP from an address the port does not own");
            return Vec::new();
        }
        let vpc = self.ports[port].vpc.clone();
        if ip.dst.is_multicast() || ip.dst.is_broadcast() {
            if !self.multicast.contains(&vpc) {
                self.count("drop: multicast (disabled in this VPC: use unicast VRRP)");
                return Vec::new();
            }
            let subnet = self.ports[port].subnet.clone();
            let outs: Vec<Out> = self
                .ports
                .iter()
                .enumerate()
                .filter(|(k, q)| *k != port && q.subnet == subnet)
                .map(|(_, q)| Out::Send {
                    ifindex: q.ifindex,
                    frame: frame.to_vec(),
                })
                .collect();
            self.count("multicast flooded");
            return outs;
        }
        if let Some((k, mac)) = self.owner(&vpc, ip.dst) {
            let mut f = frame.to_vec();
            let src_mac = f[6..12].try_into().unwrap_or(self.gateway_mac);
            frame::set_macs(&mut f, mac, src_mac);
            self.count("delivered");
            return vec![Out::Send {
                ifindex: self.ports[k].ifindex,
                frame: f,
            }];
        }
        if !self.in_vpc(&vpc, ip.dst)
            && let Some((k, mac)) = self.routed(port, ip.dst)
        {
            let mut f = frame.to_vec();
            frame::set_macs(&mut f, mac, self.gateway_mac);
            self.count("routed");
            return vec![Out::Send {
                ifindex: self.ports[k].ifindex,
                frame: f,
            }];
        }
        if !self.in_vpc(&vpc, ip.dst)
            && let (Some(public), Some(eip)) = (
                self.public,
                self.havips.get(&(vpc, ip.src)).and_then(|h| h.eip),
            )
        {
            let Some(host) = self.public_hosts.get(ip.dst) else {
                self.count("drop: public host not known yet");
                return Vec::new();
            };
            let mut f = frame.to_vec();
            frame::set_macs(&mut f, host, self.gateway_mac);
            if frame::rewrite_ipv4(&mut f, true, eip).is_none() {
                self.count("drop: malformed IPv4");
                return Vec::new();
            }
            self.count("SNAT to EIP");
            return vec![Out::Send {
                ifindex: public,
                frame: f,
            }];
        }
        self.count("drop: no route");
        Vec::new()
    }
}

/// The port of `eni` on interface `ifindex`, if the state knows the ENI.
fn port_of(cloud: &Cloud, ifindex: u32, eni: &str) -> Option<Port> {
    let e = cloud.enis.get(eni)?;
    Some(Port {
        ifindex,
        eni: eni.to_string(),
        mac: parse_mac(&e.mac_address)?,
        ips: e
            .private_ip_address_set
            .iter()
            .filter_map(|p| p.private_ip_address.parse().ok())
            .collect(),
        subnet: e.subnet_id.clone(),
        vpc: e.vpc_id.clone(),
    })
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut m = [0; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(m)
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (if {})", self.eni, self.ifindex)
    }
}
