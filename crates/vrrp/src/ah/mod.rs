//! keepalived's `auth_type AH`: VRRPv2 adverts over IPv4 inside an IPsec AH header (IP
//! protocol 51) whose HMAC-MD5-96 ICV is keyed with `auth_pass`, and keepalived's sequence
//! number rules. Sans-IO: [`wire`] builds and opens packets; [`AhSession`] holds an
//! instance's key, its one sequence counter and its rejection counts.
//!
//! keepalived keeps a single counter per instance (`ipsecah_counter`) for what it sends and
//! what it accepts ([`SeqCounter`]): each advert sent takes the counter plus one; an advert is
//! accepted only with a sequence number above the counter, which then takes that number. A
//! backup thus follows its master's numbers and, on taking over, continues above them, so the
//! other routers accept it at once. A router that starts afresh (counter 0) is refused by peers
//! whose counter is higher until it has heard them; this is why keepalived will not let an AH
//! instance start as MASTER. A master hearing a lower priority advert sets its counter one
//! above that advert's number. At 0xFFFFFFFE the counter stops (`cycle`); on becoming master
//! with the counter stopped it starts again from 0.

pub mod wire;

pub use wire::{AH_LEN, AhHeader, Envelope, ICV_LEN, IPPROTO_AH, OpenError, Opened, open, seal};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// An AH key: `auth_pass`'s first 8 bytes, zero-padded (keepalived keys HMAC-MD5 with all 8).
/// Its bytes are never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key(pub(crate) [u8; 8]);

impl Key {
    /// The key of a configured `auth_pass`.
    pub fn from_pass(pass: &str) -> Key {
        let mut k = [0u8; 8];
        for (d, s) in k.iter_mut().zip(pass.bytes()) {
            *d = s;
        }
        Key(k)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(..)")
    }
}

/// Largest sequence number sent; at it the counter stops (keepalived's `cycle`).
pub const SEQ_LAST: u32 = 0xffff_fffd;

/// keepalived's `ipsecah_counter`: one sequence number for sending and accepting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqCounter {
    /// The last number sent or accepted.
    pub seq: u32,
    /// Stopped at its end.
    pub cycle: bool,
}

impl SeqCounter {
    /// The number of the next advert: one more, or the same once the end is passed (stopped).
    pub fn next_to_send(&mut self) -> u32 {
        if self.seq > SEQ_LAST {
            self.cycle = true;
        } else {
            self.seq += 1;
        }
        self.seq
    }

    /// Accepts `seq` if it is above the counter (which then takes it).
    pub fn accept(&mut self, seq: u32) -> bool {
        if seq > self.seq {
            self.seq = seq;
            true
        } else {
            false
        }
    }

    /// A master heard an authenticated, valid advert of lower standing than its own: its
    /// counter goes one above that advert's number ("Syncing seq_num").
    pub fn master_heard_lower(&mut self, seq: u32) {
        self.seq = seq.wrapping_add(1);
        self.cycle = false;
    }

    /// A master heard a higher one (it will become backup), or a backup accepted one: the
    /// counter is no longer stopped.
    pub fn heard_master(&mut self) {
        self.cycle = false;
    }

    /// On becoming master: a stopped counter starts again from 0.
    pub fn became_master(&mut self) {
        if self.cycle {
            self.cycle = false;
            self.seq = 0;
        }
    }
}

/// Why an AH advert was refused (each counted by keepalived as `auth_failure`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    /// The ICV does not verify: another `auth_pass`, or altered fields.
    BadIcv,
    /// The SPI is not the packet's source address.
    BadSpi {
        /// The SPI received.
        spi: u32,
    },
    /// A sequence number not above the counter.
    Replay {
        /// The number received.
        seq: u32,
        /// Our counter.
        local: u32,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::BadIcv => write!(
                f,
                "IPSEC-AH: invalid HMAC-MD5 value (fields altered or another auth_pass)"
            ),
            Rejection::BadSpi { spi } => write!(
                f,
                "IPSEC-AH: SPI {} is not the source address",
                Ipv4Addr::from(*spi)
            ),
            Rejection::Replay { seq, local } => write!(
                f,
                "IPSEC-AH: sequence number {seq} already processed (local {local})"
            ),
        }
    }
}

