//! VRRP advertisement wire format: VRRPv2 (RFC 3768 §5) and VRRPv3 (RFC 5798 §5).
//!
//! ```text
//!  VRRPv2 (IPv4 only)                      VRRPv3 (IPv4 or IPv6)
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  v2: |   Auth Type   |   Adver Int   |          Checksum         |
//!  v3: |(rsvd) |     Max Adver Int     |          Checksum         |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                 IPvX Address(es) (4 or 16 bytes each)         |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  v2 only: |        Authentication Data (8 bytes)                 |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! v2's interval is in seconds and its checksum covers the VRRP message only. v3's interval is
//! 12 bits of centiseconds and its checksum covers an IP pseudo-header too (RFC 5798 §5.2.8), but
//! for IPv4 vendors disagree: [`ChecksumMode`] names the variants; decoding accepts any of them
//! and reports which one matched.

use crate::auth_hmac::TRAILER_LEN;
use crate::checksum::{self, Sum};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 multicast group for VRRP (RFC 5798 §5.1.1.2).
pub const MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// IPv6 multicast group for VRRP (RFC 5798 §5.1.2.2).
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// TTL / hop limit every VRRP advert is sent with (RFC 5798 §5.1.1.3).
pub const VRRP_TTL: u8 = 255;

const HEADER_LEN: usize = 8;
const AUTH_LEN: usize = 8;
const TYPE_ADVERTISEMENT: u8 = 1;

/// Protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    /// VRRPv2, RFC 3768: IPv4 only, interval in seconds, optional simple password.
    V2,
    /// VRRPv3, RFC 5798: IPv4 and IPv6, interval in centiseconds, no authentication.
    V3,
}

impl Version {
    fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// Address family of an advert (and of the IP packet carrying it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// Family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    fn addr_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// The VRRP multicast group of this family.
    pub fn multicast_group(self) -> IpAddr {
        match self {
            Family::Ipv4 => IpAddr::V4(MULTICAST_V4),
            Family::Ipv6 => IpAddr::V6(MULTICAST_V6),
        }
    }
}

/// Advertisement interval, kept in centiseconds (v3's unit); v2 intervals are whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AdvertInterval(u16);

impl AdvertInterval {
    /// Largest v3 interval: 4095 cs = 40.95 s (12 bits).
    pub const V3_MAX_CENTIS: u16 = 0x0fff;
    /// keepalived's default `advert_int 1`.
    pub const ONE_SECOND: AdvertInterval = AdvertInterval(100);

    /// An interval of `cs` centiseconds; `None` for zero.
    pub const fn from_centis(cs: u16) -> Option<Self> {
        if cs == 0 {
            None
        } else {
            Some(AdvertInterval(cs))
        }
    }

    /// An interval of whole seconds; `None` for zero or more than 655 s.
    pub const fn from_secs(s: u16) -> Option<Self> {
        if s == 0 || s > 655 {
            None
        } else {
            Some(AdvertInterval(s * 100))
        }
    }

    /// Centiseconds.
    pub const fn centis(self) -> u16 {
        self.0
    }

    /// Microseconds, the unit of the router's timers.
    pub const fn micros(self) -> u64 {
        self.0 as u64 * 10_000
    }

    /// True if the interval can be carried by `version` (v2: whole seconds 1-255; v3: 1-4095 cs).
    pub const fn fits(self, version: Version) -> bool {
        match version {
            Version::V2 => self.0.is_multiple_of(100) && self.0 / 100 <= 255,
            Version::V3 => self.0 <= Self::V3_MAX_CENTIS,
        }
    }
}

impl fmt::Display for AdvertInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::time::Micros(self.micros()).fmt(f)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VRRPv{}", self.number())
    }
}

/// VRRPv2 authentication (keepalived's `authentication { auth_type ... }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Auth {
    /// Type 0: no authentication (the 8 data bytes are sent as zero and ignored).
    None,
    /// Type 1: simple password, the first 8 bytes of `auth_pass`, zero-padded.
    Pass([u8; 8]),
    /// Type 2: IPsec AH: the advert travels inside an AH header ([`crate::ah`]); the 8 data
    /// bytes are zero.
    Ah,
}

impl Auth {
    /// PASS authentication from a configured `auth_pass` (keepalived keeps its first 8 bytes).
    pub fn pass(password: &str) -> Auth {
        let mut data = [0u8; 8];
        for (d, s) in data.iter_mut().zip(password.bytes()) {
            *d = s;
        }
        Auth::Pass(data)
    }

    fn type_code(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Ah => 2,
        }
    }
}

