//! keepalived 2.4's `auth_hmac`: adverts signed with HMAC-SHA256 and a time-based sequence
//! number in a 28-byte trailer after the VRRP message, for v2 and v3, IPv4 and IPv6, unicast
//! and multicast. Sans-IO: the caller passes the wall clock ([`UnixTime`]) in.
//!
//! Receive checks, in keepalived's order: a missing trailer (accepted in the migration modes),
//! a unicast source that is no configured peer, then the trailer itself: scheme and reserved
//! field ([`Rejection::Malformed`]), freshness against the window in time mode (before the
//! costly HMAC, so replayed captures cannot force a digest each), the key id, the HMAC, and
//! last the replay mark (only moved by adverts whose HMAC verified).

mod seq;
mod session;
mod trailer;

pub use seq::{ReplayMark, SenderTable, Seq, UnixTime};
pub use trailer::{
    Binding, EXT_TYPE_HMAC_SHA256, HMAC_LEN, PreparedKey, TRAILER_LEN, Trailer, compute, sign,
    verify,
};

use crate::packet::{AdvertInterval, Version};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

/// Shortest key accepted, in bytes.
pub const KEY_MIN: usize = 32;
/// Longest key accepted, in bytes.
pub const KEY_MAX: usize = 64;
/// Freshness window bounds, seconds.
pub const WINDOW_MIN: u32 = 1;
/// Largest freshness window, seconds.
pub const WINDOW_MAX: u32 = 300;
/// Smallest window derived from the advert interval, seconds.
pub const WINDOW_FLOOR: u32 = 5;

/// How strictly adverts are signed and checked (keepalived's `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Verifies a trailer when one is present, sends none: a group gains verification before
    /// anyone signs (the first step of a migration).
    ReceiveOnly,
    /// Signs, and still accepts adverts without a trailer (the second step).
    Permissive,
    /// Signs, and requires a valid trailer on every advert.
    Enforce,
}

impl Mode {
    /// keepalived's word for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReceiveOnly => "receive-only",
            Mode::Permissive => "permissive",
            Mode::Enforce => "enforce",
        }
    }
}

/// What keeps captured adverts from being replayed (keepalived's `anti_replay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AntiReplay {
    /// Sequence numbers must grow and be within `time_window` seconds of our clock.
    Time,
    /// Sequence numbers must grow; clocks need not agree.
    Monotonic,
}

/// A signing key. Its bytes are never printed, and are overwritten with zeros when it is
/// dropped (a reload's old keys do not stay in freed memory).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Id, 1-255, carried in the trailer.
    pub id: u8,
    /// The secret, 32-64 bytes.
    #[serde(skip_serializing)]
    pub bytes: Vec<u8>,
}

impl Drop for Key {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

impl zeroize::ZeroizeOnDrop for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key {{ id: {}, {} bytes }}", self.id, self.bytes.len())
    }
}

/// An instance's `auth_hmac` settings, resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HmacConfig {
    /// Keys accepted on receipt.
    pub keys: Vec<Key>,
    /// The key that signs what we send.
    pub active_key: u8,
    /// Signing and acceptance mode.
    pub mode: Mode,
    /// Replay protection.
    pub anti_replay: AntiReplay,
    /// Freshness window in seconds (time mode).
    pub time_window: u32,
}

impl HmacConfig {
    /// keepalived's window when none is configured: three advert intervals in whole seconds,
    /// at least [`WINDOW_FLOOR`] and at most [`WINDOW_MAX`].
    pub fn default_window(interval: AdvertInterval) -> u32 {
        let secs = u32::from(interval.centis()) / 100;
        (3 * secs).clamp(WINDOW_FLOOR, WINDOW_MAX)
    }

    fn window(&self) -> Option<u32> {
        (self.anti_replay == AntiReplay::Time).then_some(self.time_window)
    }
}

/// Why a received advert was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    /// No trailer, in `enforce` mode.
    Missing,
    /// Unknown scheme or non-zero reserved field.
    Malformed,
    /// A unicast source that is not a configured peer (no replay state to check against).
    UnknownPeer,
    /// Its timestamp is further from our clock than the window (`skew` seconds, ours minus
    /// theirs).
    Stale {
        /// Our seconds minus the trailer's.
        skew: i32,
    },
    /// A key id we do not have.
    UnknownKey(u8),
    /// The HMAC does not verify.
    BadHmac,
    /// Not newer than the last advert accepted from this sender.
    Replay,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Missing => write!(f, "missing authentication trailer"),
            Rejection::Malformed => write!(f, "malformed authentication trailer"),
            Rejection::UnknownPeer => write!(f, "unicast source is not a unicast peer"),
            Rejection::Stale { skew } => {
                write!(f, "stale authentication trailer (clock skew {skew} s)")
            }
            Rejection::UnknownKey(id) => write!(f, "unknown authentication key id {id}"),
            Rejection::BadHmac => write!(f, "invalid authentication HMAC"),
            Rejection::Replay => write!(f, "replayed authentication trailer"),
        }
    }
}

/// An accepted advert: whether it was signed, and the clock skew seen (time mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// False for an unsigned advert accepted by a migration mode.
    pub signed: bool,
    /// Our seconds minus the sender's, when checked.
    pub skew: Option<i32>,
}

/// Rejections counted by reason, under keepalived's names.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct AuthStats {
    /// Unsigned adverts refused in `enforce` mode.
    pub auth_ext_missing: u64,
    /// Trailers with an unknown scheme or non-zero reserved field.
    pub auth_ext_malformed: u64,
    /// Trailers naming a key we do not have.
    pub auth_ext_unknown_key: u64,
    /// Trailers whose HMAC did not verify.
    pub auth_ext_invalid_hmac: u64,
    /// Trailers outside the freshness window.
    pub auth_ext_stale: u64,
    /// Replayed (non-increasing) sequence numbers.
    pub auth_ext_replay: u64,
}

/// One instance's signing and verification state: settings, the last sequence number sent,
/// and replay marks per unicast peer or per recent multicast sender.
#[derive(Clone, Debug)]
pub struct HmacSession {
    cfg: HmacConfig,
    prepared: Vec<(u8, PreparedKey)>,
    version: Version,
    vrid: u8,
    send_seq: Seq,
    peers: Option<HashMap<IpAddr, ReplayMark>>,
    senders: SenderTable,
    stats: AuthStats,
}
