//! Many HAVIPs failing over at once on OVN: the seed pair with `HAVIP_DRILL_VIPS` VIPs (50 by
//! default, at most 200: the lab's subnet is a /24) in its one VRRP instance, each VIP a HAVIP
//! (an OVN virtual port) of both servers' ENIs, run by `havip lab up --config-dir --vpc ovn`.
//! The primary's link goes down (it can no longer advertise nor answer); the secondary takes
//! over after its Master_Down_Interval and sends its GARPs for every VIP. Measured from the cut:
//! the southbound database showing every virtual port claimed by the secondary's ENI
//! (`virtual_parent`), the API showing every HAVIP bound to it, and the client getting an
//! answer from every VIP. `HAVIP_DRILL_ROUNDS` (1 by default) labs in a row; `HAVIP_BIN` names the `havip` to run.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

mod common;

/// Runs `havip args` (`HAVIP_BIN`, a release build for figures; else this build's) in the
/// temporary directory.
fn havip(args: &[&str]) -> std::process::Output {
    match std::env::var_os("HAVIP_BIN") {
        Some(bin) => std::process::Command::new(bin)
            .args(args)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("havip runs"),
        None => common::havip_in_temp(args),
    }
}

fn skip(tag: &str) -> bool {
    match hostcheck::skip_reason(tag, &lab::ovn::TOOLS) {
        Some(why) => {
            eprintln!("{why}");
            true
        }
        None => false,
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Removes lab `id` when dropped, whatever happened.
struct Down(String);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = havip(&["lab", "down", &self.0]);
    }
}

/// `n` VIPs in the seeds' /24, clear of the servers (.5, .6), the client (.100) and the seed's
/// own VIP (.12).
fn vips(n: usize) -> Vec<String> {
    (20..=254)
        .filter(|h| *h != 100)
        .take(n)
        .map(|h| format!("172.16.16.{h}"))
        .collect()
}