/// Which bytes the checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumMode {
    /// The VRRP message and an IP pseudo-header with the packet's real destination: RFC 5798
    /// §5.2.8, keepalived's and FRR's default for VRRPv3, and the only form for IPv6.
    PseudoHeader,
    /// The pseudo-header with the multicast group as destination even on unicast: what
    /// keepalived calls `unicast_chksum_compat` (releases before 1.3.6 sent this).
    PseudoHeaderMulticastDst,
    /// The VRRP message alone: always for VRRPv2, and VRRPv3 over IPv4 as some vendors send it.
    MessageOnly,
}

/// Source and destination of the IP packet carrying an advert (the v3 pseudo-header needs them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PacketAddrs {
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address (multicast group or unicast peer).
    pub dst: IpAddr,
}

/// A VRRP advertisement, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Advert {
    /// Protocol version.
    pub version: Version,
    /// Virtual router id, 1-255.
    pub vrid: u8,
    /// Sender's priority: 255 owner, 1-254 backup-capable, 0 resigning master.
    pub priority: u8,
    /// Advertisement interval.
    pub interval: AdvertInterval,
    /// v2 authentication; always [`Auth::None`] for v3.
    pub auth: Auth,
    /// The virtual addresses, all of the packet's family.
    pub addresses: Vec<IpAddr>,
}

/// A decoded advert and the checksum form that validated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The advert.
    pub advert: Advert,
    /// The checksum variant the sender used.
    pub checksum: ChecksumMode,
}

/// Why bytes are not a valid VRRP advertisement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the fixed header.
    #[error("truncated: {got} bytes, a VRRP header needs {needed}")]
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// Version nibble is neither 2 nor 3.
    #[error("unsupported VRRP version {0} (expected 2 or 3)")]
    BadVersion(u8),
    /// Type nibble is not 1 (ADVERTISEMENT).
    #[error("unknown VRRP packet type {0} (only 1, ADVERTISEMENT, exists)")]
    BadType(u8),
    /// Source and destination addresses are of different families.
    #[error("IP source {src} and destination {dst} are of different families")]
    MixedFamily {
        /// IP source.
        src: IpAddr,
        /// IP destination.
        dst: IpAddr,
    },
    /// VRRPv2 carried over IPv6, which RFC 3768 does not define.
    #[error("VRRPv2 is IPv4-only but arrived over IPv6")]
    V2OverIpv6,
    /// Virtual router id 0 is reserved.
    #[error("virtual router id 0 is invalid (1-255)")]
    ZeroVrid,
    /// Advertisement interval of zero.
    #[error("advertisement interval is 0")]
    ZeroInterval,
    /// Length does not match the address count.
    #[error("length {got} does not match {count} addresses (expected {expected} bytes)")]
    LengthMismatch {
        /// Count IP Addrs field.
        count: u8,
        /// Length implied by the count.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// v2 auth type other than 0, 1, 2.
    #[error("unknown VRRPv2 authentication type {0} (expected 0 none, 1 PASS, 2 AH)")]
    BadAuthType(u8),
    /// Checksum does not verify under any accepted form.
    #[error("bad checksum 0x{found:04x}")]
    BadChecksum {
        /// The checksum field as received.
        found: u16,
    },
}

/// Why an advert cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More than 255 addresses.
    #[error("{0} virtual addresses; an advert carries at most 255")]
    TooManyAddresses(usize),
    /// An address of the other family than the packet's source.
    #[error("address {0} is not of the packet's address family")]
    FamilyMismatch(IpAddr),
    /// VRRPv2 over IPv6.
    #[error("VRRPv2 cannot be sent over IPv6")]
    V2OverIpv6,
    /// Interval not representable in the version's field.
    #[error("interval {interval} cannot be carried by VRRP{version:?}")]
    Interval {
        /// The interval.
        interval: AdvertInterval,
        /// The version.
        version: Version,
    },
    /// Virtual router id 0.
    #[error("virtual router id 0 is invalid (1-255)")]
    ZeroVrid,
}

impl Advert {
    /// Length of the encoded VRRP message (without IP header).
    pub fn encoded_len(&self, family: Family) -> usize {
        let auth = if self.version == Version::V2 {
            AUTH_LEN
        } else {
            0
        };
        HEADER_LEN + self.addresses.len() * family.addr_len() + auth
    }

