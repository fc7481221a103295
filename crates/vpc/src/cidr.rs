//! IPv4 CIDR blocks: parsing, containment, overlap, and the addresses a subnet reserves
//! (network, gateway .1, broadcast).

use std::net::Ipv4Addr;

/// An IPv4 block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub network: Ipv4Addr,
    /// Prefix length.
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` (the address must be the network address).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a CIDR block (a.b.c.d/n)"))?;
        let addr: Ipv4Addr = a
            .parse()
            .map_err(|_| format!("`{s}`: `{a}` is not an IPv4 address"))?;
        let len: u8 = l
            .parse()
            .ok()
            .filter(|n| *n <= 32)
            .ok_or_else(|| format!("`{s}`: the prefix length must be 0-32"))?;
        let c = Cidr { network: addr, len };
        if c.network_u32() != u32::from(addr) {
            return Err(format!(
                "`{s}` has host bits set; the block is {}/{len}",
                Ipv4Addr::from(c.network_u32())
            ));
        }
        Ok(c)
    }

    fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - self.len)
        }
    }

    fn network_u32(&self) -> u32 {
        u32::from(self.network) & self.mask()
    }

    /// The broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network_u32() | !self.mask())
    }

    /// Whether `a` is in the block.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        u32::from(a) & self.mask() == self.network_u32()
    }

    /// Whether `other` lies inside this block.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.len >= self.len && self.contains(other.network)
    }

    /// Whether the blocks share an address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The subnet's gateway: the network address + 1.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network_u32().wrapping_add(1))
    }

    /// Why `a` is reserved in this subnet, if it is: the network address, the gateway
    /// (network + 1) or the broadcast address.
    pub fn reserved(&self, a: Ipv4Addr) -> Option<&'static str> {
        let n = self.network_u32();
        match u32::from(a) {
            x if x == n => Some("the subnet's network address"),
            x if x == u32::from(self.gateway()) => Some("the subnet's gateway"),
            x if x == u32::from(self.broadcast()) => Some("the subnet's broadcast address"),
            _ => None,
        }
    }

    /// Usable addresses (not reserved), in order.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let first = self.network_u32().saturating_add(2);
        let last = u32::from(self.broadcast()).saturating_sub(1);
        (first..=last).map(Ipv4Addr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_contain_overlap_and_reserve() {
        let vpc = Cidr::parse("172.16.0.0/16").expect("vpc");
        let sub = Cidr::parse("172.16.16.0/24").expect("subnet");
        assert!(vpc.covers(&sub) && !sub.covers(&vpc) && vpc.overlaps(&sub));
        assert!(sub.contains("172.16.16.12".parse().expect("ip")));
        assert_eq!(
            sub.reserved("172.16.16.1".parse().expect("ip")),
            Some("the subnet's gateway")
        );
        assert_eq!(
            sub.reserved("172.16.16.255".parse().expect("ip")),
            Some("the subnet's broadcast address")
        );
        assert_eq!(sub.reserved("172.16.16.12".parse().expect("ip")), None);
        assert_eq!(sub.hosts().next(), Some("172.16.16.2".parse().expect("ip")));
        assert_eq!(sub.hosts().count(), 253);
        assert!(Cidr::parse("172.16.16.5/24").is_err());
        assert!(Cidr::parse("172.16.16.0/33").is_err());
    }
}
