//! What each instance will actually do: keepalived's defaults and global settings applied,
//! turned into the `vrrp::RouterConfig` the daemon runs.

use crate::family::{is_ipv6, version};
use crate::model::{AuthType, Config, InitialState, Instance, NotifyKind};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp::auth_hmac::HmacConfig;
use vrrp::{
    AdvertInterval, Auth, GarpSchedule, Micros, RouterConfig, UnicastPeer, Version, timing,
};

/// An instance with everything resolved, for `havip check --explain` and the daemon.
#[derive(Clone, Debug, Serialize)]
pub struct Effective {
    /// Instance name.
    pub name: String,
    /// Initial state.
    pub state: InitialState,
    /// Interface.
    pub interface: Option<String>,
    /// The router settings (primary address from `unicast_src_ip`/`mcast_src_ip` or the
    /// interface's address given by the caller).
    pub router: RouterConfig,
    /// Master_Down_Interval as a backup at this priority: the worst-case takeover delay.
    pub master_down: Micros,
    /// Skew time: the takeover delay after a master resigns.
    pub skew: Micros,
    /// Tracked script names that exist.
    pub track_scripts: Vec<String>,
    /// Tracked processes that exist (the instance's and its sync group's).
    pub track_processes: Vec<TrackedProcess>,
    /// Notify scripts by kind, with the user and group each names.
    pub notify: Vec<(NotifyKind, crate::model::ScriptCmd)>,
    /// `auth_hmac`, resolved (window from the advert interval when unset).
    pub auth_hmac: Option<HmacConfig>,
    /// The AH key (`auth_pass`) when the instance runs `auth_type AH`; never printed.
    #[serde(skip)]
    pub ah_key: Option<vrrp::ah::Key>,
}

/// Where an instance advertises from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `unicast_src_ip` or `mcast_src_ip`.
    Configured(IpAddr),
    /// Neither: the address of this family its interface has (see [`interface_source`]).
    Interface(vrrp::Family),
}

/// Where `i` advertises from: the address it names, or its interface's of its family.
pub fn advertises_from(i: &Instance) -> Source {
    let s = &i.settings;
    match s.ip("unicast_src_ip").or_else(|| s.ip("mcast_src_ip")) {
        Some(a) if !a.is_unspecified() => Source::Configured(a),
        _ if is_ipv6(i) => Source::Interface(vrrp::Family::Ipv6),
        _ => Source::Interface(vrrp::Family::Ipv4),
    }
}

/// The address keepalived advertises from when the config names none, among an interface's
/// addresses in the order it holds them: the first IPv4 one, or the first IPv6 link-local one.
pub fn interface_source(family: vrrp::Family, addresses: &[IpAddr]) -> Option<IpAddr> {
    addresses.iter().copied().find(|a| match (family, a) {
        (vrrp::Family::Ipv4, IpAddr::V4(_)) => true,
        (vrrp::Family::Ipv6, IpAddr::V6(v)) => v.segments()[0] & 0xffc0 == 0xfe80,
        _ => false,
    })
}

/// Resolves one instance, once. `interface_address` is the host's: the address keepalived takes
/// from the interface when neither `unicast_src_ip` nor `mcast_src_ip` is set (the caller finds
/// it with [`advertises_from`] and [`interface_source`]; without it, the unspecified address).
pub fn resolve(
    cfg: &Config,
    i: &Instance,
    interface_address: Option<IpAddr>,
) -> Result<Effective, String> {
    let g = &cfg.global.settings;
    let s = &i.settings;
    let vrid = i
        .vrid()
        .ok_or_else(|| format!("{}: no virtual_router_id", i.name))?;
    let ipv6 = is_ipv6(i);
    let primary = match advertises_from(i) {
        Source::Configured(a) => a,
        Source::Interface(_) if ipv6 => interface_address.unwrap_or(Ipv6Addr::UNSPECIFIED.into()),
        Source::Interface(_) => interface_address.unwrap_or(Ipv4Addr::UNSPECIFIED.into()),
    };
    let version = if version(cfg, i) == 3 {
        Version::V3
    } else {
        Version::V2
    };
    let interval = advert_interval(i, version)?;
    let state = crate::legacy_auth::initial_state(cfg, i);
    let nopreempt = i.nopreempt() && state == InitialState::Backup;
    let flag = |inst: &str, glob: &str| s.bool(inst).or_else(|| g.bool(glob)).unwrap_or(false);
    let int = |inst: &str, glob: &str, default: i64| {
        s.int(inst).or_else(|| g.int(glob)).unwrap_or(default)
    };
    let auth_hmac = hmac_config(cfg, i, interval);
    let (auth, ah_key) = legacy_auth(cfg, i);
    let router = RouterConfig {
        vrid,
        version,
        priority: i.priority(),
        advert_interval: interval,
        start_as_master: state == InitialState::Master,
        preempt: !nopreempt,
        preempt_delay: if nopreempt {
            Micros::ZERO
        } else {
            Micros(s.micros("preempt_delay").unwrap_or(0))
        },
        primary_address: primary,
        virtual_addresses: (i.vips.iter().map(|v| v.addr))
            .filter(|a| a.is_ipv6() == ipv6)
            .collect(),
        auth,
        unicast_peers: unicast_peers(i, ipv6),
        check_unicast_src: s.has("check_unicast_src") || g.has("vrrp_check_unicast_src"),
        skip_check_adv_addr: s.bool("skip_check_adv_addr").unwrap_or(false)
            || g.has("vrrp_skip_check_adv_addr"),
        down_timer_adverts: int("down_timer_adverts", "vrrp_down_timer_adverts", 3) as u8,
        lower_prio_no_advert: flag("lower_prio_no_advert", "vrrp_lower_prio_no_advert"),
        higher_prio_send_advert: flag("higher_prio_send_advert", "vrrp_higher_prio_send_advert"),
        garp: garp_schedule(cfg, i),
    };
    router.validate().map_err(|e| format!("{}: {e}", i.name))?;
    let (master_down, skew) = takeover_delays(&router);
    Ok(Effective {
        name: i.name.clone(),
        state,
        interface: i.interface().map(String::from),
        master_down,
        skew,
        router,
        track_scripts: (i.track_scripts.iter())
            .filter(|t| cfg.scripts.contains_key(&t.name))
            .map(|t| t.name.clone())
            .collect(),
        track_processes: tracked_processes(cfg, i),
        notify: (NotifyKind::ALL.iter())
            .filter_map(|&k| s.script(k.keyword()).map(|c| (k, c.clone())))
            .collect(),
        auth_hmac,
        ah_key,
    })
}

