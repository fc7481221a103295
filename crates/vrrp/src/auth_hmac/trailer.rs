//! The authentication trailer keepalived 2.4 appends after the VRRP message, and its HMAC.
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |   Ext Type    |    Key ID     |           Reserved (0)        |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                  Seconds (UTC, Unix epoch)                    |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |     Sub-seconds (1/65536 s)   |            Counter            |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                                                               |
//!  +         HMAC-SHA256 truncated to 128 bits (16 bytes)          +
//!  |                                                               |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Seconds, sub-seconds and counter read together are one 64-bit sequence number ([`Seq`]).
//! The HMAC input is a 20-byte pseudo-header (family 4|6, version, VRID, zero, source address
//! zero-padded to 16 bytes), the VRRP message with its checksum field read as zero, the
//! trailer's first 12 bytes, and 16 zero bytes in place of the HMAC. The IP header is not
//! covered, and neither is the checksum, which for IPv6 covers the trailer too.

use super::Seq;
use crate::packet::{Family, Version};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

/// Length of the trailer on the wire.
pub const TRAILER_LEN: usize = 28;
/// Length of the truncated HMAC.
pub const HMAC_LEN: usize = 16;
/// `ext_type` of HMAC-SHA256 truncated to 128 bits, the only scheme defined.
pub const EXT_TYPE_HMAC_SHA256: u8 = 1;
/// Length of the pseudo-header bound into the HMAC.
const PSEUDO_LEN: usize = 20;
/// Offset of the checksum in the VRRP header (both versions).
const CHECKSUM_OFFSET: usize = 6;
/// Bytes of the trailer before the HMAC.
const PREFIX_LEN: usize = TRAILER_LEN - HMAC_LEN;

/// A decoded trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Scheme identifier (1: HMAC-SHA256/128).
    pub ext_type: u8,
    /// Which configured key signed it.
    pub key_id: u8,
    /// Sent as zero; anything else is malformed.
    pub reserved: u16,
    /// The 64-bit time-based sequence number.
    pub seq: Seq,
    /// The truncated HMAC.
    pub hmac: [u8; HMAC_LEN],
}

impl Trailer {
    /// Reads a trailer from exactly [`TRAILER_LEN`] bytes.
    pub fn parse(bytes: &[u8; TRAILER_LEN]) -> Trailer {
        let be32 =
            |o: usize| u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let be16 = |o: usize| u16::from_be_bytes([bytes[o], bytes[o + 1]]);
        let mut hmac = [0u8; HMAC_LEN];
        hmac.copy_from_slice(&bytes[PREFIX_LEN..]);
        Trailer {
            ext_type: bytes[0],
            key_id: bytes[1],
            reserved: be16(2),
            seq: Seq::from_parts(be32(4), be16(8), be16(10)),
            hmac,
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[0] = self.ext_type;
        out[1] = self.key_id;
        out[2..4].copy_from_slice(&self.reserved.to_be_bytes());
        out[4..12].copy_from_slice(&self.seq.0.to_be_bytes());
        out[PREFIX_LEN..].copy_from_slice(&self.hmac);
        out
    }
}

/// What the HMAC binds besides the bytes: the sender's family, version, VRID and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// VRRP version of the instance.
    pub version: Version,
    /// VRID of the instance.
    pub vrid: u8,
    /// Source address of the packet (its family is the pseudo-header's family).
    pub src: IpAddr,
}

impl Binding {
    fn pseudo_header(&self) -> [u8; PSEUDO_LEN] {
        let mut out = [0u8; PSEUDO_LEN];
        out[0] = match Family::of(&self.src) {
            Family::Ipv4 => 4,
            Family::Ipv6 => 6,
        };
        out[1] = match self.version {
            Version::V2 => 2,
            Version::V3 => 3,
        };
        out[2] = self.vrid;
        match self.src {
            IpAddr::V4(a) => out[4..8].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => out[4..20].copy_from_slice(&a.octets()),
        }
        out
    }
}

/// A key ready to use: HMAC's inner and outer key blocks computed once, not per advert.
#[derive(Clone)]
pub struct PreparedKey(Hmac<Sha256>);

impl PreparedKey {
    /// Prepares `key`.
    pub fn new(key: &[u8]) -> Self {
        PreparedKey(
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length"),
        )
    }
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PreparedKey")
    }
}

/// The HMAC state after the message and the trailer's prefix: `message` is the VRRP message
/// (at least its 8-byte header), `prefix` the trailer's first 12 bytes.
fn keyed_digest(
    key: &PreparedKey,
    binding: &Binding,
    message: &[u8],
    prefix: &[u8],
) -> Hmac<Sha256> {
    let mut mac = key.0.clone();
    mac.update(&binding.pseudo_header());
    let split = CHECKSUM_OFFSET.min(message.len());
    mac.update(&message[..split]);
    if message.len() >= CHECKSUM_OFFSET + 2 {
        mac.update(&[0, 0]);
        mac.update(&message[CHECKSUM_OFFSET + 2..]);
    }
    mac.update(prefix);
    mac.update(&[0u8; HMAC_LEN]);
    mac
}

/// The truncated HMAC of `message` followed by `prefix` (the trailer's first 12 bytes).
pub fn compute(
    key: &PreparedKey,
    binding: &Binding,
    message: &[u8],
    prefix: &[u8],
) -> [u8; HMAC_LEN] {
    let full = keyed_digest(key, binding, message, prefix)
        .finalize()
        .into_bytes();
    let mut out = [0u8; HMAC_LEN];
    out.copy_from_slice(&full[..HMAC_LEN]);
    out
}

/// True if the trailer's HMAC is that of `message` and the trailer (constant-time comparison).
pub fn verify(key: &PreparedKey, binding: &Binding, message: &[u8], trailer: &Trailer) -> bool {
    let prefix = trailer.to_bytes();
    keyed_digest(key, binding, message, &prefix[..PREFIX_LEN])
        .verify_truncated_left(&trailer.hmac)
        .is_ok()
}

/// Builds the trailer for `message`, signed with `key`.
pub fn sign(key_id: u8, key: &PreparedKey, seq: Seq, binding: &Binding, message: &[u8]) -> Trailer {
    let mut t = Trailer {
        ext_type: EXT_TYPE_HMAC_SHA256,
        key_id,
        reserved: 0,
        seq,
        hmac: [0; HMAC_LEN],
    };
    let prefix = t.to_bytes();
    t.hmac = compute(key, binding, message, &prefix[..PREFIX_LEN]);
    t
}
