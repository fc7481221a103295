//! The switch's public port: answers ARP for the EIPs, maps an EIP to its HAVIP (DNAT), and
//! learns the MACs of the public hosts that talk to an EIP, in a bounded table
//! (`public_hosts.rs`).

use super::frame::{self, Arp, ETH_ARP, ETH_IPV4};
use super::switch::{Out, Switch};

impl Switch {
    /// Public hosts remembered (bounded by `MAX_PUBLIC_HOSTS`).
    pub fn public_hosts_known(&self) -> usize {
        self.public_hosts.len()
    }

    /// A frame from the public port.
    pub(super) fn arrived_from_public(&mut self, eth: frame::Eth, frame: &[u8]) -> Vec<Out> {
        let Some(public) = self.public else {
            return Vec::new();
        };
        match eth.ethertype {
            ETH_ARP => {
                let Some(a) = frame::arp(frame) else {
                    self.count("drop: malformed ARP");
                    return Vec::new();
                };
                if !self.eips.contains_key(&a.tpa) {
                    self.count("drop: public ARP not for an EIP");
                    return Vec::new();
                }
                self.public_hosts.learn(a.spa, a.sha);
                if a.op != 1 {
                    return Vec::new();
                }
                self.count("ARP for EIP answered");
                let reply = Arp {
                    op: 2,
                    sha: self.gateway_mac,
                    spa: a.tpa,
                    tha: a.sha,
                    tpa: a.spa,
                };
                vec![Out::Send {
                    ifindex: public,
                    frame: frame::arp_frame(a.sha, self.gateway_mac, &reply),
                }]
            }
            ETH_IPV4 => self.dnat(eth, frame),
            _ => Vec::new(),
        }
    }

    /// IPv4 from the public port: to an EIP, rewritten to its HAVIP and sent to the holder.
    fn dnat(&mut self, eth: frame::Eth, frame: &[u8]) -> Vec<Out> {
        let Some(ip) = frame::ipv4(frame) else {
            self.count("drop: malformed IPv4");
            return Vec::new();
        };
        let Some((vpc, vip)) = self.eips.get(&ip.dst).cloned() else {
            self.count("drop: not an EIP");
            return Vec::new();
        };
        if self.public_hosts.get(ip.src).is_none() {
            self.public_hosts.learn(ip.src, eth.src);
        }
        let Some((k, mac)) = self.owner(&vpc, vip) else {
            self.count("drop: EIP's HAVIP is not bound");
            return Vec::new();
        };
        let mut f = frame.to_vec();
        frame::set_macs(&mut f, mac, self.gateway_mac);
        if frame::rewrite_ipv4(&mut f, false, vip).is_none() {
            self.count("drop: malformed IPv4");
            return Vec::new();
        }
        self.count("DNAT from EIP");
        vec![Out::Send {
            ifindex: self.ifindex_of(k),
            frame: f,
        }]
    }
}