    /// Encodes the VRRP message for an IP packet from `addrs.src` to `addrs.dst`.
    ///
    /// `mode` selects the v3 IPv4 checksum form; v2 always uses [`ChecksumMode::MessageOnly`]
    /// and IPv6 always [`ChecksumMode::PseudoHeader`].
    pub fn encode(&self, addrs: &PacketAddrs, mode: ChecksumMode) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.encoded_len(Family::of(&addrs.src)));
        self.encode_into(addrs, mode, &mut out)?;
        Ok(out)
    }

    /// Like [`Advert::encode`], appending to `out` (reuse a buffer on hot paths).
    pub fn encode_into(
        &self,
        addrs: &PacketAddrs,
        mode: ChecksumMode,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let family = Family::of(&addrs.src);
        if self.vrid == 0 {
            return Err(EncodeError::ZeroVrid);
        }
        if self.version == Version::V2 && family == Family::Ipv6 {
            return Err(EncodeError::V2OverIpv6);
        }
        if !self.interval.fits(self.version) {
            return Err(EncodeError::Interval {
                interval: self.interval,
                version: self.version,
            });
        }
        let count = u8::try_from(self.addresses.len())
            .map_err(|_| EncodeError::TooManyAddresses(self.addresses.len()))?;
        if let Some(bad) = self.addresses.iter().find(|a| Family::of(a) != family) {
            return Err(EncodeError::FamilyMismatch(*bad));
        }
        let start = out.len();
        out.push((self.version.number() << 4) | TYPE_ADVERTISEMENT);
        out.extend_from_slice(&[self.vrid, self.priority, count]);
        match self.version {
            Version::V2 => {
                out.extend_from_slice(&[self.auth.type_code(), (self.interval.0 / 100) as u8])
            }
            Version::V3 => out.extend_from_slice(&(self.interval.0 & 0x0fff).to_be_bytes()),
        }
        out.extend_from_slice(&[0, 0]);
        for a in &self.addresses {
            match a {
                IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
            }
        }
        if self.version == Version::V2 {
            match self.auth {
                Auth::Pass(data) => out.extend_from_slice(&data),
                Auth::None | Auth::Ah => out.extend_from_slice(&[0; AUTH_LEN]),
            }
        }
        let msg = &out[start..];
        let sum = match effective_mode(self.version, family, mode) {
            ChecksumMode::MessageOnly => Sum::default(),
            ChecksumMode::PseudoHeader => pseudo_sum(addrs.src, addrs.dst, msg.len()),
            ChecksumMode::PseudoHeaderMulticastDst => {
                pseudo_sum(addrs.src, family.multicast_group(), msg.len())
            }
        };
        let c = sum.add(msg).finish().to_be_bytes();
        out[start + 6..start + 8].copy_from_slice(&c);
        Ok(())
    }

    /// Decodes a VRRP message (the IP payload) received from `addrs.src` to `addrs.dst`.
    ///
    /// Never panics; every malformed input gives a [`DecodeError`].
    pub fn decode(bytes: &[u8], addrs: &PacketAddrs) -> Result<Decoded, DecodeError> {
        Self::decode_message(bytes, bytes, addrs)
    }

    /// Like [`Advert::decode`], for an instance with `auth_hmac`: a message followed by exactly
    /// a trailer's length more is split (keepalived's rule: padding never reaches that size).
    /// For IPv6 the checksum covers the trailer too; for IPv4 the message alone.
    pub fn decode_with_trailer<'a>(
        bytes: &'a [u8],
        addrs: &PacketAddrs,
    ) -> Result<(Decoded, Option<&'a [u8; TRAILER_LEN]>), DecodeError> {
        let split = message_len(bytes, Family::of(&addrs.src))
            .filter(|&m| bytes.len() == m + TRAILER_LEN)
            .and_then(|m| Some((&bytes[..m], bytes[m..].try_into().ok()?)));
        match split {
            Some((message, trailer)) => {
                let checksummed = if Family::of(&addrs.src) == Family::Ipv6 {
                    bytes
                } else {
                    message
                };
                Ok((
                    Self::decode_message(message, checksummed, addrs)?,
                    Some(trailer),
                ))
            }
            None => Ok((Self::decode(bytes, addrs)?, None)),
        }
    }

    /// Decodes `bytes`, the VRRP message; `checksummed` is what its checksum covers (the
    /// message, or for IPv6 the whole payload with a trailer).
    fn decode_message(
        bytes: &[u8],
        checksummed: &[u8],
        addrs: &PacketAddrs,
    ) -> Result<Decoded, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::Truncated {
                needed: HEADER_LEN,
                got: bytes.len(),
            });
        }
        let version = match bytes[0] >> 4 {
            2 => Version::V2,
            3 => Version::V3,
            v => return Err(DecodeError::BadVersion(v)),
        };
        if bytes[0] & 0x0f != TYPE_ADVERTISEMENT {
            return Err(DecodeError::BadType(bytes[0] & 0x0f));
        }
        let family = Family::of(&addrs.src);
        if family != Family::of(&addrs.dst) {
            return Err(DecodeError::MixedFamily {
                src: addrs.src,
                dst: addrs.dst,
            });
        }
        if version == Version::V2 && family == Family::Ipv6 {
            return Err(DecodeError::V2OverIpv6);
        }
        let (vrid, priority, count) = (bytes[1], bytes[2], bytes[3]);
        if vrid == 0 {
            return Err(DecodeError::ZeroVrid);
        }
        let expected = expected_len(version == Version::V2, family, count);
        if bytes.len() != expected {
            return Err(DecodeError::LengthMismatch {
                count,
                expected,
                got: bytes.len(),
            });
        }
        let centis = match version {
            Version::V2 => u16::from(bytes[5]) * 100,
            Version::V3 => u16::from_be_bytes([bytes[4], bytes[5]]) & 0x0fff,
        };
        let interval = AdvertInterval::from_centis(centis).ok_or(DecodeError::ZeroInterval)?;
        let addr_end = HEADER_LEN + usize::from(count) * family.addr_len();
        let auth = match version {
            Version::V3 => Auth::None,
            Version::V2 => match bytes[4] {
                0 => Auth::None,
                1 => {
                    let mut data = [0u8; AUTH_LEN];
                    data.copy_from_slice(&bytes[addr_end..addr_end + AUTH_LEN]);
                    Auth::Pass(data)
                }
                2 => Auth::Ah,
                t => return Err(DecodeError::BadAuthType(t)),
            },
        };
        let checksum = verify_checksum(checksummed, version, family, addrs)?;
        let addresses = bytes[HEADER_LEN..addr_end]
            .chunks_exact(family.addr_len())
            .map(|c| match family {
                Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(c[0], c[1], c[2], c[3])),
                Family::Ipv6 => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(c);
                    IpAddr::V6(Ipv6Addr::from(o))
                }
            })
            .collect();
        Ok(Decoded {
            advert: Advert {
                version,
                vrid,
                priority,
                interval,
                auth,
                addresses,
            },
            checksum,
        })
    }
}

