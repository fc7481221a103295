//! What a run recorded, read back.

use crate::network::Network;
use crate::record::{DeliveryRecord, NodeId, TransitionRecord, VipRecord};

impl Network {
    /// Whether any instance of the server currently holds its virtual addresses.
    pub fn holds_vips(&self, node: NodeId) -> bool {
        self.servers[node.0].holds.iter().any(|h| *h)
    }

    /// Whether the server's instance `instance` (by name) holds its virtual addresses.
    pub fn holds(&self, node: NodeId, instance: &str) -> bool {
        let server = &self.servers[node.0];
        server
            .slots
            .iter()
            .zip(&server.holds)
            .any(|(slot, h)| *h && self.instance_names[slot.key as usize] == instance)
    }

    /// Every state change so far.
    pub fn transitions(&self) -> &[TransitionRecord] {
        &self.transitions
    }

    /// Every change of address holding so far.
    pub fn vip_records(&self) -> &[VipRecord] {
        &self.vips
    }

    /// Every change of who *serves* the addresses: holds them and is reachable (running, link
    /// up, not cut). Outages seen by clients are gaps in this stream.
    pub fn serving_records(&self) -> &[VipRecord] {
        &self.serving
    }

    /// The network-wide key of the instances called `name` (any server), if one ran.
    pub fn instance_key(&self, name: &str) -> Option<u32> {
        self.instance_names
            .iter()
            .position(|n| n == name)
            .map(|k| k as u32)
    }

    /// The instance name of a record's key (bare routers are named `vrid-<VRID>`).
    pub fn instance_name(&self, key: u32) -> &str {
        &self.instance_names[key as usize]
    }

    /// Delivered adverts (only while tracing is on).
    pub fn deliveries(&self) -> &[DeliveryRecord] {
        &self.deliveries
    }

    /// GARP/NA bursts: (time, node, rounds).
    pub fn announcements(&self) -> &[(vrrp::Timestamp, NodeId, u32)] {
        &self.announcements
    }

    /// Adverts sent by all routers.
    pub fn adverts_sent(&self) -> u64 {
        self.adverts_sent
    }

    /// Copies lost to impairments or partitions.
    pub fn copies_lost(&self) -> u64 {
        self.copies_lost
    }

    /// Adverts that failed to encode or decode (always 0 unless the codec is broken).
    pub fn codec_errors(&self) -> u64 {
        self.codec_errors
    }
}
