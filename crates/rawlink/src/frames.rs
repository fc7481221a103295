//! Ethernet frames: the header, ARP, and the frames that announce a virtual address, built
//! and parsed in one place. A gratuitous ARP is sent as keepalived sends it (broadcast ARP
//! request, sender IP = target IP = VIP, target MAC ff:ff:ff:ff:ff:ff); an unsolicited
//! neighbour advertisement as RFC 4861 §7.2.6 says (to ff02::1, Override set, Router when
//! routing).
//!
//! ```text
//!  Ethernet | dst 6 | src 6 | type 0806 |
//!  ARP      | htype 1 | ptype 0800 | hlen 6 | plen 4 | op 1 | sha 6 | spa 4 | tha 6 | tpa 4 |
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

/// IPv6 ethertype.
pub const ETH_IPV6: u16 = 0x86dd;

/// ARP ethertype.
pub const ETH_ARP: u16 = 0x0806;
/// IPv4 ethertype.
pub const ETH_IPV4: u16 = 0x0800;
/// Broadcast MAC.
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// An Ethernet header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eth {
    /// Destination MAC.
    pub dst: [u8; 6],
    /// Source MAC.
    pub src: [u8; 6],
    /// Ethertype.
    pub ethertype: u16,
}

fn mac(b: &[u8]) -> [u8; 6] {
    let mut m = [0; 6];
    m.copy_from_slice(&b[..6]);
    m
}

fn ip(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// Parses the Ethernet header (no VLAN tags).
pub fn eth(frame: &[u8]) -> Option<Eth> {
    (frame.len() >= 14).then(|| Eth {
        dst: mac(&frame[0..6]),
        src: mac(&frame[6..12]),
        ethertype: u16::from_be_bytes([frame[12], frame[13]]),
    })
}

/// An ARP packet (Ethernet / IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    /// Sender MAC.
    pub sha: [u8; 6],
    /// Sender IP.
    pub spa: Ipv4Addr,
    /// Target MAC.
    pub tha: [u8; 6],
    /// Target IP.
    pub tpa: Ipv4Addr,
}

impl Arp {
    /// A gratuitous ARP: sender IP = target IP (request or reply form), or a reply broadcast
    /// to everyone.
    pub fn is_gratuitous(&self) -> bool {
        self.spa == self.tpa || (self.op == 2 && self.tha == BROADCAST)
    }
}

/// Parses the ARP payload of a frame.
pub fn arp(frame: &[u8]) -> Option<Arp> {
    let p = frame.get(14..42)?;
    if p[0..2] != [0, 1] || p[2..4] != [8, 0] || p[4] != 6 || p[5] != 4 {
        return None;
    }
    Some(Arp {
        op: u16::from_be_bytes([p[6], p[7]]),
        sha: mac(&p[8..14]),
        spa: ip(&p[14..18]),
        tha: mac(&p[18..24]),
        tpa: ip(&p[24..28]),
    })
}

/// An Ethernet frame carrying `payload`.
pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An ARP frame.
pub fn arp_frame(dst: [u8; 6], src: [u8; 6], a: &Arp) -> Vec<u8> {
    let mut f = ethernet(dst, src, ETH_ARP, &[0, 1, 8, 0, 6, 4]);
    f.extend_from_slice(&a.op.to_be_bytes());
    f.extend_from_slice(&a.sha);
    f.extend_from_slice(&a.spa.octets());
    f.extend_from_slice(&a.tha);
    f.extend_from_slice(&a.tpa.octets());
    f
}

/// A gratuitous ARP request frame announcing `vip` at `mac`.
pub fn garp(mac: [u8; 6], vip: Ipv4Addr) -> Vec<u8> {
    let request = Arp {
        op: 1,
        sha: mac,
        spa: vip,
        tha: BROADCAST,
        tpa: vip,
    };
    arp_frame(BROADCAST, mac, &request)
}

/// An unsolicited neighbour advertisement frame for `vip` at `mac`.
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> Vec<u8> {
    let all_nodes = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    // ICMPv6: type 136, code 0, checksum, flags (R, S=0, O), reserved, target, TLLA option.
    let mut icmp = vec![136, 0, 0, 0, if router { 0xa0 } else { 0x20 }, 0, 0, 0];
    icmp.extend_from_slice(&vip.octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&mac);
    let mut pseudo = Vec::with_capacity(40 + icmp.len());
    pseudo.extend_from_slice(&vip.octets());
    pseudo.extend_from_slice(&all_nodes.octets());
    pseudo.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    pseudo.extend_from_slice(&icmp);
    let c = vrrp::checksum::internet_checksum(&pseudo).to_be_bytes();
    icmp[2..4].copy_from_slice(&c);
    let mut f = Vec::with_capacity(14 + 40 + icmp.len());
    f.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    f.extend_from_slice(&[58, 255]);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&all_nodes.octets());
    f.extend_from_slice(&icmp);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garp_is_keepalived_s_frame() {
        let f = garp([0x52, 0x54, 0, 0, 0, 5], Ipv4Addr::new(172, 16, 16, 12));
        assert_eq!(f.len(), 42);
        let hex: String = f.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ffffffffffff525400000005080600010800060400015254000000".to_string()
                + "05ac10100cffffffffffffac10100c"
        );
    }

    #[test]
    fn na_checksum_verifies() {
        let f = unsolicited_na([2, 0, 0, 0, 0, 9], "fd00::12".parse().expect("v6"), false);
        assert_eq!(f.len(), 14 + 40 + 32);
        assert_eq!(f[20], 58);
        assert_eq!(f[21], 255);
        let icmp = &f[54..];
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&f[22..38]);
        pseudo.extend_from_slice(&f[38..54]);
        pseudo.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, 58]);
        pseudo.extend_from_slice(icmp);
        assert_eq!(vrrp::checksum::internet_checksum(&pseudo), 0);
        assert_eq!(icmp[4], 0x20, "Override");
    }
}