/// The seed configs with their one VIP replaced by `vips` and their commented-out check script
/// defined (as the drills do), as `lb1.conf` (the primary) and `lb2.conf` in a new directory.
fn configs(vips: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, seed) in [("lb1", lab::seeds::PRIMARY), ("lb2", lab::seeds::SECONDARY)] {
        let text = lab::seeds::for_keepalived(seed);
        let edited: Vec<String> = text
            .lines()
            .map(|l| {
                if l.contains(lab::seeds::VIP) {
                    vips.join("\n")
                } else if l.trim() == "# vrrp_script checkhaproxy" {
                    "vrrp_script checkhaproxy".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(dir.path().join(format!("{name}.conf")), edited.join("\n")).expect("conf");
    }
    dir
}

/// The southbound `virtual_parent` of every virtual port (port name -> parent, "" unclaimed).
fn ovn_parents(sb: &str) -> Vec<(String, String)> {
    let db = format!("--db={sb}");
    let argv = [
        "ovn-sbctl",
        "--timeout=5",
        &db,
        "--format=csv",
        "--data=bare",
        "--no-headings",
        "--columns=logical_port,virtual_parent",
        "find",
        "Port_Binding",
        "type=virtual",
    ];
    lab::shell::run(&argv)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(','))
        .map(|(p, v)| (p.to_string(), v.to_string()))
        .collect()
}

/// The ENI the API has each HAVIP bound to.
fn api_bindings(api: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for offset in (0..n).step_by(100) {
        let page = lab::vpc::call(
            api,
            "DescribeHaVips",
            &json!({"Offset": offset, "Limit": 100}),
        );
        let Ok(page) = page else { return Vec::new() };
        for h in page["HaVipSet"].as_array().cloned().unwrap_or_default() {
            out.push(h["NetworkInterfaceId"].as_str().unwrap_or("").to_string());
        }
    }
    out
}

fn all_on(bound: &[String], n: usize, eni: &str) -> bool {
    bound.len() == n && bound.iter().all(|b| b == eni)
}

/// How many of `vips` namespace `ns` has on an interface.
fn held(ns: &str, vips: &[String]) -> usize {
    let listed = lab::shell::run(&["ip", "-n", ns, "-o", "-4", "addr", "show"]).unwrap_or_default();
    let addrs: std::collections::HashSet<&str> = listed
        .split_whitespace()
        .filter_map(|w| w.strip_suffix("/32"))
        .collect();
    vips.iter().filter(|v| addrs.contains(v.as_str())).count()
}

/// Waits (60 s at most) until namespace `ns` holds every VIP; seconds since `t0`.
fn wait_held(ns: &str, vips: &[String], t0: Instant) -> f64 {
    while held(ns, vips) < vips.len() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{ns} never held every VIP"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    t0.elapsed().as_secs_f64()
}

/// Seconds since `t0` at which each of four things was first seen: the secondary holding every
/// VIP, the southbound database, the API, the client's answers.
struct Converged {
    master: f64,
    sb: f64,
    api: f64,
    answered: f64,
}

/// Waits (`within`) until every HAVIP is on `eni` in OVN and the API.
fn wait_bound(sb: &str, api: &str, n: usize, eni: &str, t0: Instant) -> (f64, f64) {
    let (mut at_sb, mut at_api) = (None, None);
    while t0.elapsed() < Duration::from_secs(60) && (at_sb.is_none() || at_api.is_none()) {
        if at_sb.is_none() {
            let parents: Vec<String> = ovn_parents(sb).into_iter().map(|(_, v)| v).collect();
            if all_on(&parents, n, eni) {
                at_sb = Some(t0.elapsed().as_secs_f64());
            }
        }
        if at_api.is_none() && all_on(&api_bindings(api, n), n, eni) {
            at_api = Some(t0.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let sb_at = at_sb.unwrap_or_else(|| panic!("OVN never had all {n} on {eni}"));
    let api_at = at_api.unwrap_or_else(|| panic!("the API never had all {n} on {eni}"));
    (sb_at, api_at)
}

/// Pings each VIP from the client until every one has answered (60 s at most).
fn wait_answers(client: &str, vips: &[String], t0: Instant) -> f64 {
    let mut left: Vec<std::net::IpAddr> = vips.iter().map(|v| v.parse().expect("VIP")).collect();
    while !left.is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{} VIPs never answered the client: {left:?}",
            left.len()
        );
        left.retain(|v| !lab::echo::answered(client, *v, Duration::from_millis(200)));
    }
    t0.elapsed().as_secs_f64()
}

/// One lab: up, every VIP on the primary, the primary's link down, the times to converge.
fn one_round(n: usize) -> Converged {
    let vips = vips(n);
    let dir = configs(&vips);
    let conf_dir = dir.path().to_str().expect("path");
    let out = havip(&[
        "lab",
        "up",
        "--config-dir",
        conf_dir,
        "--vpc",
        "ovn",
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let up: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let _down = Down(up["id"].as_str().expect("lab id").to_string());
    let text = |v: &Value| v.as_str().expect("text").to_string();
    let (vpc, hosts) = (&up["vpc"], &up["hosts"]);
    let (api, sb) = (text(&vpc["api"]), text(&vpc["ovn_sb"]));
    let (primary, secondary) = (
        text(&vpc["network_interfaces"][0]),
        text(&vpc["network_interfaces"][1]),
    );
    assert_eq!(vpc["havips"].as_array().map(Vec::len), Some(n), "{vpc}");
    let (ns, iface) = (text(&hosts[0]["namespace"]), text(&hosts[0]["interface"]));
    let backup = text(&hosts[1]["namespace"]);
    let t = Instant::now();
    wait_held(&ns, &vips, t);
    wait_bound(&sb, &api, n, &primary, t);
    wait_answers(&text(&hosts[2]["namespace"]), &vips, t);
    // A steady start: the primary the only master (3 s: three of the secondary's adverts).
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        held(&backup, &vips),
        0,
        "the secondary holds VIPs before the cut"
    );
    assert_eq!(held(&ns, &vips), n, "the primary lost VIPs before the cut");
    let t0 = Instant::now();
    lab::shell::run(&["ip", "-n", &ns, "link", "set", &iface, "down"]).expect("link down");
    let master = wait_held(&backup, &vips, t0);
    let (sb_at, api_at) = wait_bound(&sb, &api, n, &secondary, t0);
    let answered = wait_answers(&text(&hosts[2]["namespace"]), &vips, t0);
    Converged {
        master,
        sb: sb_at,
        api: api_at,
        answered,
    }
}

#[test]
fn many_havips_fail_over_at_once_on_ovn() {
    if skip("lab up --config-dir --vpc ovn, many VIPs") {
        return;
    }
    let n = env_count("HAVIP_DRILL_VIPS", 50);
    assert!((1..=200).contains(&n), "HAVIP_DRILL_VIPS is 1 to 200");
    for round in 0..env_count("HAVIP_DRILL_ROUNDS", 1) {
        let c = one_round(n);
        eprintln!(
            "many-havips round {round}: {n} HAVIPs, from the primary's link down: the \
             secondary holding every VIP {:.3} s, all claimed by it in OVN's southbound \
             database {:.3} s, all on it in the API {:.3} s, every VIP answering the client \
             {:.3} s",
            c.master, c.sb, c.api, c.answered
        );
    }
}
