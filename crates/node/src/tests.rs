//! Nodes built from keepalived.conf text and driven by hand: sync groups, tracking, reloads
//! and the start-up delay, deterministic and without root.

use crate::reload::Plan;
use crate::{Effect, InstanceId, Interfaces, Node, Observation};
use std::net::IpAddr;
use vrrp::{Event, Micros, State, Timestamp};

const A: InstanceId = InstanceId::new_const(0);
const B: InstanceId = InstanceId::new_const(1);

fn host() -> Interfaces {
    let mut h = Interfaces::default();
    for (name, addr) in [("eth0", "10.0.0.1"), ("eth1", "10.0.1.1")] {
        let a: IpAddr = addr.parse().expect("address");
        h.addresses.insert(name.into(), vec![a]);
    }
    h
}

fn node(text: &str, startup_until: Timestamp) -> Node {
    let report = conf::check_text(text, &conf::Options::default());
    Node::from_config(&report.config, &host(), startup_until).expect("node")
}

/// Starts every instance at 0 and runs the node's timers until `until`; returns the effects.
fn run_until(n: &mut Node, until: Timestamp, out: &mut Vec<Effect>) {
    while let Some(t) = n.next_deadline().filter(|t| *t <= until) {
        n.fire_timers(t, out);
    }
}

fn start_all(n: &mut Node) -> Vec<Effect> {
    let mut out = Vec::new();
    for id in n.ids() {
        n.start(Timestamp(0), id, &mut out);
    }
    out
}

fn transitions(out: &[Effect]) -> Vec<(InstanceId, State, &'static str)> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Transition { id, to, reason, .. } => Some((*id, *to, reason.kind())),
            _ => None,
        })
        .collect()
}

/// A peer's advert for instance `id`'s VRID at `priority`, shaped as the instance's own.
fn peer_advert(n: &Node, out: &[Effect], id: InstanceId, priority: u8) -> Event {
    let mut advert = out
        .iter()
        .find_map(|e| match e {
            Effect::Advert { id: i, advert } if *i == id => Some(advert.clone()),
            _ => None,
        })
        .expect("the instance advertised");
    advert.priority = priority;
    assert_eq!(advert.vrid, n.router(id).config().vrid);
    Event::Advert {
        src: "10.0.0.9".parse().expect("address"),
        ttl: 255,
        multicast: true,
        advert,
    }
}

const SYNC: &str = "vrrp_sync_group G { group { A\n B } }\n\
    vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 100\n advert_int 1\n virtual_ipaddress { 10.0.0.100 } }\n\
    vrrp_instance B { interface eth1\n virtual_router_id 2\n priority 100\n advert_int 1\n virtual_ipaddress { 10.0.1.100 } }\n";

#[test]
fn a_sync_group_follows_the_member_that_hears_a_higher_priority() {
    let mut n = node(SYNC, Timestamp(0));
    let mut out = start_all(&mut n);
    run_until(&mut n, Timestamp(5_000_000), &mut out);
    assert_eq!(n.router(A).state(), State::Master);
    assert_eq!(n.router(B).state(), State::Master);
    let higher = peer_advert(&n, &out, A, 200);
    out.clear();
    n.handle(Timestamp(5_100_000), A, higher, &mut out);
    assert_eq!(
        transitions(&out),
        vec![
            (A, State::Backup, "higher_priority"),
            (B, State::Backup, "sync_group")
        ],
        "{out:?}"
    );
    assert!(out.contains(&Effect::RemoveVips(A)) && out.contains(&Effect::RemoveVips(B)));
    assert_eq!(n.router(B).state(), State::Backup);
}

#[test]
fn a_failing_weighted_script_lowers_the_priority_and_the_master_yields() {
    let text = "vrrp_script chk { script /bin/true\n weight -60\n fall 1 }\n\
        vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 100\n advert_int 1\n\
        track_script { chk }\n virtual_ipaddress { 10.0.0.100 } }\n";
    let mut n = node(text, Timestamp(0));
    let mut out = start_all(&mut n);
    run_until(&mut n, Timestamp(5_000_000), &mut out);
    assert_eq!(n.router(A).state(), State::Master);
    let at_80 = peer_advert(&n, &out, A, 80);
    out.clear();
    let failed = Observation::Script {
        name: "chk".into(),
        success: false,
    };
    n.observe(Timestamp(5_000_000), &failed, &mut out);
    assert!(
        out.contains(&Effect::PriorityChanged {
            id: A,
            priority: 40,
            master: true
        }),
        "{out:?}"
    );
    out.clear();
    n.handle(Timestamp(5_100_000), A, at_80, &mut out);
    assert_eq!(
        transitions(&out),
        vec![(A, State::Backup, "higher_priority")]
    );
    assert!(out.contains(&Effect::RemoveVips(A)));
}