/// After a trailer was appended to an IPv6 advert: its checksum covers the whole payload (the
/// rule the kernel applies with `IPV6_CHECKSUM`), so it is computed again. IPv4 adverts keep
/// the checksum of the message alone.
pub fn reseal_ipv6_checksum(payload: &mut [u8], addrs: &PacketAddrs) {
    if Family::of(&addrs.src) != Family::Ipv6 || payload.len() < HEADER_LEN {
        return;
    }
    payload[6..8].copy_from_slice(&[0, 0]);
    let c = pseudo_sum(addrs.src, addrs.dst, payload.len())
        .add(payload)
        .finish()
        .to_be_bytes();
    payload[6..8].copy_from_slice(&c);
}

/// The length of the VRRP message the header announces, if the header is there.
fn message_len(bytes: &[u8], family: Family) -> Option<usize> {
    let v2 = *bytes.first()? >> 4 == 2;
    Some(expected_len(v2, family, *bytes.get(3)?))
}

/// Header, `count` addresses, and v2's authentication data.
fn expected_len(v2: bool, family: Family, count: u8) -> usize {
    let auth = if v2 { AUTH_LEN } else { 0 };
    HEADER_LEN + usize::from(count) * family.addr_len() + auth
}

fn effective_mode(version: Version, family: Family, requested: ChecksumMode) -> ChecksumMode {
    match (version, family) {
        (Version::V2, _) => ChecksumMode::MessageOnly,
        (Version::V3, Family::Ipv6) => ChecksumMode::PseudoHeader,
        (Version::V3, Family::Ipv4) => requested,
    }
}

fn pseudo_sum(src: IpAddr, dst: IpAddr, len: usize) -> Sum {
    // Families were checked by the callers; a mismatch cannot reach here, but stay total.
    checksum::pseudo(src, dst, len).unwrap_or_default()
}

fn verify_checksum(
    bytes: &[u8],
    version: Version,
    family: Family,
    addrs: &PacketAddrs,
) -> Result<ChecksumMode, DecodeError> {
    let candidates: &[ChecksumMode] = match (version, family) {
        (Version::V2, _) => &[ChecksumMode::MessageOnly],
        (Version::V3, Family::Ipv6) => &[ChecksumMode::PseudoHeader],
        (Version::V3, Family::Ipv4) => &[
            ChecksumMode::PseudoHeader,
            ChecksumMode::MessageOnly,
            ChecksumMode::PseudoHeaderMulticastDst,
        ],
    };
    for &mode in candidates {
        let sum = match mode {
            ChecksumMode::MessageOnly => Sum::default(),
            ChecksumMode::PseudoHeader => pseudo_sum(addrs.src, addrs.dst, bytes.len()),
            ChecksumMode::PseudoHeaderMulticastDst => {
                pseudo_sum(addrs.src, family.multicast_group(), bytes.len())
            }
        };
        if sum.add(bytes).finish() == 0 {
            return Ok(mode);
        }
    }
    Err(DecodeError::BadChecksum {
        found: u16::from_be_bytes([bytes[6], bytes[7]]),
    })
}
