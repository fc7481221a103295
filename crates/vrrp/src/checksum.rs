//! The Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 puts in front of it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;

/// Ones'-complement sum accumulator over big-endian 16-bit words.
#[derive(Default, Clone, Copy)]
pub(crate) struct Sum(u32);

impl Sum {
    /// Adds bytes; an odd trailing byte is padded with zero as RFC 1071 says.
    pub(crate) fn add(mut self, bytes: &[u8]) -> Self {
        let mut chunks = bytes.chunks_exact(2);
        for c in &mut chunks {
            self.0 += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            self.0 += u32::from(*last) << 8;
        }
        // Fold often enough that u32 never overflows, even for 64 KiB inputs.
        self.0 = (self.0 & 0xffff) + (self.0 >> 16);
        self
    }

    /// The final checksum: folded and complemented.
    pub(crate) fn finish(self) -> u16 {
        let mut s = self.0;
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }
}

/// Sum of the IPv4 pseudo-header (src, dst, zero, protocol, length).
pub(crate) fn ipv4_pseudo(src: Ipv4Addr, dst: Ipv4Addr, len: usize) -> Sum {
    let len = (len as u16).to_be_bytes();
    Sum::default()
        .add(&src.octets())
        .add(&dst.octets())
        .add(&[0, IPPROTO_VRRP, len[0], len[1]])
}

/// Sum of the IPv6 pseudo-header (src, dst, 32-bit length, zeros, next header).
pub(crate) fn ipv6_pseudo(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> Sum {
    let len = (len as u32).to_be_bytes();
    Sum::default()
        .add(&src.octets())
        .add(&dst.octets())
        .add(&len)
        .add(&[0, 0, 0, IPPROTO_VRRP])
}

/// Sum of the pseudo-header matching the address family of `src`/`dst`.
/// Mixed families give `None`.
pub(crate) fn pseudo(src: IpAddr, dst: IpAddr, len: usize) -> Option<Sum> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(ipv4_pseudo(s, d, len)),
        (IpAddr::V6(s), IpAddr::V6(d)) => Some(ipv6_pseudo(s, d, len)),
        _ => None,
    }
}

/// RFC 1071 checksum of `bytes` alone.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    Sum::default().add(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(internet_checksum(&[0xab]), !0xab00);
    }

    #[test]
    fn data_with_its_checksum_sums_to_zero() {
        let mut data = vec![0x45, 0x00, 0x12, 0x34, 0x00, 0x00, 0xde, 0xad];
        let c = internet_checksum(&data);
        data[4..6].copy_from_slice(&c.to_be_bytes());
        assert_eq!(internet_checksum(&data), 0);
    }
}
