//! Per-instance counters, named after keepalived's `vrrp.stats` fields.

use serde::{Deserialize, Serialize};

/// Counters of one virtual router.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Stats {
    /// Adverts that passed the header checks.
    pub advert_rcvd: u64,
    /// Adverts sent.
    pub advert_sent: u64,
    /// Transitions into MASTER.
    pub become_master: u64,
    /// Transitions out of MASTER.
    pub release_master: u64,
    /// Adverts with the wrong TTL / hop limit.
    pub ip_ttl_err: u64,
    /// Adverts whose address list does not match ours (or multicast/unicast mismatch).
    pub addr_list_err: u64,
    /// Adverts with another auth type than ours.
    pub authtype_mismatch: u64,
    /// Adverts whose password does not match.
    pub auth_failure: u64,
    /// v2 adverts whose interval differs from ours.
    pub interval_err: u64,
    /// Adverts of the other VRRP version.
    pub version_err: u64,
    /// Unicast adverts from an address that is not a configured peer.
    pub unknown_peer: u64,
    /// Priority-0 adverts received.
    pub pri_zero_rcvd: u64,
    /// Priority-0 adverts sent.
    pub pri_zero_sent: u64,
}
