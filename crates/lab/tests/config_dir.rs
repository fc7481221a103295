//! `--config-dir`: the operator's configs placed on a lab subnet (without root), and drilled
//! in namespaces: the three-node example (an IPv4 and an IPv6 instance in a sync group, VRRPv3
//! 0.1 s, unicast) under its own scenario file, with havipd and with keepalived.

use lab::daemon::Kind;
use lab::drill::{self, DrillResult, Setup};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three-node")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("havip-placement-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn the_example_is_placed_from_its_own_addresses() {
    let setup = Setup::from_dir(&example()).expect("placed");
    let c = &setup.cluster;
    assert_eq!(c.labels(), ["lb1", "lb2", "lb3"]);
    let v4: Vec<String> = c
        .members
        .iter()
        .map(|m| m.host.v4.expect("v4").to_string())
        .collect();
    assert_eq!(v4, ["10.9.0.11", "10.9.0.12", "10.9.0.13"]);
    let v6: Vec<String> = c
        .members
        .iter()
        .map(|m| m.host.v6.expect("v6").to_string())
        .collect();
    assert_eq!(v6, ["fd00:9::11", "fd00:9::12", "fd00:9::13"]);
    let vips: Vec<String> = c.vips.iter().map(|v| v.addr.to_string()).collect();
    assert_eq!(vips, ["10.9.0.100", "fd00:9::100"]);
    // The client avoids the VIP's host number.
    assert_eq!(
        c.client.v4.map(|a| a.to_string()).as_deref(),
        Some("10.9.0.101")
    );
    // Scripts are the lab's, and each change is said with its place.
    for m in &c.members {
        assert!(!m.config.contains("/usr/local/bin/"), "{}", m.config);
        assert!(m.config.contains(&format!("{}.fail", m.host.name)));
    }
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("lb2.conf:20:5") && n.contains("/bin/true")),
        "{:?}",
        c.notes
    );
    let names = setup.server_names();
    assert!(names.contains(&"lb3".to_string()) && names.contains(&"a".to_string()));
}

