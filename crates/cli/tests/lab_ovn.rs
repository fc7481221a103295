//! `havip lab up --vpc ovn`, `havip lab drill ... --vpc ovn` and `havip lab down` from the
//! command line: the seed pair on two OVN chassis, the HAVIP an OVN virtual port; a lab left
//! running is removed whole (central node and control plane included) by `lab down`, as after
//! a crash of the process that built it.

use serde_json::Value;
use std::time::{Duration, Instant};

mod common;
use common::havip_in_temp as havip;

fn skip(tag: &str) -> bool {
    let mut tools = lab::ovn::TOOLS.to_vec();
    tools.push("keepalived");
    match hostcheck::skip_reason(tag, &tools) {
        Some(why) => {
            eprintln!("{why}");
            true
        }
        None => false,
    }
}

/// Processes whose command line names lab `id` (its namespaces or directories).
fn processes_of(id: &str) -> Vec<String> {
    let ps = lab::shell::sh("ps -eo args").expect("ps");
    let mark = format!("{}{id}", lab::topology::PREFIX);
    ps.lines()
        .filter(|l| l.contains(&mark))
        .map(str::to_string)
        .collect()
}

/// Removes lab `id` when dropped, whatever happened.
struct Down(String);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = havip(&["lab", "down", &self.0]);
    }
}