/// The instance's unicast peers of its family.
fn unicast_peers(i: &Instance, ipv6: bool) -> Vec<UnicastPeer> {
    (i.unicast_peers.iter())
        .filter(|p| p.addr.is_ipv6() == ipv6)
        .map(|p| UnicastPeer {
            addr: p.addr,
            min_ttl: p.min_ttl,
            max_ttl: p.max_ttl,
        })
        .collect()
}

/// Master_Down_Interval and the skew time of a backup at the router's priority.
fn takeover_delays(r: &RouterConfig) -> (Micros, Micros) {
    let m = Micros(r.advert_interval.micros());
    let down = timing::master_down_interval(r.version, r.down_timer_adverts, r.priority, m);
    (down, timing::skew(r.version, r.priority, m))
}

/// The legacy VRRPv2 authentication and, for AH, its key (`auth_hmac` replaces them: keepalived
/// drops them).
fn legacy_auth(cfg: &Config, i: &Instance) -> (Auth, Option<vrrp::ah::Key>) {
    match crate::legacy_auth::applies(cfg, i) {
        Some((AuthType::Pass, pass)) => (Auth::pass(&pass), None),
        Some((AuthType::Ah, pass)) => (Auth::Ah, Some(vrrp::ah::Key::from_pass(&pass))),
        None => (Auth::None, None),
    }
}

/// The advert interval `advert_int` gives under `version` (whole seconds in VRRPv2,
/// centiseconds in VRRPv3).
fn advert_interval(i: &Instance, version: Version) -> Result<AdvertInterval, String> {
    let us = i.advert_int_us();
    match version {
        Version::V2 => AdvertInterval::from_secs(((us as f64 / 1e6).round() as u16).clamp(1, 255)),
        Version::V3 => AdvertInterval::from_centis(
            ((us / 10_000) as u16).clamp(1, AdvertInterval::V3_MAX_CENTIS),
        ),
    }
    .ok_or_else(|| format!("{}: advert_int out of range", i.name))
}

/// The gratuitous ARP / NA schedule: the instance's `garp_*`, else the global `vrrp_garp_*`.
fn garp_schedule(cfg: &Config, i: &Instance) -> GarpSchedule {
    let (g, s) = (&cfg.global.settings, &i.settings);
    let int = |inst: &str, glob: &str, default: i64| {
        s.int(inst).or_else(|| g.int(glob)).unwrap_or(default)
    };
    let secs = |v: i64| Micros::from_secs(v.max(0) as u64);
    let master_delay = int("garp_master_delay", "vrrp_garp_master_delay", 5);
    let master_repeat = int("garp_master_repeat", "vrrp_garp_master_repeat", 5);
    GarpSchedule {
        master_delay: secs(master_delay),
        master_repeat: master_repeat as u32,
        master_refresh: secs(int("garp_master_refresh", "vrrp_garp_master_refresh", 0)),
        master_refresh_repeat: int(
            "garp_master_refresh_repeat",
            "vrrp_garp_master_refresh_repeat",
            1,
        ) as u32,
        lower_prio_delay: secs(int(
            "garp_lower_prio_delay",
            "vrrp_garp_lower_prio_delay",
            master_delay,
        )),
        lower_prio_repeat: int(
            "garp_lower_prio_repeat",
            "vrrp_garp_lower_prio_repeat",
            master_repeat,
        ) as u32,
    }
}