#[test]
fn addresses_come_from_peers_when_a_config_does_not_say_its_own() {
    let dir = scratch("peers");
    let conf = |peers: &[&str], src: Option<&str>| {
        let src = src.map_or(String::new(), |s| format!("unicast_src_ip {s}\n"));
        format!(
            "vrrp_instance v {{\ninterface ens3\nvirtual_router_id 7\n{src}unicast_peer {{\n{}\n}}\nvirtual_ipaddress {{\n192.0.2.50\n}}\n}}\n",
            peers.join("\n")
        )
    };
    std::fs::write(dir.join("x.conf"), conf(&["192.0.2.8"], Some("192.0.2.7"))).expect("write");
    std::fs::write(dir.join("y.conf"), conf(&["192.0.2.7"], None)).expect("write");
    let setup = Setup::from_dir(&dir).expect("placed");
    let got: Vec<(String, String)> = setup
        .cluster
        .members
        .iter()
        .map(|m| (m.host.iface.clone(), m.host.v4.expect("v4").to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("ens3".to_string(), "192.0.2.7".to_string()),
            ("ens3".to_string(), "192.0.2.8".to_string())
        ]
    );
    assert_eq!(setup.cluster.members[0].host.v6, None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_cannot_be_placed_is_said_at_its_line() {
    let dir = scratch("bad");
    std::fs::write(
        dir.join("one.conf"),
        "vrrp_instance v {\n  interface eth0\n  virtual_router_id 7\n  unicast_src_ip 10.0.0.1\n  \
         unicast_peer {\n    10.0.0.9\n    10.1.0.2\n  }\n  virtual_ipaddress {\n    10.0.0.50 dev eth1\n  }\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("two.conf"),
        "include /etc/keepalived/common.conf\nvrrp_instance v {\n  interface eth0\n  virtual_router_id 7\n  \
         unicast_src_ip 10.0.0.50\n  virtual_ipaddress {\n    10.0.0.50\n  }\n}\n",
    )
    .expect("write");
    let err = format!("{:#}", Setup::from_dir(&dir).expect_err("refused"));
    let one = dir.join("one.conf").display().to_string();
    let two = dir.join("two.conf").display().to_string();
    // Read errors first: the include is refused before anything is placed.
    assert!(err.contains(&format!("{two}:1: include")), "{err}");
    std::fs::write(
        dir.join("two.conf"),
        "vrrp_instance v {\n  interface eth0\n  virtual_router_id 7\n  unicast_src_ip 10.0.0.50\n  \
         virtual_ipaddress {\n    10.0.0.50\n  }\n}\n",
    )
    .expect("write");
    let err = format!("{:#}", Setup::from_dir(&dir).expect_err("refused"));
    for want in [
        format!("{one}:10:5: eth1: the lab gives each server one interface"),
        format!("{one}:7:5: unicast_peer 10.1.0.2 is outside the /24 of 10.0.0.1"),
        format!("{one}:6:5: unicast_peer 10.0.0.9 is no server's address"),
        format!("{two}:6:5: virtual_ipaddress 10.0.0.50 is two's own address"),
    ] {
        assert!(err.contains(&want), "missing `{want}` in:\n{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn drill_example(kind: Kind) -> Option<DrillResult> {
    if hostcheck::skip_reason("the three-node config-dir drill", &[]).is_some() {
        return None;
    }
    let dir = example();
    let setup = Setup::from_dir(&dir).expect("placed");
    let names = setup.server_names();
    let configs = setup.cluster.configs();
    let cx = lab::scenario_file::Context {
        servers: &names.iter().map(String::as_str).collect::<Vec<_>>(),
        configs: &configs.iter().map(String::as_str).collect::<Vec<_>>(),
    };
    let sc = lab::scenario_file::find("two-down", Some(&dir.join("scenarios.json")), &cx)
        .expect("the example's scenario file");
    let r = drill::run_on(&setup, &sc, [kind; 2], &|m| eprintln!("{m}"), &|_, _| {})
        .expect("drill runs");
    let left = lab::topology::namespaces_of(&setup.id);
    assert!(left.is_empty(), "namespaces left: {left:?}");
    Some(r)
}

/// Protocol bounds at advert_int 0.1 s: lb2 (priority 100) takes over within
/// Master_Down_Interval = 3 x 0.1 + (256-100)/256 x 0.1 = 0.361 s of the cut; lb3 takes over
/// from a FAULTed lb2 within its Skew_Time-less wait of one Master_Down_Interval at priority 50
/// (0.380 s) after the check fails (the check runs every second: up to 1 s to notice).
fn assert_two_down(r: &DrillResult) {
    eprintln!(
        "{}: takeover {:?} s, outages {:?}",
        r.daemon,
        r.time_to_new_master,
        r.outages.iter().map(|o| o.ms()).collect::<Vec<_>>()
    );
    assert_eq!(r.vips.len(), 2);
    for v in &r.vips {
        assert!(v.vip.parse::<IpAddr>().is_ok());
        assert_eq!(
            v.final_holder.as_deref(),
            Some("lb3"),
            "{}: {:?}",
            v.vip,
            v.holders
        );
        let order: Vec<String> = v.holders.iter().flat_map(|s| s.holders.clone()).collect();
        let mut seen: Vec<String> = order.clone();
        seen.dedup();
        assert_eq!(seen, ["lb1", "lb2", "lb3"], "{}: {order:?}", v.vip);
        assert!(v.split_brain.is_empty(), "{}: {:?}", v.vip, v.split_brain);
        assert!(v.answered > 200, "{}: {} answered", v.vip, v.answered);
    }
    let takeover = r.time_to_new_master.expect("a takeover");
    assert!(takeover < 0.361 + 0.25, "takeover {takeover} s");
    // Two outages per VIP (the cut, the check), none longer than detection plus takeover.
    assert!(
        r.worst_outage_ms() < 1000.0 + 380.0 + 250.0,
        "{}",
        r.worst_outage_ms()
    );
}

#[test]
fn the_three_node_example_survives_two_failures_with_havipd() {
    if let Some(r) = drill_example(Kind::Havipd) {
        assert_two_down(&r);
    }
}

#[test]
fn the_three_node_example_survives_two_failures_with_keepalived() {
    if hostcheck::skip_reason("keepalived three-node drill", &["keepalived"]).is_some() {
        return;
    }
    if let Some(r) = drill_example(Kind::Keepalived) {
        assert_two_down(&r);
    }
}