fn until(within: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn lab_up_on_ovn_serves_the_vip_and_lab_down_removes_everything() {
    if skip("lab up --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "up",
        "--daemon",
        "havipd,keepalived",
        "--format",
        "json",
        "--vpc",
        "ovn",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let up: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let id = up["id"].as_str().expect("lab id").to_string();
    let guard = Down(id.clone());
    let vpc = &up["vpc"];
    assert_eq!(vpc["backend"], "ovn", "{up}");
    let client = up["hosts"][2]["namespace"]
        .as_str()
        .expect("client")
        .to_string();
    let api = vpc["api"].as_str().expect("API").to_string();
    let havip_id = vpc["havips"][0].as_str().expect("HAVIP").to_string();
    let primary_eni = vpc["network_interfaces"][0]
        .as_str()
        .expect("ENI")
        .to_string();
    let vip = lab::seeds::VIP;
    assert!(
        until(Duration::from_secs(30), || lab::vpc::VpcLab::ping(
            &client, vip, 1
        )),
        "the client never reached the VIP through OVN"
    );
    let bound = || {
        lab::vpc::call(
            &api,
            "DescribeHaVips",
            &serde_json::json!({"HaVipIds": [havip_id]}),
        )
        .map(|r| r["HaVipSet"][0]["NetworkInterfaceId"].clone())
        .unwrap_or_default()
    };
    assert!(
        until(Duration::from_secs(10), || bound() == primary_eni.as_str()),
        "the API never showed the primary's binding: {}",
        bound()
    );
    // The process that built the lab is gone: everything left runs on its own, the central
    // node's databases and northd and the control plane outside the lab's namespaces.
    assert!(
        processes_of(&id).iter().any(|p| p.contains("ovsdb-server")),
        "{:?}",
        processes_of(&id)
    );
    drop(guard);
    let left = lab::topology::leftovers();
    assert!(!left.iter().any(|n| n.contains(&id)), "{left:?}");
    assert!(processes_of(&id).is_empty(), "{:?}", processes_of(&id));
    let dirs: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(&id))
        .collect();
    assert!(dirs.is_empty(), "{dirs:?}");
}

#[test]
fn drill_crash_on_ovn_moves_the_binding_to_the_secondary() {
    if skip("lab drill --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "crash",
        "--vpc",
        "ovn",
        "--vs",
        "keepalived",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each daemon's line: the public host reached the EIP through the gateway router, and the
    // binding moved after the crash (the cable cut at the chassis).
    for daemon in ["havipd", "keepalived"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{daemon}: through the EIP 198.51.100.")))
            .unwrap_or_else(|| panic!("no EIP line for {daemon}:\n{text}"));
        assert!(
            line.contains("binding moved") && !line.contains("moved never"),
            "{line}"
        );
    }
}

#[test]
fn drills_that_need_the_lab_s_own_switch_are_refused_on_ovn() {
    for scenario in ["attack-forge", "reboot"] {
        let out = havip(&["lab", "drill", scenario, "--vpc", "ovn"]);
        assert_eq!(out.status.code(), Some(2), "{scenario}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("it does not run with --vpc ovn")
                || err.contains("--vpc needs namespaces"),
            "{scenario}: {err}"
        );
    }
    let out = havip(&["lab", "up", "--vpc", "ovs"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`ovs` is not a VPC backend"), "{err}");
}

#[test]
fn garp_bench_measures_ovn_beside_the_userspace_vpc() {
    if skip("lab garp-bench --ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "garp-bench",
        "--count",
        "6",
        "--ovn",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in ["to_control_plane", "ovn_to_southbound_claim"] {
        let samples = v[key]["samples_ms"].as_array().expect(key);
        assert_eq!(samples.len(), 6, "{v}");
        assert!(
            samples
                .iter()
                .all(|s| s.as_f64().is_some_and(|ms| ms > 0.0)),
            "{v}"
        );
    }
}

/// Gateway HA, the short form of `havip lab drill gateway-down --vpc ovn --repeat 3`: the
/// chassis running the EIP gateway loses its power (ovn-controller, ovs-vswitchd and its
/// database SIGKILLed) while the public host pings the EIP; the other gateway chassis of the
/// HA chassis group takes the gateway over and the EIP answers again. The public side's outage
/// is printed; the client's VIP, on the other chassis, is not interrupted.
#[test]
fn drill_gateway_down_on_ovn_moves_the_eip_gateway_to_the_next_chassis() {
    if skip("lab drill gateway-down --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "gateway-down",
        "--vpc",
        "ovn",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let vpc = &r["vpc"];
    let [from, to] = [0, 1].map(|i| vpc["gateway"][i].as_str().unwrap_or_default().to_string());
    assert!(
        !from.is_empty() && !to.is_empty() && from != to,
        "the gateway did not move: {vpc}"
    );
    let cut = r["faults"][0]["time"].as_f64().expect("the cut's time");
    let outages = vpc["eip_outages"].as_array().expect("EIP outages");
    let after_cut: Vec<&Value> = outages
        .iter()
        .filter(|o| o["end"].as_f64().is_some_and(|e| e > cut))
        .collect();
    assert_eq!(
        after_cut.len(),
        1,
        "one outage of the EIP, then answers: {vpc}"
    );
    let ms = (after_cut[0]["end"].as_f64().unwrap_or_default()
        - after_cut[0]["start"].as_f64().unwrap_or_default())
        * 1000.0;
    let end = r["end"].as_f64().expect("end");
    assert!(
        after_cut[0]["end"].as_f64().is_some_and(|e| e < end),
        "the EIP never answered again: {vpc}"
    );
    assert!(
        r["outages"].as_array().is_some_and(Vec::is_empty),
        "the client lost the VIP: {}",
        r["outages"]
    );
    eprintln!("gateway-down: EIP outage {ms:.0} ms, gateway {from} -> {to}");
}

/// OVN's own databases lose a machine each (`havip lab drill db-member-down --vpc ovn
/// --ovn-db-cluster`, the short form of its `--repeat 3`): the NB and SB databases each a Raft
/// cluster of three members, the leader of each loses its power, and half a second later the
/// primary's cable is cut. The EIP and the VIP answer again, the API answers reads and writes
/// again, and at the end the API, OVN's southbound database and VRRP name the same server.
#[test]
fn drill_db_member_down_on_ovn_keeps_the_eip_the_vip_and_the_api() {
    if skip("lab drill db-member-down --vpc ovn --ovn-db-cluster") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "db-member-down",
        "--vpc",
        "ovn",
        "--ovn-db-cluster",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let (vpc, db) = (&r["vpc"], &r["vpc"]["db"]);
    let cut: Vec<&str> = db["cut"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        cut.len() == 2 && cut[0].starts_with("nb") && cut[1].starts_with("sb"),
        "one member of each database cut: {cut:?}"
    );
    let end = r["end"].as_f64().expect("end");
    let back = |outages: &Value| {
        outages
            .as_array()
            .is_some_and(|a| a.iter().all(|o| o["end"].as_f64().is_some_and(|e| e < end)))
    };
    assert!(
        back(&r["outages"]),
        "the VIP never answered again: {}",
        r["outages"]
    );
    assert!(
        back(&vpc["eip_outages"]),
        "the EIP never answered again: {vpc}"
    );
    for key in ["write_back", "read_back", "ovn_binding_follow"] {
        assert!(db[key].as_f64().is_some(), "{key}: never: {db}");
    }
    let holder = r["final_holder"].as_str().unwrap_or_default();
    assert_eq!(holder, "b", "the secondary holds the VIP at the end");
    assert_eq!(vpc["api_binding"], holder, "{vpc}");
    assert_eq!(
        vpc["ovn_binding"], holder,
        "the API reports OVN's binding: {vpc}"
    );
    let worst = |outages: &Value| {
        outages.as_array().map_or(0.0, |a| {
            a.iter()
                .map(|o| o["end"].as_f64().unwrap_or(0.0) - o["start"].as_f64().unwrap_or(0.0))
                .fold(0.0, f64::max)
        })
    };
    eprintln!(
        "db-member-down: cut {cut:?}; client outage {:.3} s, EIP outage {:.3} s; the API's \
         longest wait for a write {} s; OVN's binding followed {} s after the server's cut",
        worst(&r["outages"]),
        worst(&vpc["eip_outages"]),
        db["write_back"],
        db["ovn_binding_follow"]
    );
}

/// The cut gateway chassis comes back (`havip lab drill gateway-back --vpc ovn`): OVN moves
/// the gateway back to it, the preferred chassis, and the EIP answers from there after a second,
/// shorter outage; both outages are printed.
#[test]
fn drill_gateway_back_on_ovn_moves_the_gateway_back_to_the_preferred_chassis() {
    if skip("lab drill gateway-back --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "gateway-back",
        "--vpc",
        "ovn",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let vpc = &r["vpc"];
    let [from, to] = [0, 1].map(|i| vpc["gateway"][i].as_str().unwrap_or_default().to_string());
    assert!(
        !from.is_empty() && from == to,
        "not back on the preferred chassis: {vpc}"
    );
    let (cut, back) = (
        r["faults"][0]["time"].as_f64().expect("cut"),
        r["faults"][1]["time"].as_f64().expect("back"),
    );
    let end = r["end"].as_f64().expect("end");
    let outages: Vec<(f64, f64)> = vpc["eip_outages"]
        .as_array()
        .expect("EIP outages")
        .iter()
        .filter_map(|o| Some((o["start"].as_f64()?, o["end"].as_f64()?)))
        .filter(|(_, e)| *e > cut && *e < end)
        .collect();
    let after_back: Vec<f64> = outages
        .iter()
        .filter(|(s, _)| *s >= back)
        .map(|(s, e)| (e - s) * 1000.0)
        .collect();
    assert!(
        outages.iter().any(|(s, _)| *s < back) && after_back.len() <= 1,
        "one outage at the cut, at most one at the move back: {vpc}"
    );
    assert!(
        r["outages"].as_array().is_some_and(Vec::is_empty),
        "the client lost the VIP: {}",
        r["outages"]
    );
    eprintln!("gateway-back: the move back cost the EIP {after_back:?} ms");
}

#[test]
fn a_chassis_power_cut_runs_only_with_vpc_ovn() {
    for args in [&["--vpc"][..], &["--sim"][..]] {
        let mut argv = vec!["lab", "drill", "gateway-down"];
        argv.extend_from_slice(args);
        let out = havip(&argv);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("runs with --vpc ovn")
                || err.contains("--vpc ovn, not the simulator")
                || err.contains("--vpc needs namespaces"),
            "{args:?}: {err}"
        );
    }
    // OVN's BFD timing goes with --vpc ovn only.
    let out = havip(&["lab", "drill", "gateway-down", "--ovn-bfd-ms", "100"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--vpc"), "{err}");
    let out = havip(&["lab", "drill", "crash", "--vpc", "--ovn-bfd-ms", "100"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("it goes with --vpc ovn") || err.contains("--vpc needs namespaces"),
        "{err}"
    );
}

/// The flap, the short form of `havip lab drill flap-preempt --vpc ovn --repeat 3`: the
/// primary's cable is cut, the secondary takes over, and the primary, back 0.8 s after the cut,
/// preempts. At the end the VIP is on the primary (the VRRP master), and the API and OVN
/// both have the HAVIP bound to it. The client's outages (the failover's and the move back's)
/// are printed, not asserted.
#[test]
fn drill_flap_preempt_on_ovn_ends_with_the_binding_on_the_vrrp_master() {
    if skip("lab drill flap-preempt --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "flap-preempt",
        "--vpc",
        "ovn",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let vpc = &r["vpc"];
    let master = r["final_holder"].as_str().expect("final holder");
    assert_eq!(master, "a", "the primary did not take the VIP back: {r}");
    assert!(
        r["time_to_new_master"].as_f64().is_some(),
        "the secondary never took over: {r}"
    );
    assert_eq!(vpc["api_binding"], master, "the API's binding: {vpc}");
    assert_eq!(vpc["ovn_binding"], master, "OVN's binding: {vpc}");
    let outages: Vec<f64> = r["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .filter_map(|o| Some((o["end"].as_f64()? - o["start"].as_f64()?) * 1000.0))
        .collect();
    eprintln!("flap-preempt: the client's outages {outages:?} ms");
}

/// The holder's port re-plugged, the short form of `havip lab drill port-recreate --vpc ovn
/// --repeat 3`: the VIP holder's port is deleted from its chassis and added again as the same
/// logical port. OVN releases the virtual port with it and claims it for the holder again:
/// at the end the VIP is still on the primary and the API and OVN have the HAVIP bound to it.
/// The client's outage is printed, not asserted.
#[test]
fn drill_port_recreate_on_ovn_claims_the_virtual_port_again() {
    if skip("lab drill port-recreate --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab",
        "drill",
        "port-recreate",
        "--vpc",
        "ovn",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let vpc = &r["vpc"];
    assert_eq!(r["final_holder"], "a", "the VIP left the primary: {r}");
    let moves = vpc["binding_moves"].as_array().expect("binding moves");
    assert!(
        moves.iter().any(|m| m["server"] == ""),
        "OVN never released the virtual port with its parent's port: {vpc}"
    );
    assert_eq!(vpc["api_binding"], "a", "the API's binding: {vpc}");
    assert_eq!(vpc["ovn_binding"], "a", "OVN's binding: {vpc}");
    let end = r["end"].as_f64().expect("end");
    assert!(
        r["outages"]
            .as_array()
            .expect("outages")
            .iter()
            .all(|o| o["end"].as_f64().is_some_and(|e| e < end)),
        "the client never reached the VIP again: {}",
        r["outages"]
    );
    let outages: Vec<f64> = r["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .filter_map(|o| Some((o["end"].as_f64()? - o["start"].as_f64()?) * 1000.0))
        .collect();
    eprintln!("port-recreate: the client's outages {outages:?} ms");
}

/// The southbound database loaded during a failover, the short form of `havip lab drill
/// sb-burst --vpc ovn --repeat 3`: the primary's cable is cut and 1,000 logical switch ports are
/// created through the northbound database as the secondary takes over. northd writes them
/// all to the southbound database, the secondary holds the VIP at the end, and the API and OVN
/// have the HAVIP bound to it. The client's outage and the burst's timing are printed, not
/// asserted.
#[test]
fn drill_sb_burst_on_ovn_moves_the_binding_while_northd_writes_1000_ports() {
    if skip("lab drill sb-burst --vpc ovn") {
        return;
    }
    let out = havip(&[
        "lab", "drill", "sb-burst", "--vpc", "ovn", "--format", "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("port burst: 1000 ports committed"),
        "no burst reported: {err}"
    );
    let runs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let r = &runs[0];
    let vpc = &r["vpc"];
    assert_eq!(
        r["final_holder"], "b",
        "the secondary does not hold the VIP: {r}"
    );
    assert_eq!(vpc["api_binding"], "b", "the API's binding: {vpc}");
    assert_eq!(vpc["ovn_binding"], "b", "OVN's binding: {vpc}");
    let outages: Vec<f64> = r["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .filter_map(|o| Some((o["end"].as_f64()? - o["start"].as_f64()?) * 1000.0))
        .collect();
    eprintln!("sb-burst: the client's outages {outages:?} ms");
}
