//! `bfd_instance NAME { ... }` and `track_bfd`: BFD sessions as keepalived 2.2.7 reads them
//! (its `bfd_parser.c`): ranges, defaults, what makes it drop an instance, and the references
//! of `vrrp_instance` and `vrrp_sync_group` to them.

//! The block is read by `build::bfd`, the references checked by `bfd_refs`.

use crate::diag::Location;
use serde::Serialize;
use std::net::IpAddr;

/// One `bfd_instance` the VRRP side tracks, with keepalived's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BfdInstance {
    /// Name.
    pub name: String,
    /// `neighbor_ip` (or `neighbour_ip`).
    pub neighbor: IpAddr,
    /// `source_ip`.
    pub source: Option<IpAddr>,
    /// `min_rx` in µs (default 10 ms).
    pub min_rx_us: u32,
    /// `min_tx` in µs (default 10 ms).
    pub min_tx_us: u32,
    /// `idle_tx` in µs (default 1 s).
    pub idle_tx_us: u32,
    /// `multiplier` (default 5).
    pub multiplier: u8,
    /// `passive`.
    pub passive: bool,
    /// `ttl`/`hoplimit` as keepalived takes it (default 255 for IPv4, 64 for IPv6): what
    /// received packets are checked against; see [`BfdInstance::sent_ttl`] for what is sent.
    pub ttl: u8,
    /// Whether `ttl`/`hoplimit` is written.
    pub ttl_written: bool,
    /// `max_hops`: a packet is accepted if it arrives with at least `ttl - max_hops` (default
    /// 0; 255 turns the check off; -1 as keepalived allows it).
    pub max_hops: i16,
    /// `weight` (default 0: the session down faults the instances that track it).
    pub weight: i64,
    /// `weight N reverse`.
    pub reverse: bool,
    /// Where the block starts.
    pub loc: Location,
}

impl BfdInstance {
    /// The TTL / hop limit packets are sent with: the one written, else RFC 5881 §5's 255, for
    /// IPv6 too (keepalived sends 64 there, which FRR's bfdd and other RFC 5881 peers discard).
    pub fn sent_ttl(&self) -> u8 {
        if self.ttl_written { self.ttl } else { 255 }
    }

    /// Whether a packet that arrived with `ttl` passes keepalived's GTSM check.
    pub fn accepts_ttl(&self, ttl: u8) -> bool {
        self.max_hops == 255 || i16::from(ttl) + self.max_hops >= i16::from(self.ttl)
    }
}
