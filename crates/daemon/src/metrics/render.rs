//! The text exposition format (version 0.0.4), written from a status snapshot.

use super::{Histogram, Recorder};
use crate::dumps::state_code;
use ctl::{InstanceStatus, Status, VipStatus};
use std::fmt::Write;

/// The keepalived exporter's per-instance counters and the `vrrp.stats` field each comes from.
const KEEPALIVED_COUNTERS: [(&str, &str, &str); 11] = [
    (
        "keepalived_advertisements_received_total",
        "advert_rcvd",
        "Advertisements received",
    ),
    (
        "keepalived_advertisements_sent_total",
        "advert_sent",
        "Advertisements sent",
    ),
    (
        "keepalived_become_master_total",
        "become_master",
        "Became master",
    ),
    (
        "keepalived_release_master_total",
        "release_master",
        "Released master",
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "interval_err",
        "Advertisement interval errors",
    ),
    ("keepalived_ip_ttl_errors_total", "ip_ttl_err", "TTL errors"),
    (
        "keepalived_address_list_errors_total",
        "addr_list_err",
        "Address list errors",
    ),
    (
        "keepalived_authentication_mismatch_total",
        "authtype_mismatch",
        "Authentication mismatch",
    ),
    (
        "keepalived_authentication_failure_total",
        "auth_failure",
        "Authentication failure",
    ),
    (
        "keepalived_priority_zero_received_total",
        "pri_zero_rcvd",
        "Priority zero received",
    ),
    (
        "keepalived_priority_zero_sent_total",
        "pri_zero_sent",
        "Priority zero sent",
    ),
];

/// Writes families one after another, each sample under its family.
struct Exposition(String);

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", l.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        for (le, n) in h.cumulative() {
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&format!("{name}_bucket"), &l, n as f64);
        }
        self.sample(&format!("{name}_sum"), labels, h.sum());
        self.sample(&format!("{name}_count"), labels, h.count() as f64);
    }
}

impl Exposition {
    /// A gauge family with one sample per instance, labelled by its name.
    fn per_instance(
        &mut self,
        s: &Status,
        name: &str,
        help: &str,
        value: impl Fn(&InstanceStatus) -> f64,
    ) {
        self.family(name, "gauge", help);
        for i in &s.instances {
            self.sample(name, &[("iname", &i.name)], value(i));
        }
    }

