//! The packet of an AH advert, byte for byte as keepalived builds and checks it.
//!
//! ```text
//!  IPv4 header (protocol 51, TOS 0xc0, no DF, TTL 255)       20 bytes (options on receipt)
//!  AH (RFC 2402 §2):
//!  | Next Header 112 | Payload Len 4 |      Reserved 0       |
//!  |      SPI: the sender's IPv4 source address            |
//!  |      Sequence Number                                  |
//!  |      ICV: HMAC-MD5-96 (12 bytes)                      |
//!  VRRPv2 message, auth type 2, its 8 auth data bytes zero
//! ```
//!
//! The ICV is HMAC-MD5 keyed with `auth_pass` (its first 8 bytes, zero-padded: keepalived
//! always keys with all 8), truncated to 96 bits, over the IP header with TOS, fragment offset
//! and checksum zeroed (and the TTL too when the receiving or sending instance is unicast),
//! then the AH header with its ICV zeroed, then the VRRP message and whatever follows it.

use super::Key;
use crate::checksum::{IPPROTO_VRRP, Sum};
use crate::ip::{self, IpHeader};
use crate::packet::VRRP_TTL;
use hmac::{Hmac, Mac};
use md5::Md5;
use std::net::{IpAddr, Ipv4Addr};

/// IP protocol number of AH.
pub const IPPROTO_AH: u8 = 51;
/// Length of keepalived's AH header: 12 fixed bytes and a 12-byte ICV.
pub const AH_LEN: usize = 24;
/// Length of the ICV: HMAC-MD5 truncated to 96 bits (RFC 2403).
pub const ICV_LEN: usize = 12;
/// AH payload length field: the header in 32-bit words minus 2 (RFC 2402 §2.2).
pub const PAYLOAD_LEN_WORDS: u8 = 4;
/// Offset of the ICV in the AH header.
const ICV_AT: usize = 12;
/// Length of the IPv4 header keepalived sends (no options).
const IPV4_LEN: usize = 20;
/// keepalived's TOS for adverts (internet network control).
const TOS: u8 = 0xc0;

/// The AH header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhHeader {
    /// The protocol it protects (112 for VRRP).
    pub next_header: u8,
    /// Security Parameter Index: keepalived puts the sender's IPv4 address there.
    pub spi: u32,
    /// Sequence number.
    pub seq: u32,
    /// The ICV as received.
    pub icv: [u8; ICV_LEN],
}

/// The IPv4 envelope of an AH advert we send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Source (and SPI).
    pub src: Ipv4Addr,
    /// Multicast group or unicast peer.
    pub dst: Ipv4Addr,
    /// IP identification: keepalived counts it up per advert, skipping 0 (which the kernel
    /// would replace).
    pub id: u16,
    /// Whether the instance is unicast (its ICV leaves the TTL out).
    pub unicast: bool,
}

/// An AH advert as received: its IP header, AH header and the VRRP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened<'a> {
    /// The IP header.
    pub ip: IpHeader,
    /// The AH header.
    pub ah: AhHeader,
    /// The VRRP message (everything after AH).
    pub vrrp: &'a [u8],
}

/// Why a packet is not an AH advert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not a well-formed IPv4 packet.
    #[error(transparent)]
    Ip(#[from] ip::IpError),
    /// An IPv4 packet of another protocol.
    #[error("IP protocol {0}, not AH (51)")]
    NotAh(u8),
    /// Too short for AH and a VRRP header.
    #[error("AH packet truncated: {got} bytes after the IP header, AH and VRRP need {needed}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// AH protecting another protocol (keepalived drops it silently).
    #[error("AH next header {0}, not VRRP (112)")]
    NextHeader(u8),
}

