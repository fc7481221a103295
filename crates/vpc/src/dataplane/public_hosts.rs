//! The public hosts the switch has heard from: their MACs, learned from frames sent to an
//! EIP, in a table bounded by [`MAX_PUBLIC_HOSTS`] (the oldest learned goes first).

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

/// Public hosts whose MAC the switch remembers at most; the oldest learned goes first.
pub const MAX_PUBLIC_HOSTS: usize = 4096;

/// Public hosts' MACs, learned from frames sent to an EIP, at most [`MAX_PUBLIC_HOSTS`].
#[derive(Debug, Default)]
pub(crate) struct PublicHosts {
    macs: HashMap<Ipv4Addr, [u8; 6]>,
    /// Learning order, oldest first (each address once).
    order: VecDeque<Ipv4Addr>,
}

impl PublicHosts {
    /// The MAC of `ip`, if learned.
    pub fn get(&self, ip: Ipv4Addr) -> Option<[u8; 6]> {
        self.macs.get(&ip).copied()
    }

    /// Learns (or updates) `ip`'s MAC; forgets the oldest host when full.
    pub fn learn(&mut self, ip: Ipv4Addr, mac: [u8; 6]) {
        if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
            return;
        }
        if self.macs.insert(ip, mac).is_none() {
            self.order.push_back(ip);
            while self.order.len() > MAX_PUBLIC_HOSTS {
                if let Some(old) = self.order.pop_front() {
                    self.macs.remove(&old);
                }
            }
        }
    }

    /// How many hosts are remembered.
    pub fn len(&self) -> usize {
        self.macs.len()
    }
}
