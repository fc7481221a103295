//! The frames the data plane reads and writes: Ethernet and ARP (from `rawlink`, their one
//! home), and IPv4 with address rewriting (checksums updated incrementally, RFC 1624, for IP,
//! TCP and UDP).

pub use rawlink::frames::{Arp, BROADCAST, ETH_ARP, ETH_IPV4, Eth, arp, arp_frame, eth, ethernet};
use std::net::Ipv4Addr;

/// The IPv4 fields the data plane routes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4 {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Protocol.
    pub protocol: u8,
}

/// Parses the IPv4 header of a frame.
pub fn ipv4(frame: &[u8]) -> Option<Ipv4> {
    let h = frame.get(14..34)?;
    if h[0] >> 4 != 4 || usize::from(h[0] & 0x0f) * 4 < 20 {
        return None;
    }
    Some(Ipv4 {
        src: Ipv4Addr::new(h[12], h[13], h[14], h[15]),
        dst: Ipv4Addr::new(h[16], h[17], h[18], h[19]),
        protocol: h[9],
    })
}

/// Sets the Ethernet addresses.
pub fn set_macs(frame: &mut [u8], dst: [u8; 6], src: [u8; 6]) {
    frame[0..6].copy_from_slice(&dst);
    frame[6..12].copy_from_slice(&src);
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// RFC 1624: the checksum after a 32-bit field changed from `old` to `new`.
fn adjust(checksum: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    let mut sum = u32::from(!checksum);
    for k in [0, 2] {
        sum += u32::from(!u16::from_be_bytes([old[k], old[k + 1]]));
        sum += u32::from(u16::from_be_bytes([new[k], new[k + 1]]));
    }
    !fold(sum)
}

/// Rewrites an IPv4 address (source if `source`, else destination), fixing the IP checksum
/// and the TCP/UDP checksum (which covers it through the pseudo-header).
pub fn rewrite_ipv4(frame: &mut [u8], source: bool, new: Ipv4Addr) -> Option<()> {
    let ihl = usize::from(*frame.get(14)? & 0x0f) * 4;
    let at = if source { 14 + 12 } else { 14 + 16 };
    let old: [u8; 4] = frame.get(at..at + 4)?.try_into().ok()?;
    let new = new.octets();
    frame[at..at + 4].copy_from_slice(&new);
    let c = u16::from_be_bytes([frame[24], frame[25]]);
    frame[24..26].copy_from_slice(&adjust(c, old, new).to_be_bytes());
    let l4 = 14 + ihl;
    let csum_at = match frame[14 + 9] {
        6 => l4 + 16,
        17 => l4 + 6,
        _ => return Some(()),
    };
    if let Some(b) = frame.get(csum_at..csum_at + 2) {
        let c = u16::from_be_bytes([b[0], b[1]]);
        // UDP checksum 0 means "none".
        if !(frame[14 + 9] == 17 && c == 0) {
            frame[csum_at..csum_at + 2].copy_from_slice(&adjust(c, old, new).to_be_bytes());
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for c in data.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
        !fold(sum)
    }

    fn udp_frame() -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&ETH_IPV4.to_be_bytes());
        let mut ip = vec![
            0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mut udp = vec![0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, b'h', b'e', b'y', b'!'];
        let mut pseudo = vec![10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 12];
        pseudo.extend_from_slice(&udp);
        let c = checksum(&pseudo);
        udp[6..8].copy_from_slice(&c.to_be_bytes());
        f.extend(ip);
        f.extend(udp);
        f
    }

    #[test]
    fn rewriting_keeps_ip_and_udp_checksums_valid() {
        let mut f = udp_frame();
        rewrite_ipv4(&mut f, false, "198.51.100.7".parse().expect("ip")).expect("rewrite");
        assert_eq!(checksum(&f[14..34]), 0, "IP header checksum");
        let mut pseudo = f[26..34].to_vec();
        pseudo.extend_from_slice(&[0, 17, 0, 12]);
        pseudo.extend_from_slice(&f[34..46]);
        assert_eq!(checksum(&pseudo), 0, "UDP checksum");
        assert_eq!(ipv4(&f).map(|h| h.dst), "198.51.100.7".parse().ok());
    }

    #[test]
    fn arp_round_trip_and_gratuitous_forms() {
        let a = Arp {
            op: 1,
            sha: [2, 0, 0, 0, 0, 5],
            spa: "172.16.16.12".parse().expect("ip"),
            tha: BROADCAST,
            tpa: "172.16.16.12".parse().expect("ip"),
        };
        let f = arp_frame(BROADCAST, a.sha, &a);
        assert_eq!(arp(&f), Some(a));
        assert!(a.is_gratuitous());
        let reply = Arp {
            op: 2,
            tpa: "172.16.16.1".parse().expect("ip"),
            ..a
        };
        assert!(reply.is_gratuitous(), "reply broadcast to all");
        let normal = Arp {
            tha: [0; 6],
            ..reply
        };
        assert!(!normal.is_gratuitous());
    }
}
