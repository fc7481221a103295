//! The instances' rows for the MIBs, read from the loop's own state at once.

use crate::instance::Instance;
use crate::run::Daemon;
use agentx::rows::{AddressRow, InstanceRow, RowState};
use std::net::IpAddr;
use vrrp::{Auth, State};

/// A router state as the MIBs number it.
pub fn row_state(s: State) -> RowState {
    match s {
        State::Init => RowState::Init,
        State::Backup => RowState::Backup,
        State::Master => RowState::Master,
        State::Fault => RowState::Fault,
        State::Stopped => RowState::Stop,
    }
}

/// A state as transitions name it (`MASTER`, `BACKUP` …).
pub fn named_state(s: &str) -> RowState {
    match s {
        "MASTER" => RowState::Master,
        "BACKUP" => RowState::Backup,
        "FAULT" => RowState::Fault,
        "INIT" => RowState::Init,
        _ => RowState::Stop,
    }
}

/// keepalived's `master_reason` for a transition to MASTER: priority (1) when the master
/// resigned, else no response from the master (3).
pub fn master_reason(reason: &str) -> u8 {
    if reason.starts_with("master resigned") {
        1
    } else {
        3
    }
}

fn default_group(ip: &IpAddr) -> IpAddr {
    if ip.is_ipv6() {
        IpAddr::V6(std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12))
    } else {
        IpAddr::V4(std::net::Ipv4Addr::new(224, 0, 0, 18))
    }
}

impl Daemon {
    /// Every instance's row, in configuration order.
    pub fn snmp_rows(&self) -> Vec<InstanceRow> {
        let mut rows = Vec::with_capacity(self.instances.len());
        for (id, inst) in self.instances.enumerate() {
            let r = self.node.router(id);
            let cfg = r.config();
            let state = row_state(r.state());
            let initial = if cfg.start_as_master {
                RowState::Master
            } else {
                RowState::Backup
            };
            let wanted = match state {
                RowState::Master | RowState::Backup => state,
                _ => initial,
            };
            let destination = inst
                .destinations
                .iter()
                .find(|d| d.is_multicast())
                .copied()
                .unwrap_or_else(|| default_group(&inst.primary));
            rows.push(InstanceRow {
                name: inst.name.clone(),
                vrid: cfg.vrid,
                version: if cfg.version == vrrp::Version::V2 {
                    2
                } else {
                    3
                },
                state,
                initial_state: initial,
                wanted_state: wanted,
                base_priority: cfg.priority,
                effective_priority: r.effective_priority(),
                vips_enabled: r.state() == State::Master || r.handing_over(),
                interface: inst.ifname.clone(),
                ifindex: inst.xmit_index,
                mac: inst.mac,
                advert_int_cs: (cfg.advert_interval.micros() / 10_000) as u32,
                preempt: cfg.preempt,
                preempt_delay_s: (cfg.preempt_delay.0 / 1_000_000) as u32,
                auth_type: match cfg.auth {
                    Auth::None => 0,
                    Auth::Pass(_) => 1,
                    Auth::Ah => 2,
                },
                notify_exec: !inst.scripts.is_empty(),
                garp_delay_s: (cfg.garp.master_delay.0 / 1_000_000) as u32,
                primary: inst.primary,
                destination: Some(destination),
                vips: inst.vips.iter().map(|(v, _)| v.addr).collect(),
                master: r.master_seen().map(|(a, _)| a),
                accept: self.accept_mode.accepts(&inst.name),
                tracks_interface: self
                    .node
                    .tracker()
                    .objects(id.index())
                    .iter()
                    .any(|t| t.kind == "interface"),
                addresses: self
                    .snmp_addresses(inst, r.state() == State::Master || r.handing_over()),
                smtp_alert: inst.mib_options.smtp_alert,
                promote_secondaries: inst.mib_options.promote_secondaries,
                linkbeat_use_polling: inst.mib_options.linkbeat_use_polling,
                notify_deleted: inst.mib_options.notify_deleted,
                master_reason: 0,
                proto_err_reason: 0,
                counters: crate::status::counters(r.stats()),
            });
        }
        rows
    }
}

impl Daemon {
    /// An instance's addresses, advertised ones first; `set` while it holds them.
    fn snmp_addresses(&self, inst: &Instance, set: bool) -> Vec<AddressRow> {
        let advertised = inst.vips.len();
        inst.vips
            .iter()
            .chain(&inst.excluded)
            .zip(crate::accept_mode::addresses(inst))
            .enumerate()
            .map(|(n, ((v, index), (_, ifname)))| AddressRow {
                addr: v.addr,
                prefix: v.prefix,
                ifindex: *index,
                ifname,
                set,
                advertised: n < advertised,
            })
            .collect()
    }
}
