//! Frames that announce a virtual address: gratuitous ARP as keepalived sends it (broadcast ARP
//! request, sender IP = target IP = VIP, target MAC ff:ff:ff:ff:ff:ff) and unsolicited
//! neighbour advertisements (RFC 4861 §7.2.6: to ff02::1, Override set, Router when routing).
//!
//! ```text
//!  Ethernet | dst 6 | src 6 | type 0806 |
//!  ARP      | htype 1 | ptype 0800 | hlen 6 | plen 4 | op 1 | sha 6 | spa 4 | tha 6 | tpa 4 |
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

const BROADCAST: [u8; 6] = [0xff; 6];

/// A gratuitous ARP request frame announcing `vip` at `mac`.
pub fn garp(mac: [u8; 6], vip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&BROADCAST);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06]);
    f.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&BROADCAST);
    f.extend_from_slice(&vip.octets());
    f
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