/// Splits a received IPv4 packet (from its IP header on) into IP header, AH and VRRP message.
/// The ICV is not checked here.
pub fn open(packet: &[u8]) -> Result<Opened<'_>, OpenError> {
    let (ip, payload) = ip::parse(packet)?;
    if !matches!(ip.addrs.src, IpAddr::V4(_)) {
        return Err(OpenError::Ip(ip::IpError::BadVersion(6)));
    }
    if ip.protocol != IPPROTO_AH {
        return Err(OpenError::NotAh(ip.protocol));
    }
    // keepalived's vrrp_get_header: AH and the VRRP fixed header must be there.
    let needed = AH_LEN + 8;
    if payload.len() < needed {
        return Err(OpenError::Truncated {
            needed,
            got: payload.len(),
        });
    }
    let word = |at: usize| {
        u32::from_be_bytes([
            payload[at],
            payload[at + 1],
            payload[at + 2],
            payload[at + 3],
        ])
    };
    let mut icv = [0u8; ICV_LEN];
    icv.copy_from_slice(&payload[ICV_AT..AH_LEN]);
    let ah = AhHeader {
        next_header: payload[0],
        spi: word(4),
        seq: word(8),
        icv,
    };
    if ah.next_header != IPPROTO_VRRP {
        return Err(OpenError::NextHeader(ah.next_header));
    }
    Ok(Opened {
        ip,
        ah,
        vrrp: &payload[AH_LEN..],
    })
}

/// The ICV of `packet` (IP header, AH, VRRP), computed as keepalived does: mutable IP fields
/// and the ICV zeroed.
pub fn icv(key: &Key, packet: &[u8], header_len: usize, unicast: bool) -> [u8; ICV_LEN] {
    let covered = header_len + AH_LEN;
    let mut head = packet[..covered.min(packet.len())].to_vec();
    // TOS, flags and fragment offset, header checksum; and the TTL for unicast.
    let ttl: &[usize] = if unicast { &[8] } else { &[] };
    for at in [1, 6, 7, 10, 11].iter().chain(ttl) {
        if let Some(b) = head.get_mut(*at) {
            *b = 0;
        }
    }
    if let Some(icv) = head.get_mut(header_len + ICV_AT..covered) {
        icv.fill(0);
    }
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(&key.0).expect("HMAC accepts any key");
    mac.update(&head);
    mac.update(packet.get(covered..).unwrap_or_default());
    let mut out = [0u8; ICV_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes()[..ICV_LEN]);
    out
}

/// Whether the ICV of a received packet (opened by [`open`]) is the one `key` gives, compared
/// in constant time.
pub fn icv_matches(key: &Key, packet: &[u8], opened: &Opened<'_>, unicast: bool) -> bool {
    let want = icv(key, packet, opened.ip.header_len, unicast);
    // Constant time: every byte is looked at whatever differs.
    want.iter()
        .zip(opened.ah.icv.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// The whole IPv4 packet of an AH advert: header (with its checksum, which the kernel writes
/// again), AH with sequence number `seq` and the ICV, and `vrrp`, the VRRP message (auth type
/// 2, auth data zero: [`crate::Advert::encode`] with [`crate::Auth::Ah`]).
pub fn seal(key: &Key, env: &Envelope, seq: u32, vrrp: &[u8]) -> Vec<u8> {
    let total = (IPV4_LEN + AH_LEN + vrrp.len()) as u16;
    let mut p = Vec::with_capacity(usize::from(total));
    p.extend_from_slice(&[0x45, TOS]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&env.id.to_be_bytes());
    p.extend_from_slice(&[0, 0, VRRP_TTL, IPPROTO_AH, 0, 0]);
    p.extend_from_slice(&env.src.octets());
    p.extend_from_slice(&env.dst.octets());
    p.extend_from_slice(&[IPPROTO_VRRP, PAYLOAD_LEN_WORDS, 0, 0]);
    p.extend_from_slice(&env.src.octets());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0; ICV_LEN]);
    p.extend_from_slice(vrrp);
    let icv = icv(key, &p, IPV4_LEN, env.unicast);
    p[IPV4_LEN + ICV_AT..IPV4_LEN + AH_LEN].copy_from_slice(&icv);
    let sum = Sum::default().add(&p[..IPV4_LEN]).finish();
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p
}
