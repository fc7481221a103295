//! The multicast group an instance advertises to and listens on: its `mcast_dst_ip`, else
//! global_defs' `vrrp_mcast_group4`/`vrrp_mcast_group6`, else 224.0.0.18 / ff02::12. An address
//! keepalived skips (not multicast, IPv6 not link-local for `mcast_dst_ip`, the other family)
//! is skipped here too, with a diagnostic on its line.

use crate::diag::{Diagnostic, Location, Severity};
use crate::family::is_ipv6;
use crate::model::{Config, Instance};
use std::net::IpAddr;

/// Why keepalived skips `addr` as the instance's `mcast_dst_ip` (`ipv6`: the instance's family).
fn instance_problem(addr: IpAddr, ipv6: bool) -> Option<&'static str> {
    match addr {
        _ if addr.is_ipv6() != ipv6 => Some("must be of the instance's address family"),
        IpAddr::V4(a) if !a.is_multicast() => Some("is not multicast"),
        // keepalived: IN6_IS_ADDR_MC_LINKLOCAL, ff02::/16 (ffx2 with any flags).
        IpAddr::V6(a) if !(a.is_multicast() && a.segments()[0] & 0xff0f == 0xff02) => {
            Some("is not link-local multicast")
        }
        _ => None,
    }
}

/// Why keepalived skips `addr` as global_defs' group of the `ipv6` family.
fn global_problem(addr: IpAddr, ipv6: bool) -> Option<&'static str> {
    match addr {
        _ if addr.is_ipv6() != ipv6 => Some(if ipv6 { "is not IPv6" } else { "is not IPv4" }),
        _ if !addr.is_multicast() => Some("is not multicast"),
        _ => None,
    }
}

/// The global group of the family, if set and usable.
fn global_group(cfg: &Config, ipv6: bool) -> Option<IpAddr> {
    let key = if ipv6 {
        "vrrp_mcast_group6"
    } else {
        "vrrp_mcast_group4"
    };
    cfg.global
        .settings
        .ip(key)
        .filter(|a| global_problem(*a, ipv6).is_none())
}

/// The group the instance uses when it multicasts (it multicasts without unicast peers).
pub fn group(cfg: &Config, i: &Instance) -> IpAddr {
    let ipv6 = is_ipv6(i);
    i.settings
        .ip("mcast_dst_ip")
        .filter(|a| instance_problem(*a, ipv6).is_none())
        .or_else(|| global_group(cfg, ipv6))
        .unwrap_or(if ipv6 {
            IpAddr::V6(vrrp::packet::MULTICAST_V6)
        } else {
            IpAddr::V4(vrrp::packet::MULTICAST_V4)
        })
}

fn skipped(loc: Location, key: &str, addr: IpAddr, problem: &str, who: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        "bad-mcast-group",
        loc,
        format!("{key} {addr}"),
        format!("{who}{key} {addr} {problem}; keepalived skips it"),
    )
    .hint("VRRP's groups are 224.0.0.18 (IPv4) and ff02::12 (IPv6); any other group must be multicast, of the instance's family (and link-local for IPv6)")
}

/// Diagnostics for groups keepalived skips.
pub fn check(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    let g = &cfg.global.settings;
    for (key, ipv6) in [("vrrp_mcast_group4", false), ("vrrp_mcast_group6", true)] {
        if let (Some(addr), Some(loc)) = (g.ip(key), g.loc(key))
            && let Some(problem) = global_problem(addr, ipv6)
        {
            diags.push(skipped(loc.clone(), key, addr, problem, ""));
        }
    }
    for i in &cfg.instances {
        let s = &i.settings;
        if let (Some(addr), Some(loc)) = (s.ip("mcast_dst_ip"), s.loc("mcast_dst_ip"))
            && let Some(problem) = instance_problem(addr, is_ipv6(i))
        {
            let who = format!("({}) ", i.name);
            diags.push(skipped(loc.clone(), "mcast_dst_ip", addr, problem, &who));
        }
    }
}