/// `auth_hmac`, resolved (window from the advert interval when unset).
fn hmac_config(cfg: &Config, i: &Instance, interval: AdvertInterval) -> Option<HmacConfig> {
    i.auth_hmac.as_ref().map(|h| HmacConfig {
        keys: h.keys.clone(),
        active_key: h.active_key.unwrap_or(0),
        // keepalived forces enforce under strict mode (and the check reports it).
        mode: if i.strict(&cfg.global) {
            vrrp::auth_hmac::Mode::Enforce
        } else {
            h.mode
        },
        anti_replay: h.anti_replay,
        time_window: h
            .time_window
            .unwrap_or_else(|| HmacConfig::default_window(interval)),
    })
}

/// A `track_process` entry of an instance, resolved.
#[derive(Clone, Debug, Serialize)]
pub struct TrackedProcess {
    /// The `vrrp_track_process` name.
    pub name: String,
    /// What is matched: the command name, or the command line with `full_command`.
    pub process: String,
    /// Whether the whole command line is matched.
    pub full_command: bool,
    /// `quorum`.
    pub quorum: u32,
    /// `quorum_max`, if set.
    pub quorum_max: Option<u32>,
    /// The weight that applies (the entry's, else the definition's; 0: FAULT).
    pub weight: i64,
    /// `reverse`.
    pub reverse: bool,
}

fn tracked_processes(cfg: &Config, i: &Instance) -> Vec<TrackedProcess> {
    let group = cfg
        .sync_groups
        .iter()
        .find(|g| g.members.iter().any(|m| m.name == i.name));
    let refs = i
        .track_processes
        .iter()
        .chain(group.iter().flat_map(|g| &g.track_processes));
    refs.filter_map(|r| {
        let t = cfg.track_processes.get(&r.name)?;
        let mut process = t.path.clone();
        for p in &t.params {
            process.push(' ');
            process.push_str(p);
        }
        Some(TrackedProcess {
            name: r.name.clone(),
            process,
            full_command: t.full_command,
            quorum: t.quorum,
            quorum_max: (t.quorum_max != crate::model::NO_QUORUM_MAX).then_some(t.quorum_max),
            weight: r.weight.unwrap_or(t.weight.value),
            reverse: r.reverse.unwrap_or(t.weight.reverse),
        })
    })
    .collect()
}

/// How the VRRP process is scheduled (global_defs `vrrp_rt_priority`, `vrrp_priority`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scheduling {
    /// SCHED_RR at this priority (1-99).
    pub realtime: Option<u8>,
    /// This nice value (-20..19).
    pub nice: Option<i8>,
}

/// The VRRP loop's scheduling settings (`vrrp_rt_priority`, `vrrp_priority`), already
/// range-checked by validation.
pub fn scheduling(cfg: &Config) -> Scheduling {
    scheduling_of(cfg, "vrrp_rt_priority", "vrrp_priority")
}

/// The BFD sessions' scheduling settings (`bfd_rt_priority`, `bfd_priority`): keepalived's BFD
/// process, havipd's BFD thread.
pub fn bfd_scheduling(cfg: &Config) -> Scheduling {
    scheduling_of(cfg, "bfd_rt_priority", "bfd_priority")
}

fn scheduling_of(cfg: &Config, realtime: &str, nice: &str) -> Scheduling {
    let g = &cfg.global.settings;
    Scheduling {
        realtime: g
            .int(realtime)
            .and_then(|p| u8::try_from(p).ok())
            .filter(|p| (1..=99).contains(p)),
        nice: g
            .int(nice)
            .and_then(|n| i8::try_from(n).ok())
            .filter(|n| (-20..=19).contains(n)),
    }
}

/// How long after havipd starts its instances ignore adverts and wait before they may take
/// over: `vrrp_startup_delay`, or keepalived 2.4's `vrrp_delay_after_boot` less `uptime` (the
/// time since the machine booted), the longer of the two.
pub fn startup_delay(cfg: &Config, uptime: Micros) -> Micros {
    let g = &cfg.global.settings;
    let fixed = g.micros("vrrp_startup_delay").unwrap_or(0);
    let after_boot = g
        .micros("vrrp_delay_after_boot")
        .unwrap_or(0)
        .saturating_sub(uptime.0);
    Micros(fixed.max(after_boot))
}

/// `dynamic_interfaces`: an instance whose interface does not exist yet waits for it.
pub fn dynamic_interfaces(cfg: &Config) -> bool {
    cfg.global.settings.has("dynamic_interfaces")
}
