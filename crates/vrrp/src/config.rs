//! The settings of one virtual router, as the state machine needs them.
//!
//! This is the protocol's view of a keepalived `vrrp_instance`: the `conf` crate builds it from a
//! config file; tests and the simulator build it directly. Defaults are keepalived 2.2.7's.

use crate::packet::{AdvertInterval, Auth, Family, Version};
use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Priority of the address owner (RFC 5798 §5.2.4).
pub const PRIORITY_OWNER: u8 = 255;

/// A `unicast_peer` entry, with keepalived's optional TTL window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnicastPeer {
    /// The peer's address.
    pub addr: IpAddr,
    /// Lowest TTL / hop limit accepted from it (`min_ttl`, default 0).
    pub min_ttl: u8,
    /// Highest TTL / hop limit accepted from it (`max_ttl`, default 255).
    pub max_ttl: u8,
}

impl UnicastPeer {
    /// A peer accepting any TTL.
    pub fn new(addr: IpAddr) -> Self {
        UnicastPeer {
            addr,
            min_ttl: 0,
            max_ttl: 255,
        }
    }
}

/// Gratuitous ARP / unsolicited NA schedule (keepalived's `garp_*` keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GarpSchedule {
    /// `garp_master_delay`: delay of the second burst after becoming master (0: no second burst).
    pub master_delay: Micros,
    /// `garp_master_repeat`: announcements per burst on becoming master.
    pub master_repeat: u32,
    /// `garp_master_refresh`: minimum interval of refresh bursts while master (0: none).
    pub master_refresh: Micros,
    /// `garp_master_refresh_repeat`: announcements per refresh burst.
    pub master_refresh_repeat: u32,
    /// `garp_lower_prio_delay`: delay of the second burst after a lower-priority advert.
    pub lower_prio_delay: Micros,
    /// `garp_lower_prio_repeat`: announcements per burst after a lower-priority advert.
    pub lower_prio_repeat: u32,
}

impl Default for GarpSchedule {
    fn default() -> Self {
        GarpSchedule {
            master_delay: Micros::from_secs(5),
            master_repeat: 5,
            master_refresh: Micros::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Micros::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

/// Everything the state machine of one virtual router needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterConfig {
    /// `virtual_router_id`, 1-255.
    pub vrid: u8,
    /// `version` / `vrrp_version`.
    pub version: Version,
    /// Base `priority`, 1-255 (255 = address owner).
    pub priority: u8,
    /// `advert_int`.
    pub advert_interval: AdvertInterval,
    /// `state MASTER` (true) or `state BACKUP` (false) at start-up.
    pub start_as_master: bool,
    /// Preemption (`nopreempt` clears it).
    pub preempt: bool,
    /// `preempt_delay`.
    pub preempt_delay: Micros,
    /// This router's primary address: the advert source, and the tie-breaker at equal priority.
    pub primary_address: IpAddr,
    /// `virtual_ipaddress` entries carried in adverts, all of the instance's family.
    pub virtual_addresses: Vec<IpAddr>,
    /// VRRPv2 authentication.
    pub auth: Auth,
    /// `unicast_peer`: empty means multicast.
    pub unicast_peers: Vec<UnicastPeer>,
    /// `check_unicast_src`: drop unicast adverts from addresses not in `unicast_peers`.
    pub check_unicast_src: bool,
    /// `skip_check_adv_addr`: check the address list only when the master changes.
    pub skip_check_adv_addr: bool,
    /// `down_timer_adverts` (RFC: 3).
    pub down_timer_adverts: u8,
    /// `lower_prio_no_advert`: don't answer a lower-priority advert with one of ours.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: send an advert before yielding to a higher priority.
    pub higher_prio_send_advert: bool,
    /// GARP / NA schedule.
    pub garp: GarpSchedule,
}

/// Why a [`RouterConfig`] cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// VRID 0.
    #[error("virtual_router_id must be 1-255, got 0")]
    ZeroVrid,
    /// Priority 0 is reserved for resigning.
    #[error("priority must be 1-255, got 0")]
    ZeroPriority,
    /// Interval not representable.
    #[error(
        "advert_int {interval} is not valid for VRRP{version:?} (v2: whole seconds 1-255; v3: 0.01-40.95 s)"
    )]
    Interval {
        /// The interval.
        interval: AdvertInterval,
        /// The version.
        version: Version,
    },
    /// v2 with IPv6 addresses.
    #[error("VRRPv2 is IPv4-only; use version 3 for IPv6")]
    V2OverIpv6,
    /// Addresses of both families.
    #[error("address {0} is not of the instance's family (that of {1})")]
    MixedFamily(IpAddr, IpAddr),
    /// More addresses than an advert carries.
    #[error("{0} virtual addresses; an advert carries at most 255")]
    TooManyAddresses(usize),
    /// `down_timer_adverts` outside keepalived's range.
    #[error("down_timer_adverts must be 1-100, got {0}")]
    DownTimerAdverts(u8),
    /// Authentication on VRRPv3.
    #[error("authentication is a VRRPv2 feature; VRRPv3 has none")]
    AuthOnV3,
}

impl RouterConfig {
    /// A config with keepalived's defaults: v2, priority 100, 1 s, state BACKUP, preempt,
    /// multicast, no authentication.
    pub fn new(vrid: u8, primary_address: IpAddr, virtual_addresses: Vec<IpAddr>) -> Self {
        RouterConfig {
            vrid,
            version: Version::V2,
            priority: 100,
            advert_interval: AdvertInterval::ONE_SECOND,
            start_as_master: false,
            preempt: true,
            preempt_delay: Micros::ZERO,
            primary_address,
            virtual_addresses,
            auth: Auth::None,
            unicast_peers: Vec::new(),
            check_unicast_src: false,
            skip_check_adv_addr: false,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            garp: GarpSchedule::default(),
        }
    }

    /// The instance's address family (that of its primary address).
    pub fn family(&self) -> Family {
        Family::of(&self.primary_address)
    }

    /// True when adverts go to unicast peers rather than the multicast group.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// Checks the settings against the protocol's limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vrid == 0 {
            return Err(ConfigError::ZeroVrid);
        }
        if self.priority == 0 {
            return Err(ConfigError::ZeroPriority);
        }
        if !self.advert_interval.fits(self.version) {
            return Err(ConfigError::Interval {
                interval: self.advert_interval,
                version: self.version,
            });
        }
        if self.version == Version::V2 && self.family() == Family::Ipv6 {
            return Err(ConfigError::V2OverIpv6);
        }
        if self.version == Version::V3 && self.auth != Auth::None {
            return Err(ConfigError::AuthOnV3);
        }
        let fam = self.family();
        let others = self
            .virtual_addresses
            .iter()
            .chain(self.unicast_peers.iter().map(|p| &p.addr));
        if let Some(bad) = others.into_iter().find(|a| Family::of(a) != fam) {
            return Err(ConfigError::MixedFamily(*bad, self.primary_address));
        }
        if self.virtual_addresses.len() > 255 {
            return Err(ConfigError::TooManyAddresses(self.virtual_addresses.len()));
        }
        if !(1..=100).contains(&self.down_timer_adverts) {
            return Err(ConfigError::DownTimerAdverts(self.down_timer_adverts));
        }
        Ok(())
    }
}
