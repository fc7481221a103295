//! Whole keepalived.conf hosts in the simulator: two instances in a sync group per server,
//! a weighted script, a second interface; failing checks, link flaps, reloads and the planted
//! sync-group bug.

use sim::{Interface, Network, NodeId};
use std::net::IpAddr;
use vrrp::{Micros, State, Timestamp};

/// A server's config: VI_1 on eth0 (VRID 1, tracking script `chk` with weight -60,
/// preempting) and VI_2 on eth1 (VRID 2, `nopreempt`) in sync group G, which keeps tracking
/// weights. Only the group takes VI_2 along when VI_1 moves.
fn config(priority: u8) -> String {
    format!(
        "vrrp_script chk {{ script /bin/true\n interval 1\n weight -60\n fall 1\n rise 1 }}\n\
         vrrp_sync_group G {{ group {{ VI_1\n VI_2 }}\n sync_group_tracking_weight }}\n\
         vrrp_instance VI_1 {{ interface eth0\n virtual_router_id 1\n priority {priority}\n advert_int 1\n\
         track_script {{ chk }}\n virtual_ipaddress {{ 10.0.0.100 }} }}\n\
         vrrp_instance VI_2 {{ interface eth1\n virtual_router_id 2\n priority {priority}\n advert_int 1\n\
         nopreempt\n virtual_ipaddress {{ 10.0.1.100 }} }}\n"
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn host(last: u8) -> Vec<Interface> {
    vec![
        Interface::new("eth0", 0, &[ip(&format!("10.0.0.{last}"))]),
        Interface::new("eth1", 1, &[ip(&format!("10.0.1.{last}"))]),
    ]
}

fn pair() -> (Network, NodeId, NodeId) {
    let mut net = Network::new(7);
    let a = net.add_host("a", &config(100), host(1)).expect("a");
    let b = net.add_host("b", &config(80), host(2)).expect("b");
    net.start(a);
    net.run_for(Micros(500_000));
    net.start(b);
    net.run_for(Micros::from_secs(10));
    (net, a, b)
}

fn holder<'a>(net: &'a Network, instance: &str) -> Vec<&'a str> {
    [NodeId(0), NodeId(1)]
        .into_iter()
        .filter(|n| net.holds(*n, instance))
        .map(|n| net.name(n))
        .collect()
}

#[test]
fn every_instance_of_a_config_runs_and_elects() {
    let (net, a, b) = pair();
    assert_eq!(holder(&net, "VI_1"), ["a"]);
    assert_eq!(holder(&net, "VI_2"), ["a"]);
    let node = net.node(b);
    assert_eq!(node.len(), 2);
    assert!(
        node.ids()
            .all(|id| node.router(id).state() == State::Backup)
    );
    assert_eq!(net.codec_errors(), 0);
    let _ = a;
}

#[test]
fn a_failing_weighted_check_moves_the_whole_sync_group() {
    let (mut net, a, _) = pair();
    assert!(net.set_script(a, "chk", false));
    net.run_for(Micros::from_secs(10));
    // VI_1 at 40 < 80: b's VI_1 takes over and its group follows; a's VI_1 hears b and
    // its group follows it to backup.
    assert_eq!(holder(&net, "VI_1"), ["b"]);
    assert_eq!(holder(&net, "VI_2"), ["b"], "{:?}", net.transitions());
    let followed = net
        .transitions()
        .iter()
        .filter(|t| t.reason.kind() == "sync_group")
        .count();
    assert!(followed >= 2, "{:?}", net.transitions());
}

#[test]
fn the_planted_bug_splits_the_group_and_the_simulator_shows_it() {
    let (mut net, a, b) = pair();
    net.plant_unsynced_groups(a, true);
    net.plant_unsynced_groups(b, true);
    net.set_script(a, "chk", false);
    net.run_for(Micros::from_secs(10));
    assert_eq!(holder(&net, "VI_1"), ["b"]);
    assert_eq!(holder(&net, "VI_2"), ["a"], "the group did not follow");
}

#[test]
fn a_link_flap_is_observed_and_faults_the_group() {
    let (mut net, a, _) = pair();
    net.set_interface(a, "eth1", false);
    net.run_for(Micros(1));
    let node = net.node(a);
    assert!(node.ids().all(|id| node.router(id).state() == State::Fault));
    net.run_for(Micros::from_secs(5));
    assert_eq!(holder(&net, "VI_1"), ["b"]);
    assert_eq!(holder(&net, "VI_2"), ["b"]);
    net.set_interface(a, "eth1", true);
    net.run_for(Micros::from_secs(10));
    // VI_1 preempts: a takes it back, and its group takes VI_2.
    assert_eq!(holder(&net, "VI_1"), ["a"]);
    assert_eq!(holder(&net, "VI_2"), ["a"]);
}

#[test]
fn a_reload_restarts_only_the_changed_instance() {
    let (mut net, a, _) = pair();
    let vi1 = node::InstanceId::new(0);
    let sent = net.node(a).router(vi1).stats().advert_sent;
    let text = config(100).replace(
        "virtual_router_id 2\n priority 100",
        "virtual_router_id 2\n priority 90",
    );
    let before = net.transitions().len();
    net.reload(a, &text).expect("reload");
    let vi2 = net.node(a).find("VI_2").expect("VI_2");
    assert_eq!(net.node(a).router(vi2).config().priority, 90);
    assert!(
        net.node(a).router(vi1).stats().advert_sent >= sent,
        "VI_1 kept its router"
    );
    net.run_for(Micros::from_secs(15));
    let restarted = net.transitions()[before..]
        .iter()
        .any(|t| t.node == a && net.instance_name(t.instance) == "VI_2" && t.from == State::Init);
    assert!(restarted, "{:?}", &net.transitions()[before..]);
    assert!(
        !net.transitions()[before..].iter().any(|t| t.node == a
            && net.instance_name(t.instance) == "VI_1"
            && t.from == State::Init),
        "VI_1 was not restarted"
    );
    assert_eq!(holder(&net, "VI_1"), ["a"]);
    assert_eq!(holder(&net, "VI_2"), ["a"]);
    let e = net
        .reload(a, "vrrp_instance X { nonsense")
        .expect_err("refused");
    assert!(e.contains("would not start"), "{e}");
}

#[test]
fn crash_kill_and_graceful_stop_move_both_instances() {
    let (mut net, a, b) = pair();
    net.stop(a);
    net.run_for(Micros::from_secs(2));
    assert_eq!(holder(&net, "VI_1"), ["b"]);
    assert_eq!(holder(&net, "VI_2"), ["b"]);
    net.start(a);
    net.run_for(Micros::from_secs(10));
    assert_eq!(holder(&net, "VI_2"), ["a"]);
    net.crash(a);
    let t = net.now();
    net.run_for(Micros::from_secs(10));
    let took = net
        .vip_records()
        .iter()
        .find(|r| r.node == b && r.holds && r.at > t)
        .expect("b took over");
    // Master_Down_Interval at priority 80, 1 s: 3 s + 176/256 s.
    assert!(took.at - t <= Micros(3_687_500), "{:?}", took.at - t);
    let _ = Timestamp(0);
}