    /// A gauge family with one sample per virtual address, labelled by instance, interface,
    /// address (and VRID when `with_vrid`: keepalived's exporter has it on its state gauge).
    fn per_vip(
        &mut self,
        s: &Status,
        (name, help): (&str, &str),
        with_vrid: bool,
        value: impl Fn(&InstanceStatus, &VipStatus) -> f64,
    ) {
        self.family(name, "gauge", help);
        for i in &s.instances {
            let vrid = i.vrid.to_string();
            for v in &i.vips {
                let mut l = vec![("iname", i.name.as_str()), ("intf", v.interface.as_str())];
                if with_vrid {
                    l.push(("vrid", &vrid));
                }
                l.push(("ip_address", v.ip()));
                self.sample(name, &l, value(i, v));
            }
        }
    }
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

fn common(i: &InstanceStatus) -> [(&'static str, String); 4] {
    [
        ("iname", i.name.clone()),
        ("intf", i.interface.clone()),
        ("vrid", i.vrid.to_string()),
        ("state", i.state.clone()),
    ]
}

fn refs<'a>(l: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    l.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The whole exposition.
pub fn render(s: &Status, rec: &Recorder, scripts: &[(String, bool)]) -> String {
    let mut e = Exposition(String::new());
    e.family("keepalived_up", "gauge", "Whether the VRRP daemon runs");
    e.sample("keepalived_up", &[], 1.0);
    keepalived_families(&mut e, s, scripts);
    havip_families(&mut e, s, rec);
    e.0
}

fn keepalived_families(e: &mut Exposition, s: &Status, scripts: &[(String, bool)]) {
    e.per_vip(
        s,
        (
            "keepalived_vrrp_state",
            "State of vrrp (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP)",
        ),
        true,
        |i, _| f64::from(state_code(&i.state)),
    );
    for (name, field, help) in KEEPALIVED_COUNTERS {
        e.family(name, "counter", help);
        for i in &s.instances {
            let l = common(i);
            let n = i.counters.get(field).copied().unwrap_or(0);
            e.sample(name, &refs(&l), n as f64);
        }
    }
    e.family(
        "keepalived_script_status",
        "gauge",
        "Tracker Script Status (1 good, 0 bad)",
    );
    for (name, ok) in scripts {
        e.sample("keepalived_script_status", &[("name", name)], flag(*ok));
    }
}

fn havip_families(e: &mut Exposition, s: &Status, rec: &Recorder) {
    havip_loop_families(e, rec);
    havip_instance_families(e, s);
    havip_drop_families(e, s);
    havip_mover_families(e, s);
}

/// The VIP movers (`--mover`): whether the cloud says we hold the VIPs, steps and API calls.
fn havip_mover_families(e: &mut Exposition, s: &Status) {
    e.family(
        "havip_mover_held",
        "gauge",
        "A mover's instance: 1 when the cloud says this server holds its VIPs, else 0",
    );
    let movers = || {
        s.instances
            .iter()
            .filter_map(|i| Some((i, i.mover.as_ref()?)))
    };
    for (i, m) in movers() {
        let held = flag(m.phase == "held");
        e.sample("havip_mover_held", &[("iname", i.name.as_str())], held);
    }
    for (name, help, pick) in [
        (
            "havip_mover_steps_total",
            "Mover steps (claim, describe) by outcome",
            (|m: &ctl::MoverStatus| &m.steps) as fn(&ctl::MoverStatus) -> &Vec<ctl::MoverCount>,
        ),
        (
            "havip_mover_api_calls_total",
            "Cloud API calls the mover made, by action and outcome",
            |m: &ctl::MoverStatus| &m.calls,
        ),
    ] {
        e.family(name, "counter", help);
        for (i, m) in movers() {
            for c in pick(m) {
                let l = [
                    ("iname", i.name.as_str()),
                    ("action", &c.action),
                    ("outcome", &c.outcome),
                ];
                e.sample(name, &l, c.count as f64);
            }
        }
    }
}

/// What the event loop records: tasks, transitions, advert gaps, timer lateness.
fn havip_loop_families(e: &mut Exposition, rec: &Recorder) {
    e.family(
        "havip_tasks",
        "gauge",
        "Tasks alive in the daemon (watchers, notify queues, timers): flat across reloads",
    );
    e.sample("havip_tasks", &[], rec.tasks as f64);
    e.family(
        "havip_transitions_total",
        "counter",
        "State transitions by reason",
    );
    for ((iname, from, to, reason), n) in &rec.transitions {
        let l = [
            ("iname", iname.as_str()),
            ("from", from),
            ("to", to),
            ("reason", reason),
        ];
        e.sample("havip_transitions_total", &l, *n as f64);
    }
    e.family(
        "havip_advert_interarrival_seconds",
        "histogram",
        "Time between accepted adverts",
    );
    for (iname, h) in &rec.advert_gaps {
        e.histogram("havip_advert_interarrival_seconds", &[("iname", iname)], h);
    }
    e.family(
        "havip_timer_lateness_seconds",
        "histogram",
        "How late the event loop handled due timers",
    );
    e.histogram("havip_timer_lateness_seconds", &[], &rec.timer_lateness);
    e.family(
        "havip_mail_alerts_total",
        "counter",
        "E-mail alerts (smtp_alert) sent, failed (no server, time-out, refusal) or dropped (queue full)",
    );
    let (sent, failed, dropped) = rec.mail;
    for (result, n) in [("sent", sent), ("failed", failed), ("dropped", dropped)] {
        e.sample("havip_mail_alerts_total", &[("result", result)], n as f64);
    }
}

/// Per instance: addresses present, send errors, priority, maintenance, tracked objects.
fn havip_instance_families(e: &mut Exposition, s: &Status) {
    e.per_vip(
        s,
        (
            "havip_vip_present",
            "Whether a virtual address is on its interface (1) or not (0)",
        ),
        false,
        |_, v| flag(v.present),
    );
    e.family(
        "havip_send_errors_total",
        "counter",
        "Packets the kernel refused to send, by kind (advert, garp, na)",
    );
    for i in &s.instances {
        for kind in ["advert", "garp", "na"] {
            let n = i.counters.get(&format!("{kind}_send_errors")).copied();
            let l = [("iname", i.name.as_str()), ("kind", kind)];
            e.sample("havip_send_errors_total", &l, n.unwrap_or(0) as f64);
        }
    }
    e.per_instance(
        s,
        "havip_effective_priority",
        "Priority after tracking (1 in maintenance)",
        |i| f64::from(i.effective_priority),
    );
    e.per_instance(
        s,
        "havip_maintenance",
        "Maintenance on (1) or off (0)",
        |i| flag(i.maintenance),
    );
    e.family(
        "havip_tracker_up",
        "gauge",
        "Tracked objects: 1 up or passing, 0 failed",
    );
    for i in &s.instances {
        for t in &i.trackers {
            let l = [
                ("iname", i.name.as_str()),
                ("kind", &t.kind),
                ("name", &t.name),
            ];
            e.sample("havip_tracker_up", &l, flag(t.ok));
        }
    }
}

/// Packets dropped before an instance, and adverts authentication refused.
fn havip_drop_families(e: &mut Exposition, s: &Status) {
    e.family(
        "havip_dropped_packets_total",
        "counter",
        "Packets no instance acted on, by reason",
    );
    for (reason, n) in &s.dropped {
        e.sample(
            "havip_dropped_packets_total",
            &[("reason", reason)],
            *n as f64,
        );
    }
    e.family(
        "havip_auth_hmac_rejected_total",
        "counter",
        "auth_hmac rejections by reason",
    );
    for i in &s.instances {
        for (k, n) in i
            .counters
            .iter()
            .filter(|(k, _)| k.starts_with("auth_ext_"))
        {
            let l = [
                ("iname", i.name.as_str()),
                ("reason", &k["auth_ext_".len()..]),
            ];
            e.sample("havip_auth_hmac_rejected_total", &l, *n as f64);
        }
    }
    e.family(
        "havip_auth_ah_rejected_total",
        "counter",
        "auth_type AH rejections by reason",
    );
    for i in &s.instances {
        for (k, n) in i.counters.iter().filter(|(k, _)| k.starts_with("auth_ah_")) {
            let l = [
                ("iname", i.name.as_str()),
                ("reason", &k["auth_ah_".len()..]),
            ];
            e.sample("havip_auth_ah_rejected_total", &l, *n as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut e = Exposition(String::new());
        e.sample("m", &[("name", "a\"b\\c\nd")], 1.0);
        assert_eq!(e.0, "m{name=\"a\\\"b\\\\c\\nd\"} 1\n");
    }
}