#[test]
fn a_reload_keeps_the_state_of_an_unchanged_instance_and_restarts_a_changed_one() {
    let mut n = node(
        SYNC.replace("vrrp_sync_group G { group { A\n B } }\n", "")
            .as_str(),
        Timestamp(0),
    );
    let mut out = start_all(&mut n);
    run_until(&mut n, Timestamp(5_000_000), &mut out);
    let sent_before = n.router(A).stats().advert_sent;
    // B's priority changes; A stays as it was.
    let text = SYNC
        .replace("vrrp_sync_group G { group { A\n B } }\n", "")
        .replace(
            "virtual_router_id 2\n priority 100",
            "virtual_router_id 2\n priority 90",
        );
    let new = node(&text, Timestamp(0));
    let (members, tracker, pacer) = new.into_parts();
    let configs: Vec<_> = members
        .iter()
        .map(|m| (m.name.clone(), m.router.config().clone()))
        .collect();
    let plan = Plan::new(n.len(), members.len(), |o, k| {
        n.name(o) == configs[k].0 && *n.router(o).config() == configs[k].1
    });
    assert_eq!(plan.stopped(), &[B]);
    out.clear();
    n.stop(Timestamp(5_000_000), B, &mut out);
    n.reload(&plan, members, tracker, pacer);
    assert_eq!(plan.started().collect::<Vec<_>>(), vec![B]);
    n.retrack(Timestamp(5_000_000), A, &mut out);
    n.start(Timestamp(5_000_000), B, &mut out);
    assert_eq!(n.router(A).state(), State::Master, "kept as it ran");
    assert_eq!(n.router(A).stats().advert_sent, sent_before);
    assert_eq!(n.router(B).state(), State::Backup, "started afresh");
    assert_eq!(n.router(B).config().priority, 90);
    assert!(transitions(&out).iter().all(|(id, ..)| *id == B), "{out:?}");
}

#[test]
fn instances_started_within_the_startup_delay_wait_for_it() {
    let text =
        "vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 100\n advert_int 1 }\n";
    let delay = Timestamp(2_000_000);
    let mut n = node(text, delay);
    let mut out = start_all(&mut n);
    run_until(&mut n, Timestamp(2_000_000), &mut out);
    assert_eq!(n.router(A).state(), State::Backup);
    // Master_Down_Interval at priority 100 and 1 s: 3 s + skew (0.609 s), after the delay.
    let mdi = Micros(3_609_375);
    run_until(&mut n, Timestamp(delay.0 + mdi.0 - 1), &mut out);
    assert_eq!(n.router(A).state(), State::Backup);
    run_until(&mut n, delay + mdi, &mut out);
    assert_eq!(n.router(A).state(), State::Master, "{out:?}");
}

#[test]
fn a_faulty_member_faults_its_group_and_the_group_recovers_with_it() {
    let text = SYNC.replace(
        "priority 100\n advert_int 1\n virtual_ipaddress { 10.0.1.100 }",
        "priority 100\n advert_int 1\n track_interface { eth1 }\n virtual_ipaddress { 10.0.1.100 }",
    );
    let mut n = node(&text, Timestamp(0));
    let mut out = start_all(&mut n);
    run_until(&mut n, Timestamp(5_000_000), &mut out);
    out.clear();
    let down = Observation::Link {
        name: "eth1".into(),
        up: false,
    };
    n.observe(Timestamp(5_000_000), &down, &mut out);
    assert_eq!(n.router(A).state(), State::Fault);
    assert_eq!(n.router(B).state(), State::Fault);
    let up = Observation::Link {
        name: "eth1".into(),
        up: true,
    };
    n.observe(Timestamp(6_000_000), &up, &mut out);
    assert_eq!(n.router(A).state(), State::Backup);
    assert_eq!(n.router(B).state(), State::Backup);
}

#[test]
fn the_same_inputs_at_the_same_times_give_the_same_effects() {
    let run = || {
        let mut n = node(SYNC, Timestamp(0));
        let mut out = start_all(&mut n);
        run_until(&mut n, Timestamp(5_000_000), &mut out);
        let higher = peer_advert(&n, &out, A, 200);
        n.handle(Timestamp(5_100_000), A, higher, &mut out);
        run_until(&mut n, Timestamp(20_000_000), &mut out);
        out
    };
    let first = run();
    assert!(first.len() > 20, "{first:?}");
    assert_eq!(first, run());
}
