//! `docs/metrics.md`, generated from what [`render`] writes: every family's name, type,
//! labels and help, read from the exposition of a daemon with one of everything (an instance
//! with a VIP, a tracker, counters of every kind, a transition, histograms).

use super::{Histogram, Recorder, render};
use ctl::{InstanceStatus, MoverCount, MoverStatus, Status, TrackerStatus, VipStatus};
use std::collections::{BTreeMap, BTreeSet};

/// What each label means; a label [`render`] writes without a row here panics the generator.
const LABELS: &[(&str, &str)] = &[
    ("iname", "the `vrrp_instance` name"),
    ("intf", "the interface"),
    ("vrid", "the virtual router id"),
    (
        "state",
        "the instance's state now (`MASTER`, `BACKUP`, `FAULT`, ...)",
    ),
    ("ip_address", "a virtual address, without its prefix length"),
    (
        "name",
        "a `vrrp_script` (script status) or tracked object's name",
    ),
    ("from", "the state left"),
    ("to", "the state entered"),
    (
        "reason",
        "why: the transition's kind, or the drop's or rejection's reason",
    ),
    (
        "kind",
        "what was refused (`advert`, `garp`, `na`) or tracked (`interface`, `script`, `file`, `process`)",
    ),
    ("le", "a histogram bucket's upper bound, in seconds"),
    (
        "action",
        "a mover's step (`claim`, `describe`) or cloud API action (`MigratePrivateIpAddress`, ...)",
    ),
    (
        "outcome",
        "how a mover's step or API call ended: `ok`, `throttled`, `error`, `timeout`",
    ),
    (
        "result",
        "what became of an e-mail alert: `sent`, `failed`, `dropped`",
    ),
];

/// A mover holding its VIPs after one claim, for the reference page's samples.
fn fixture_mover() -> MoverStatus {
    MoverStatus {
        provider: "tencent".into(),
        method: "migrate".into(),
        eni: "eni-11112222".into(),
        phase: "held".into(),
        failures: 0,
        in_flight: None,
        last: Some("describe ok".into()),
        last_error: None,
        steps: vec![MoverCount {
            action: "claim".into(),
            outcome: "ok".into(),
            count: 1,
        }],
        calls: vec![MoverCount {
            action: "MigratePrivateIpAddress".into(),
            outcome: "ok".into(),
            count: 1,
        }],
    }
}

fn fixture() -> (Status, Recorder, Vec<(String, bool)>) {
    let counters = [
        "advert_rcvd",
        "advert_sent",
        "become_master",
        "advert_send_errors",
        "auth_ext_replay",
        "auth_ah_invalid_icv",
    ];
    let instance = InstanceStatus {
        name: "VI_1".into(),
        interface: "eth0".into(),
        vrid: 51,
        version: 2,
        family: "inet".into(),
        state: "MASTER".into(),
        wanted_state: "BACKUP".into(),
        maintenance: false,
        handing_over: false,
        base_priority: 100,
        effective_priority: 100,
        master: None,
        advert_int_ms: 1000.0,
        master_adver_int_ms: 1000.0,
        skew_ms: 609.375,
        master_down_interval_ms: 3609.375,
        since_last_advert_ms: None,
        last_transition: None,
        vips: vec![VipStatus {
            address: "172.16.16.12/32".into(),
            interface: "eth0".into(),
            present: true,
            expected: true,
        }],
        trackers: vec![TrackerStatus {
            kind: "script".into(),
            name: "checkhaproxy".into(),
            ok: true,
            weight: 0,
            effect: 0,
        }],
        counters: counters.iter().map(|c| (c.to_string(), 1)).collect(),
        mover: Some(fixture_mover()),
    };
    let status = Status {
        pid: 1,
        config: "keepalived.conf".into(),
        started: 0.0,
        dropped: BTreeMap::from([("no_instance".to_string(), 1)]),
        instances: vec![instance],
    };
    let mut rec = Recorder::default();
    let transition = (
        "VI_1".into(),
        "BACKUP".into(),
        "MASTER".into(),
        "master_down",
    );
    rec.transitions.insert(transition, 1);
    rec.timer_lateness.observe(0.0001);
    let mut gaps = Histogram::default();
    gaps.observe(1.0);
    rec.advert_gaps.insert("VI_1".into(), gaps);
    (status, rec, vec![("checkhaproxy".into(), true)])
}

/// A family of the exposition: type, help and the labels its samples carry.
struct Family {
    kind: String,
    help: String,
    labels: BTreeSet<String>,
}

/// The families of an exposition, in the order written.
pub fn families(text: &str) -> Vec<(String, String, String, BTreeSet<String>)> {
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            order.push(name.to_string());
            found.insert(
                name.to_string(),
                Family {
                    kind: String::new(),
                    help: help.to_string(),
                    labels: BTreeSet::new(),
                },
            );
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Some(f) = found.get_mut(name) {
                f.kind = kind.to_string();
            }
        } else if let Some((name, labels)) = line.split_once('{') {
            let family = order.last().cloned().unwrap_or_default();
            if name.starts_with(&family)
                && let Some(f) = found.get_mut(&family)
            {
                let keys = labels.split("\",").filter_map(|kv| kv.split_once('='));
                f.labels.extend(keys.map(|(k, _)| k.to_string()));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|name| {
            let f = found.remove(&name)?;
            Some((name, f.kind, f.help, f.labels))
        })
        .collect()
}

/// The families [`render`] writes, from the fixture.
pub fn rendered_families() -> Vec<(String, String, String, BTreeSet<String>)> {
    let (status, rec, scripts) = fixture();
    families(&render(&status, &rec, &scripts))
}

/// `docs/metrics.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# havipd's metrics\n\n\
         Generated from what havipd's exposition writes (`crates/daemon/src/metrics/render.rs`;\n\
         regenerate with `HAVIP_REGENERATE=1 cargo test -p daemon --test reference_pages`).\n\
         `havipd --metrics-listen 127.0.0.1:9650` serves them at `/metrics` in Prometheus'\n\
         text format (a non-loopback address needs `--metrics-token-file`). The `keepalived_*`\n\
         families have the names and labels of the keepalived exporter, so its dashboards work\n\
         unchanged; the `havip_*` families are havipd's own.\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n",
    );
    let mut used = BTreeSet::new();
    for (name, kind, help, labels) in rendered_families() {
        let list: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
        out.push_str(&format!(
            "| `{name}` | {kind} | {} | {} |\n",
            list.join(", "),
            help.replace('|', "\\|")
        ));
        used.extend(labels);
    }
    out.push_str("\n## Labels\n\n| label | meaning |\n|---|---|\n");
    for label in &used {
        let meaning = LABELS
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, m)| *m)
            .unwrap_or_else(|| panic!("label `{label}` has no meaning in metrics/reference.rs"));
        out.push_str(&format!("| `{label}` | {meaning} |\n"));
    }
    out
}
