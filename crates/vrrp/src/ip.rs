//! Minimal IP header views: what a VRRP receiver needs from the packet around an advert.
//!
//! ```text
//!  IPv4 (RFC 791)                           IPv6 fixed header (RFC 8200)
//!  |Ver|IHL| TOS |  Total Length |          |Ver| TC |     Flow Label     |
//!  |  Identification |Flg| Frag  |          | Payload Length | NH | HopLim|
//!  | TTL | Proto |  Hdr Checksum |          |     Source Address (16)    |
//!  |        Source Address       |          |  Destination Address (16)  |
//!  |     Destination Address     |
//!  |  Options (IHL > 5) ...      |
//! ```

use crate::packet::PacketAddrs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The fields of an IP header that VRRP checks, and where its payload starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpHeader {
    /// Source and destination.
    pub addrs: PacketAddrs,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 protocol or IPv6 next header.
    pub protocol: u8,
    /// Offset of the payload in the packet.
    pub header_len: usize,
    /// Total length the header claims (header + payload).
    pub total_len: usize,
}

/// Why bytes are not a usable IP header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// Too short for the header.
    #[error("IP packet truncated: {got} bytes, header needs {needed}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// Version nibble is not 4 or 6.
    #[error("IP version {0} (expected 4 or 6)")]
    BadVersion(u8),
    /// Total length disagrees with the bytes received.
    #[error("IP total length {claimed} but {got} bytes received")]
    LengthMismatch {
        /// Length in the header.
        claimed: usize,
        /// Bytes received.
        got: usize,
    },
}

/// Parses an IPv4 or IPv6 header (IPv6 without extension headers) and returns it with the payload.
pub fn parse(packet: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    let first = *packet
        .first()
        .ok_or(IpError::Truncated { needed: 20, got: 0 })?;
    match first >> 4 {
        4 => parse_v4(packet),
        6 => parse_v6(packet),
        v => Err(IpError::BadVersion(v)),
    }
}

fn parse_v4(p: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    if p.len() < 20 {
        return Err(IpError::Truncated {
            needed: 20,
            got: p.len(),
        });
    }
    let header_len = usize::from(p[0] & 0x0f) * 4;
    if header_len < 20 || p.len() < header_len {
        return Err(IpError::Truncated {
            needed: header_len.max(20),
            got: p.len(),
        });
    }
    let total_len = usize::from(u16::from_be_bytes([p[2], p[3]]));
    if total_len != p.len() {
        return Err(IpError::LengthMismatch {
            claimed: total_len,
            got: p.len(),
        });
    }
    let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    let header = IpHeader {
        addrs: PacketAddrs {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
        },
        ttl: p[8],
        protocol: p[9],
        header_len,
        total_len,
    };
    Ok((header, &p[header_len..]))
}

fn parse_v6(p: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    if p.len() < 40 {
        return Err(IpError::Truncated {
            needed: 40,
            got: p.len(),
        });
    }
    let payload_len = usize::from(u16::from_be_bytes([p[4], p[5]]));
    if 40 + payload_len != p.len() {
        return Err(IpError::LengthMismatch {
            claimed: 40 + payload_len,
            got: p.len(),
        });
    }
    let mut s = [0u8; 16];
    let mut d = [0u8; 16];
    s.copy_from_slice(&p[8..24]);
    d.copy_from_slice(&p[24..40]);
    let header = IpHeader {
        addrs: PacketAddrs {
            src: IpAddr::V6(Ipv6Addr::from(s)),
            dst: IpAddr::V6(Ipv6Addr::from(d)),
        },
        ttl: p[7],
        protocol: p[6],
        header_len: 40,
        total_len: p.len(),
    };
    Ok((header, &p[40..]))
}

/// An IPv4 packet carrying the VRRP message `payload` from `src` to `dst` as VRRP routers send
/// it (TOS 0xc0, TTL 255, protocol 112): for tools that write whole frames (the lab's attacker).
pub fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut out = Vec::with_capacity(usize::from(total));
    out.extend_from_slice(&[0x45, 0xc0]);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&[
        0,
        0,
        0x40,
        0,
        crate::packet::VRRP_TTL,
        crate::checksum::IPPROTO_VRRP,
        0,
        0,
    ]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    let sum = crate::checksum::Sum::default().add(&out).finish();
    out[10..12].copy_from_slice(&sum.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_and_wrong_version() {
        assert_eq!(parse(&[]), Err(IpError::Truncated { needed: 20, got: 0 }));
        assert_eq!(
            parse(&[0x45; 10]),
            Err(IpError::Truncated {
                needed: 20,
                got: 10
            })
        );
        assert_eq!(parse(&[0x55; 40]), Err(IpError::BadVersion(5)));
        assert_eq!(
            parse(&[0x60; 39]),
            Err(IpError::Truncated {
                needed: 40,
                got: 39
            })
        );
    }

    #[test]
    fn rejects_ihl_beyond_packet_and_length_mismatch() {
        let mut p = [0u8; 20];
        p[0] = 0x4f; // IHL 15 = 60 bytes
        assert!(matches!(
            parse(&p),
            Err(IpError::Truncated { needed: 60, .. })
        ));
        p[0] = 0x45;
        p[3] = 21;
        assert_eq!(
            parse(&p),
            Err(IpError::LengthMismatch {
                claimed: 21,
                got: 20
            })
        );
    }

    #[test]
    fn a_built_ipv4_packet_parses_back() {
        let src = Ipv4Addr::new(172, 16, 16, 66);
        let dst = Ipv4Addr::new(224, 0, 0, 18);
        let packet = ipv4_packet(src, dst, &[1, 2, 3, 4]);
        let (h, payload) = parse(&packet).expect("parses");
        assert_eq!(
            (h.ttl, h.protocol, payload),
            (255, 112, &[1u8, 2, 3, 4][..])
        );
        assert_eq!(h.addrs.src, IpAddr::V4(src));
        assert_eq!(
            crate::checksum::Sum::default().add(&packet[..20]).finish(),
            0
        );
    }
}