/// AH rejections by reason (all three also count as `auth_failure`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct AhStats {
    /// ICVs that did not verify.
    pub auth_ah_invalid_icv: u64,
    /// SPIs other than the source address.
    pub auth_ah_invalid_spi: u64,
    /// Sequence numbers not above the counter.
    pub auth_ah_replay: u64,
}

/// One instance's AH state: key, sequence counter, the IP identification of its adverts, and
/// the rejections counted.
#[derive(Clone, Debug)]
pub struct AhSession {
    key: Key,
    unicast: bool,
    counter: SeqCounter,
    ip_id: u16,
    stats: AhStats,
}

/// The numbers one advert's copies share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// IP identification.
    pub id: u16,
    /// AH sequence number.
    pub seq: u32,
}

impl AhSession {
    /// A session for an instance keyed with `key`; `unicast` if it sends to unicast peers (its
    /// ICVs leave the TTL out, on both sides).
    pub fn new(key: Key, unicast: bool) -> Self {
        AhSession {
            key,
            unicast,
            counter: SeqCounter::default(),
            ip_id: 0,
            stats: AhStats::default(),
        }
    }

    /// The numbers of the next advert (every copy of it carries them).
    pub fn stamp(&mut self) -> Stamp {
        self.ip_id = self.ip_id.wrapping_add(1).max(1);
        Stamp {
            id: self.ip_id,
            seq: self.counter.next_to_send(),
        }
    }

    /// One copy of an advert: the whole IPv4 packet from `src` to `dst`.
    pub fn seal(&self, stamp: Stamp, src: Ipv4Addr, dst: Ipv4Addr, vrrp: &[u8]) -> Vec<u8> {
        let env = Envelope {
            src,
            dst,
            id: stamp.id,
            unicast: self.unicast,
        };
        seal(&self.key, &env, stamp.seq, vrrp)
    }

    /// keepalived's `vrrp_in_chk_ipsecah` on a packet opened by [`open`]: the ICV, the SPI,
    /// then the sequence number (only an authentic advert moves the counter). `backup`: the
    /// instance is a backup (an accepted advert restarts a stopped counter).
    pub fn verify(
        &mut self,
        packet: &[u8],
        opened: &Opened<'_>,
        backup: bool,
    ) -> Result<(), Rejection> {
        let s = &mut self.stats;
        if !wire::icv_matches(&self.key, packet, opened, self.unicast) {
            s.auth_ah_invalid_icv += 1;
            return Err(Rejection::BadIcv);
        }
        let src = match opened.ip.addrs.src {
            IpAddr::V4(a) => u32::from(a),
            IpAddr::V6(_) => 0,
        };
        if opened.ah.spi != src {
            s.auth_ah_invalid_spi += 1;
            return Err(Rejection::BadSpi { spi: opened.ah.spi });
        }
        let local = self.counter.seq;
        if !self.counter.accept(opened.ah.seq) {
            s.auth_ah_replay += 1;
            return Err(Rejection::Replay {
                seq: opened.ah.seq,
                local,
            });
        }
        if backup {
            self.counter.heard_master();
        }
        Ok(())
    }

    /// The sequence counter, to apply keepalived's rules on what the router made of an advert.
    pub fn counter(&mut self) -> &mut SeqCounter {
        &mut self.counter
    }

    /// The counter as it is.
    pub fn counter_now(&self) -> SeqCounter {
        self.counter
    }

    /// Takes over the counter and IP identification of the same instance before a reload
    /// (keepalived keeps `ipsecah_counter` for an instance that stays).
    pub fn carry_over(&mut self, old: &AhSession) {
        self.counter = old.counter;
        self.ip_id = old.ip_id;
        self.stats = old.stats;
    }

    /// Rejections so far.
    pub fn stats(&self) -> &AhStats {
        &self.stats
    }
}

/// Where an advert from `their` address at `their_priority` stands against ours, as keepalived
/// compares them in MASTER (priority, then the address).
pub fn outranks(
    their_priority: u8,
    their: IpAddr,
    our_priority: u8,
    ours: IpAddr,
) -> std::cmp::Ordering {
    their_priority
        .cmp(&our_priority)
        .then_with(|| their.cmp(&ours))
}
