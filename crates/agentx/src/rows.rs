//! What the VRRP MIBs show of one instance: plain values the daemon fills from its snapshot.

use std::net::IpAddr;

/// An instance's state, numbered as KEEPALIVED-MIB's `VrrpState` (init 0 … fault 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowState {
    /// INIT.
    Init = 0,
    /// BACKUP.
    Backup = 1,
    /// MASTER.
    Master = 2,
    /// FAULT.
    Fault = 3,
    /// STOP (shown as unknown, 4, in the table; 5 in traps).
    Stop = 5,
}

/// One `vrrp_instance`, as the MIBs show it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceRow {
    /// `vrrp_instance` name.
    pub name: String,
    /// VRID.
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// Current state.
    pub state: RowState,
    /// The configured state (`state MASTER|BACKUP`).
    pub initial_state: RowState,
    /// The state it aims for.
    pub wanted_state: RowState,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority after tracking.
    pub effective_priority: u8,
    /// Whether its addresses are set (master).
    pub vips_enabled: bool,
    /// Interface name.
    pub interface: String,
    /// Interface index.
    pub ifindex: u32,
    /// The MAC its adverts leave from.
    pub mac: [u8; 6],
    /// Advert interval, centiseconds.
    pub advert_int_cs: u32,
    /// `nopreempt` not set.
    pub preempt: bool,
    /// `preempt_delay`, seconds.
    pub preempt_delay_s: u32,
    /// 0 none, 1 PASS, 2 AH (v2 only).
    pub auth_type: u8,
    /// Whether a notify script is configured.
    pub notify_exec: bool,
    /// `garp_master_delay`, seconds.
    pub garp_delay_s: u32,
    /// The instance's source address.
    pub primary: IpAddr,
    /// Where adverts go (multicast group, unicast: none).
    pub destination: Option<IpAddr>,
    /// Virtual addresses (excluded ones not included).
    pub vips: Vec<IpAddr>,
    /// The master's address while backup.
    pub master: Option<IpAddr>,
    /// Accept mode (shown for VRRPv3 only).
    pub accept: bool,
    /// Whether an interface is tracked.
    pub tracks_interface: bool,
    /// Virtual addresses, excluded ones after the others.
    pub addresses: Vec<AddressRow>,
    /// `smtp_alert` as resolved.
    pub smtp_alert: bool,
    /// `promote_secondaries`.
    pub promote_secondaries: bool,
    /// `linkbeat_use_polling`.
    pub linkbeat_use_polling: bool,
    /// `notify_deleted` given.
    pub notify_deleted: bool,
    /// Why it last became master (VRRPV3-MIB's `vrrpv3StatisticsNewMasterReason`: 0 never,
    /// 1 priority, 2 preempted, 3 no response from the master).
    pub master_reason: u8,
    /// The last protocol error (`vrrpv3StatisticsProtoErrReason`: 0 none, 1 TTL, 2 version,
    /// 3 checksum, 4 VRID).
    pub proto_err_reason: u8,
    /// Counters, keepalived's names (`become_master`, `advert_rcvd` …).
    pub counters: std::collections::BTreeMap<String, u64>,
}

/// A `virtual_ipaddress` (or `virtual_ipaddress_excluded`) of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressRow {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// The interface it goes on.
    pub ifindex: u32,
    /// That interface's name.
    pub ifname: String,
    /// Whether it is set now.
    pub set: bool,
    /// Whether the adverts carry it (not excluded).
    pub advertised: bool,
}

impl InstanceRow {
    /// A counter by keepalived's name, 0 when not counted.
    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// Whether the instance is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.primary.is_ipv6()
    }
}

/// SNMPv2 TruthValue.
pub fn truth(b: bool) -> i32 {
    if b { 1 } else { 2 }
}

/// An address's bytes (4 or 16).
pub fn ip_bytes(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// An address as OID sub-identifiers, one per byte.
pub fn ip_subids(ip: &IpAddr) -> Vec<u32> {
    ip_bytes(ip).into_iter().map(u32::from).collect()
}
