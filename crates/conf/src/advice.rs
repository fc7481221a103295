//! The seeds' advice for keepalived inside a cloud VPC with HAVIP (`--profile cloud`).

use crate::diag::{Diagnostic, Location, Severity};
use crate::effective::resolve;
use crate::model::{Config, InitialState, Instance};
use std::collections::BTreeMap;

/// Most HAVIPs the cloud supports per network interface.
pub const MAX_VIPS_PER_ENI: usize = 5;

/// Adds the cloud advice for `cfg`.
pub fn advise(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    let g = &cfg.global.settings;
    if let Some(loc) = g.loc("vrrp_strict") {
        diags.push(Diagnostic::new(Severity::Error, "cloud-vrrp-strict", loc.clone(), "vrrp_strict", "vrrp_strict must be off in a VPC: it adds firewall rules that drop all traffic to the VIP (\"can't ping the VIP\") and forbids unicast peers and authentication").hint("delete the vrrp_strict line, as the HAVIP guide says"));
    }
    let mut per_interface: BTreeMap<&str, (usize, Location)> = BTreeMap::new();
    for i in &cfg.instances {
        let s = &i.settings;
        if let Some(loc) = s
            .loc("strict_mode")
            .filter(|_| s.bool("strict_mode") == Some(true))
        {
            diags.push(Diagnostic::new(
                Severity::Error,
                "cloud-vrrp-strict",
                loc.clone(),
                "strict_mode",
                "strict_mode must be off in a VPC (same effect as vrrp_strict)",
            ));
        }
        if i.unicast_peers.is_empty() {
            diags.push(Diagnostic::new(Severity::Warning, "cloud-multicast", i.loc.clone(), format!("vrrp_instance {}", i.name), format!("({}) multicast VRRP: the VPC drops multicast unless it is enabled (a beta), so the servers would not hear each other", i.name)).hint("use unicast: `unicast_src_ip <this server>` and `unicast_peer { <other server> }`"));
        }
        garp_advice(cfg, i, diags);
        if let Some(ifname) = i.interface() {
            let e = per_interface.entry(ifname).or_insert((0, i.loc.clone()));
            e.0 += i.vips.len();
        }
        timing_advice(cfg, i, diags);
    }
    for (ifname, (count, loc)) in per_interface {
        if count > MAX_VIPS_PER_ENI {
            diags.push(Diagnostic::new(Severity::Warning, "cloud-vips-per-eni", loc, ifname, format!("{count} VIPs on {ifname}: the cloud binds at most {MAX_VIPS_PER_ENI} HAVIPs to one network interface")).hint("spread the VIPs over several ENIs"));
        }
    }
    script_advice(cfg, diags);
    if let Some(loc) = g.loc("smtp_server").filter(|_| {
        g.words("smtp_server")
            .is_some_and(|w| w.first().map(String::as_str) == Some("192.168.200.1"))
    }) {
        diags.push(Diagnostic::new(Severity::Info, "sample-values", loc.clone(), "smtp_server 192.168.200.1", "notification_email / smtp_server are keepalived's sample values: e-mail alerts go nowhere").hint("set your own SMTP server and addresses, or delete these lines"));
    }
}

/// Gratuitous ARP: a second burst and periodic refresh, and one ARP per VIP at most.
fn garp_advice(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let (g, s) = (&cfg.global.settings, &i.settings);
    let missing: Vec<&str> = [
        (
            "garp_master_delay",
            "vrrp_garp_master_delay",
            "garp_master_delay 1",
        ),
        (
            "garp_master_refresh",
            "vrrp_garp_master_refresh",
            "garp_master_refresh 5",
        ),
    ]
    .iter()
    .filter(|(k, gk, _)| !s.has(k) && !g.has(gk))
    .map(|(_, _, line)| *line)
    .collect();
    if !missing.is_empty()
        || s.int("garp_master_refresh")
            .or_else(|| g.int("vrrp_garp_master_refresh"))
            == Some(0)
    {
        diags.push(Diagnostic::new(Severity::Warning, "cloud-garp", i.loc.clone(), format!("vrrp_instance {}", i.name), format!("({}) the HAVIP follows gratuitous ARP: without a second burst and periodic refresh, a missed announcement leaves the address on the old server", i.name)).hint(format!("add to the instance: {}", if missing.is_empty() { "garp_master_refresh 5".to_string() } else { missing.join(", ") })));
    }
    if i.vips.len() > 1
        && g.int("vrrp_garp_master_repeat").is_none_or(|r| r > 1)
        && s.int("garp_master_repeat").is_none_or(|r| r > 1)
    {
        diags.push(Diagnostic::new(Severity::Warning, "cloud-garp-repeat", i.loc.clone(), format!("vrrp_instance {}", i.name), format!("({}) {} VIPs: the cloud rate-limits gratuitous ARP per interface, and keepalived sends 5 per VIP by default", i.name, i.vips.len())).hint("add `vrrp_garp_master_repeat 1` to global_defs"));
    }
}

/// What the instance's timing means for a failover, and the guide's patterns.
fn timing_advice(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let s = &i.settings;
    if let Ok(e) = resolve(cfg, i, None) {
        let interval = e.router.advert_interval;
        let loc = s
            .loc("advert_int")
            .cloned()
            .unwrap_or_else(|| i.loc.clone());
        diags.push(Diagnostic::new(Severity::Info, "cloud-advert-int", loc, s.text("advert_int"), format!("({}) advert_int {interval}: a failed primary is replaced after at most {} (3 × interval + skew at priority {}), a graceful stop after {}; the cloud then needs its own switch time (up to 10 s in the beta)", i.name, e.master_down, e.router.priority, e.skew)).hint("shorter intervals fail over faster but risk split brain on network jitter; longer ones mean longer outages"));
        if i.state() == InitialState::Backup && i.nopreempt() {
            diags.push(Diagnostic::new(Severity::Info, "cloud-pattern", i.loc.clone(), format!("vrrp_instance {}", i.name), format!("({}) state BACKUP + nopreempt: the guide's flap-avoiding pattern; give the peer the same priority ({}) so neither takes the role back after a recovery", i.name, e.router.priority)));
        }
        if e.router.vrid == 51 {
            let loc = s
                .loc("virtual_router_id")
                .cloned()
                .unwrap_or_else(|| i.loc.clone());
            diags.push(Diagnostic::new(Severity::Info, "cloud-vrid", loc, s.text("virtual_router_id"), "51 is keepalived's sample VRID: every primary/secondary cluster in the VPC needs its own"));
        }
    }
}

/// `vrrp_script` timing: a timeout below the interval.
fn script_advice(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    for s in cfg.scripts.values() {
        let interval = s.interval();
        let loc = s
            .settings
            .loc("interval")
            .cloned()
            .unwrap_or_else(|| s.loc.clone());
        match s.timeout() {
            Some(t) if t >= interval => diags.push(Diagnostic::new(Severity::Warning, "cloud-script-timing", loc, s.settings.text("interval"), format!("vrrp_script {}: timeout {t} s is not below interval {interval} s; runs overlap and a slow check puts the instance in FAULT", s.name)).hint("make interval larger than timeout")),
            None if interval < 5 => diags.push(Diagnostic::new(Severity::Info, "cloud-script-timing", loc, s.settings.text("interval"), format!("vrrp_script {}: a {interval} s interval with no timeout; a check that hangs longer is counted as a failure and can cause FAULT", s.name)).hint("the guide recommends a larger interval (e.g. 5) and an explicit timeout below it")),
            _ => {}
        }
    }
}
