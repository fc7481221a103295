//! Adverts on the wire: encoded by the sender's instance, copied to every server whose
//! interface on the segment is addressed, impaired, decoded and dispatched by VRID.

use crate::host::is_of;
use crate::network::{Kind, Network};
use crate::record::{DeliveryRecord, NodeId};
use node::InstanceId;
use rand::Rng;
use std::net::IpAddr;
use std::rc::Rc;
use vrrp::{Advert, ChecksumMode, Event, Family, Micros, PacketAddrs};

impl Network {
    /// Sends instance `k` of server `from`'s advert to its destinations.
    pub(crate) fn send(&mut self, from: usize, k: usize, advert: &Advert) {
        self.adverts_sent += 1;
        let sender = &self.servers[from];
        let iface = sender.slots[k].iface;
        if !sender.links_up[iface] || sender.cut {
            return;
        }
        let cfg = sender.node.router(InstanceId::new(k)).config();
        let src = cfg.primary_address;
        let family = Family::of(&src);
        let dsts: Vec<IpAddr> = if cfg.is_unicast() {
            cfg.unicast_peers.iter().map(|p| p.addr).collect()
        } else {
            vec![family.multicast_group()]
        };
        let segment = sender.segments[iface];
        for dst in dsts {
            let addrs = PacketAddrs { src, dst };
            let Ok(bytes) = advert.encode(&addrs, ChecksumMode::PseudoHeader) else {
                self.codec_errors += 1;
                continue;
            };
            let bytes: Rc<[u8]> = bytes.into();
            let multicast = dst == family.multicast_group();
            for p in 0..self.segments[segment].1.len() {
                let (to, to_iface) = self.segments[segment].1[p];
                if to == from {
                    continue;
                }
                let addresses = &self.servers[to].interfaces[to_iface].addresses;
                let addressed = if multicast {
                    addresses.iter().any(|a| is_of(a, family))
                } else {
                    addresses.contains(&dst)
                };
                if addressed {
                    self.transmit(from, to, (src, dst), bytes.clone());
                }
            }
        }
    }

    /// Whether the loss of `f` takes this copy: drawn at random, or by its place in an evenly
    /// spread loss.
    fn lost(&mut self, f: crate::LinkFaults) -> bool {
        if f.loss <= 0.0 {
            return false;
        }
        if !f.spread {
            return self.rng.random_bool(f.loss);
        }
        let k = self.spread_sent;
        self.spread_sent += 1;
        crate::faults::spread_drops(k, (f.loss * 100.0).round() as u8)
    }

    fn transmit(&mut self, from: usize, to: usize, addrs: (IpAddr, IpAddr), bytes: Rc<[u8]>) {
        let f = self.faults;
        let copies = if f.duplicate > 0.0 && self.rng.random_bool(f.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.blocked.contains(&(from, to)) || self.lost(f) {
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
                    src: addrs.0,
                    dst: addrs.1,
                    bytes: bytes.clone(),
                },
            );
        }
    }

    /// Hands an arrived copy to the receiving server's instance of its VRID on the segment.
    pub(crate) fn deliver(&mut self, to: usize, from: usize, addrs: PacketAddrs, bytes: &[u8]) {
        let n = &self.servers[to];
        if !n.running || n.cut || self.blocked.contains(&(from, to)) {
            self.copies_lost += 1;
            return;
        }
        let advert = match Advert::decode(bytes, &addrs) {
            Ok(d) => d.advert,
            Err(_) => {
                self.codec_errors += 1;
                return;
            }
        };
        let PacketAddrs { src, dst } = addrs;
        let n = &self.servers[to];
        let family = Family::of(&src);
        let multicast = dst == family.multicast_group();
        // The daemon dispatches by interface and VRID: other virtual routers never see it.
        let target = (0..n.slots.len()).find(|&k| {
            let iface = n.slots[k].iface;
            let cfg = n.node.router(InstanceId::new(k)).config();
            self.segments[n.segments[iface]]
                .1
                .iter()
                .any(|&(s, _)| s == from)
                && cfg.vrid == advert.vrid
                && Family::of(&cfg.primary_address) == family
                && (multicast || n.interfaces[iface].addresses.contains(&dst))
        });
        let Some(k) = target else {
            return;
        };
        if !n.links_up[n.slots[k].iface] {
            self.copies_lost += 1;
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
        let now = self.now;
        let mut out = std::mem::take(&mut self.effects);
        let event = Event::Advert {
            src,
            ttl: vrrp::packet::VRRP_TTL,
            multicast,
            advert,
        };
        self.servers[to]
            .node
            .handle(now, InstanceId::new(k), event, &mut out);
        self.carry_out(to, out);
        self.rearm(to);
    }
}
