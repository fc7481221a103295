//! The trailer's 64-bit sequence number: seconds, a 1/65536 s fraction and a counter, ordered
//! by serial-number arithmetic (RFC 1982) so it survives the field's wrap.

use serde::{Deserialize, Serialize};

/// Wall-clock time (UTC, since the Unix epoch): the sequence numbers are time-based, so the
/// caller passes the real-time clock in, as it passes the monotonic one to the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnixTime {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds, below 1e9.
    pub nanos: u32,
}

impl UnixTime {
    /// Now, from the system's real-time clock (for the I/O edge; tests pass fixed values).
    pub fn now() -> UnixTime {
        let d = hostsys::clock::since_epoch();
        UnixTime {
            secs: d.as_secs(),
            nanos: d.subsec_nanos(),
        }
    }

    /// The seconds field as the trailer carries it (the low 32 bits).
    pub fn wire_secs(self) -> u32 {
        self.secs as u32
    }
}

/// A 64-bit sequence number: seconds in the high 32 bits, then a 16-bit fraction of a second,
/// then a 16-bit counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Seq(pub u64);

impl Seq {
    /// From the trailer's fields.
    pub fn from_parts(secs: u32, subsec: u16, counter: u16) -> Seq {
        Seq((u64::from(secs) << 32) | (u64::from(subsec) << 16) | u64::from(counter))
    }

    /// The clock reading as a sequence number with the counter cleared.
    pub fn from_clock(t: UnixTime) -> Seq {
        let subsec = (u64::from(t.nanos.min(999_999_999)) << 16) / 1_000_000_000;
        Seq((u64::from(t.wire_secs()) << 32) | (subsec << 16))
    }

    /// The seconds field.
    pub fn secs(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// True if `self` comes after `other` under serial-number arithmetic.
    pub fn is_after(self, other: Seq) -> bool {
        (self.0.wrapping_sub(other.0) as i64) > 0
    }

    /// Signed distance in seconds from `secs` (the trailer's field) to `now`'s seconds.
    pub fn secs_behind(now: UnixTime, secs: u32) -> i32 {
        now.wire_secs().wrapping_sub(secs) as i32
    }
}

/// The highest sequence number accepted from one sender.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayMark {
    /// The last accepted sequence number, if any.
    pub last: Option<Seq>,
}

impl ReplayMark {
    /// Accepts `seq` if it is newer than the mark and raises the mark. With a freshness window
    /// (`window` seconds, time mode), a mark outside the window is forgotten first: it only
    /// orders packets the window rejects anyway, and forgetting it lets a sender whose clock
    /// was stepped back be heard again.
    pub fn accept(&mut self, seq: Seq, now: UnixTime, window: Option<u32>) -> bool {
        if let (Some(last), Some(w)) = (self.last, window) {
            let age = Seq::secs_behind(now, last.secs());
            if age.unsigned_abs() > w {
                self.last = None;
            }
        }
        if self.last.is_some_and(|last| !seq.is_after(last)) {
            return false;
        }
        self.last = Some(seq);
        true
    }
}

/// The few multicast senders heard lately, each with its replay mark: multicast has no peer
/// list to anchor replay state on, and more than one legitimate sender per VRID only appears
/// during contention. The least recently used entry makes room for a new sender; only adverts
/// whose HMAC verified get here, so forged sources cannot churn it.
#[derive(Clone, Debug, Default)]
pub struct SenderTable {
    slots: [Option<(std::net::IpAddr, ReplayMark, u64)>; SenderTable::SLOTS],
    clock: u64,
}

impl SenderTable {
    /// Senders remembered (keepalived's table size).
    pub const SLOTS: usize = 4;

    /// The mark of `addr`, taking the least recently used slot for a new sender.
    pub fn mark(&mut self, addr: std::net::IpAddr) -> &mut ReplayMark {
        self.clock += 1;
        let clock = self.clock;
        let pos = self
            .slots
            .iter()
            .position(|s| s.is_some_and(|(a, _, _)| a == addr));
        let k = pos.unwrap_or_else(|| {
            (0..Self::SLOTS)
                .min_by_key(|&k| self.slots[k].map_or(0, |(_, _, used)| used))
                .unwrap_or(0)
        });
        if !matches!(self.slots[k], Some((a, _, _)) if a == addr) {
            self.slots[k] = Some((addr, ReplayMark::default(), 0));
        }
        let (_, mark, used) = self.slots[k].get_or_insert((addr, ReplayMark::default(), 0));
        *used = clock;
        mark
    }
}
