//! keepalived-compatible dumps, for the tools that read keepalived's: SIGUSR1 writes
//! keepalived.data, SIGUSR2 keepalived.stats, SIGRTMIN+2 keepalived.json (keepalived's
//! version-1 JSON: an array of `{"data": {...}, "stats": {...}}`), in keepalived's places
//! (`conf::dump_files`). Built from the same status the control socket gives. Written mode 0600
//! through a temporary file and a rename, so a reader never sees half a file. keepalived.json's
//! `data` also lists every tracked object with its state and weight (`trackers`, havipd's
//! own key: keepalived's readers ignore it).

use crate::run::Daemon;
use crate::signum::Dump;
use ctl::{InstanceStatus, Status};
use serde_json::{Value, json};
use std::fmt::Write as _;
use vrrp::{RouterConfig, Stats};

/// keepalived's numbers for its states.
pub fn state_code(state: &str) -> u8 {
    match state {
        "BACKUP" => 1,
        "MASTER" => 2,
        "FAULT" => 3,
        "STOP" => 98,
        _ => 0,
    }
}

/// The `vrrp.stats` fields keepalived dumps, in its order, from the router's counters
/// (keepalived's `advert_interval_err` is our `interval_err`; the fields we count before
/// dispatch, per daemon, are 0 per instance).
fn keepalived_stats(s: &Stats) -> [(&'static str, u64); 14] {
    [
        ("advert_rcvd", s.advert_rcvd),
        ("advert_sent", s.advert_sent),
        ("become_master", s.become_master),
        ("release_master", s.release_master),
        ("packet_len_err", 0),
        ("advert_interval_err", s.interval_err),
        ("ip_ttl_err", s.ip_ttl_err),
        ("invalid_type_rcvd", 0),
        ("addr_list_err", s.addr_list_err),
        ("invalid_authtype", 0),
        ("authtype_mismatch", s.authtype_mismatch),
        ("auth_failure", s.auth_failure),
        ("pri_zero_rcvd", s.pri_zero_rcvd),
        ("pri_zero_sent", s.pri_zero_sent),
    ]
}

/// A virtual address as keepalived lists it (`set` when it is on the interface).
fn vip_line(v: &ctl::VipStatus) -> String {
    let set = if v.present { " set" } else { "" };
    format!("{} dev {} scope global{set}", v.address, v.interface)
}

fn secs(m: vrrp::Micros) -> Value {
    let s = m.0 as f64 / 1e6;
    if s.fract() == 0.0 {
        json!(s as u64)
    } else {
        json!(s)
    }
}

fn instance_json(
    i: &InstanceStatus,
    counted: &Stats,
    cfg: &RouterConfig,
    vmac: Option<&str>,
    scripts: &[String],
    smtp_alert: bool,
) -> Value {
    let g = cfg.garp;
    let vips: Vec<String> = i.vips.iter().map(vip_line).collect();
    let stats: serde_json::Map<String, Value> = keepalived_stats(counted)
        .iter()
        .map(|(f, n)| (f.to_string(), json!(n)))
        .collect();
    json!({
        "data": {
            "iname": i.name,
            "dont_track_primary": 0,
            "skip_check_adv_addr": u8::from(cfg.skip_check_adv_addr),
            "strict_mode": 0,
            "vmac_ifname": vmac.unwrap_or(""),
            "ifp_ifname": i.interface,
            "master_priority": i.master.as_ref().map_or(0, |m| m.priority),
            "last_transition": i.last_transition.as_ref().map_or(0.0, |t| t.time),
            "garp_delay": secs(g.master_delay),
            "garp_refresh": secs(g.master_refresh),
            "garp_rep": g.master_repeat,
            "garp_refresh_rep": g.master_refresh_repeat,
            "garp_lower_prio_delay": secs(g.lower_prio_delay),
            "garp_lower_prio_rep": g.lower_prio_repeat,
            "lower_prio_no_advert": u8::from(cfg.lower_prio_no_advert),
            "higher_prio_send_advert": u8::from(cfg.higher_prio_send_advert),
            "vrid": i.vrid,
            "base_priority": i.base_priority,
            "effective_priority": i.effective_priority,
            "vipset": i.state == "MASTER" || i.handing_over,
            "promote_secondaries": false,
            "adver_int": secs(vrrp::Micros(cfg.advert_interval.micros())),
            "master_adver_int": secs(vrrp::Micros((i.master_adver_int_ms * 1000.0) as u64)),
            "accept": 1,
            "nopreempt": !cfg.preempt,
            "preempt_delay": secs(cfg.preempt_delay),
            "state": state_code(&i.state),
            "wantstate": state_code(&i.wanted_state),
            "version": i.version,
            "smtp_alert": smtp_alert,
            "notify_deleted": false,
            "vips": vips,
            "track_script": scripts.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>(),
            "auth_type": match cfg.auth { vrrp::Auth::None => 0, vrrp::Auth::Pass(_) => 1, vrrp::Auth::Ah => 2 },
            // havipd's own: every tracked object (interface, script, file, process), whether
            // it is up or passing, its weight and the priority change it makes now.
            "trackers": i.trackers,
        },
        "stats": stats,
    })
}

fn stats_text(s: &Status, counted: &[&Stats]) -> String {
    let mut out = String::new();
    for (i, counted) in s.instances.iter().zip(counted) {
        let [
            advert_rcvd,
            advert_sent,
            become_master,
            release_master,
            packet_len_err,
            advert_interval_err,
            ip_ttl_err,
            invalid_type_rcvd,
            addr_list_err,
            invalid_authtype,
            authtype_mismatch,
            auth_failure,
            pri_zero_rcvd,
            pri_zero_sent,
        ] = keepalived_stats(counted).map(|(_, n)| n);
        let _ = write!(
            out,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name,
            advert_rcvd,
            advert_sent,
            become_master,
            release_master,
            packet_len_err,
            ip_ttl_err,
            invalid_type_rcvd,
            advert_interval_err,
            addr_list_err,
            invalid_authtype,
            authtype_mismatch,
            auth_failure,
            pri_zero_rcvd,
            pri_zero_sent
        );
    }
    out
}

fn data_text(s: &Status, scripts: &[(String, bool)]) -> String {
    let mut out = format!(
        "------< Global definitions >------\n havipd pid = {}\n Config = {}\n------< VRRP Topology >------\n",
        s.pid, s.config
    );
    for i in &s.instances {
        let _ = write!(
            out,
            " VRRP Instance = {}\n   VRRP Version = {}\n   State = {}\n   Wantstate = {}\n   Last transition = {:.6}\n   Interface = {}\n   Virtual Router ID = {}\n   Priority = {}\n   Effective priority = {}\n   Advert interval = {} milli-sec\n   Master down timer = {} usecs\n   Virtual IP ({}):\n",
            i.name,
            i.version,
            i.state,
            i.wanted_state,
            i.last_transition.as_ref().map_or(0.0, |t| t.time),
            i.interface,
            i.vrid,
            i.base_priority,
            i.effective_priority,
            i.advert_int_ms,
            (i.master_down_interval_ms * 1000.0) as u64,
            i.vips.len()
        );
        for v in &i.vips {
            let _ = writeln!(out, "     {}", vip_line(v));
        }
    }
    out.push_str("------< VRRP Scripts >------\n");
    for (name, ok) in scripts {
        let _ = write!(
            out,
            " VRRP Script = {name}\n   Status = {}\n   State = idle\n",
            if *ok { "GOOD" } else { "BAD" }
        );
    }
    out
}

impl Daemon {
    /// Writes one dump where keepalived would.
    pub async fn dump(&mut self, which: Dump) {
        let status = self.status().await;
        let scripts = self.node.tracker().scripts();
        let counted: Vec<&Stats> = (self.instances.ids())
            .map(|k| self.node.router(k).stats())
            .collect();
        let (path, text) = match which {
            Dump::Data => (&self.dumps.data, data_text(&status, &scripts)),
            Dump::Stats => (&self.dumps.stats, stats_text(&status, &counted)),
            Dump::Json => {
                let names: Vec<String> = scripts.iter().map(|(n, _)| n.clone()).collect();
                let all: Vec<Value> = status
                    .instances
                    .iter()
                    .zip(self.instances.iter().zip(&counted))
                    .map(|(s, (i, counted))| {
                        let vmac = i.vmac.as_ref().map(|v| v.name.as_str());
                        let alert = self.mail.alerts(&i.name);
                        instance_json(s, counted, &i.identity.router, vmac, &names, alert)
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&all).unwrap_or_default() + "\n";
                (&self.dumps.json, text)
            }
        };
        self.state.write_dump(path, text);
    }
}
