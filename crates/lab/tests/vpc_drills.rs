//! The seed pair inside the VPC (data plane + control plane), in namespaces: with a HAVIP,
//! havipd and keepalived pairs fail over and the client's pings to the VIP and to its EIP
//! follow the binding; with a plain private IP the takeover's GARP is refused and the VIP is
//! unreachable (the seeds' FAQ); a GARP from an unassociated instance changes nothing.

mod common;
use common::wait;
use lab::daemon::Kind;
use lab::seeds::VIP;
use lab::vpc::{self, Vip, VpcLab};
use std::time::Duration;

fn lab(mode: Vip, kinds: [Kind; 2], tag: &str) -> Option<VpcLab> {
    let tools: &[&str] = if kinds.contains(&Kind::Keepalived) {
        &["keepalived"]
    } else {
        &[]
    };
    if hostcheck::skip_reason(&format!("vpc drill {tag}"), tools).is_some() {
        return None;
    }
    Some(vpc::up(mode, &kinds, 0.0).expect("VPC lab"))
}

fn logs(l: &VpcLab) -> String {
    let read = |n: &str| std::fs::read_to_string(l.topo.dir.join(n)).unwrap_or_default();
    let mut text = format!(
        "--- dataplane\n{}\n--- stats\n{}",
        read("dataplane.log"),
        l.dataplane_stats()
    );
    for (d, name) in l.daemons.iter().zip(["a", "b"]) {
        text += &format!("\n--- {name}\n{}", d.log_text());
    }
    text
}

fn failover_follows_the_havip(kinds: [Kind; 2], tag: &str) {
    let Some(l) = lab(Vip::HaVip, kinds, tag) else {
        return;
    };
    let client = l.topo.client.ns.clone();
    assert!(
        wait(Duration::from_secs(20), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "the client never reached the VIP:\n{}",
        logs(&l)
    );
    assert_eq!(
        l.bound_eni().expect("describe"),
        l.plane.enis[0],
        "bound to the primary"
    );
    let eip = l.plane.eip.clone().expect("eip");
    assert!(
        wait(Duration::from_secs(5), || VpcLab::ping(
            &l.plane.public.ns,
            &eip,
            1
        ))
        .is_some(),
        "the public host cannot reach the EIP:\n{}",
        logs(&l)
    );
    l.topo.cable(&l.topo.servers[0], false).expect("cut");
    let took = wait(Duration::from_secs(15), || {
        l.bound_eni().is_ok_and(|e| e == l.plane.enis[1])
    });
    assert!(
        took.is_some(),
        "the binding never moved to the secondary:\n{}",
        logs(&l)
    );
    assert!(
        wait(Duration::from_secs(5), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "the client lost the VIP after the move:\n{}",
        logs(&l)
    );
    assert!(
        wait(Duration::from_secs(5), || VpcLab::ping(
            &l.plane.public.ns,
            &eip,
            1
        ))
        .is_some(),
        "the EIP does not follow the HAVIP:\n{}",
        logs(&l)
    );
    let stats = l.dataplane_stats();
    assert!(
        stats["garps"]
            .as_array()
            .is_some_and(|v| v.iter().any(|g| g["acknowledged"].is_f64())),
        "{stats}"
    );
}

#[test]
fn havipd_pair_fails_over_through_the_havip() {
    failover_follows_the_havip([Kind::Havipd; 2], "havipd");
}

#[test]
fn keepalived_pair_fails_over_through_the_havip() {
    failover_follows_the_havip([Kind::Keepalived; 2], "keepalived");
}

#[test]
fn plain_private_ip_is_not_moved_by_the_takeover_garp() {
    let Some(l) = lab(Vip::PlainIp, [Kind::Havipd; 2], "plain") else {
        return;
    };
    let client = l.topo.client.ns.clone();
    assert!(
        wait(Duration::from_secs(20), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "the client never reached the VIP on the primary:\n{}",
        logs(&l)
    );
    l.topo.cable(&l.topo.servers[0], false).expect("cut");
    // The secondary takes the VIP and announces it, but the VPC keeps it on the primary's ENI.
    assert!(
        wait(Duration::from_secs(10), || l
            .topo
            .holds(&l.topo.servers[1], VIP))
        .is_some(),
        "the secondary never became master:\n{}",
        logs(&l)
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        wait(Duration::from_secs(4), || VpcLab::ping(&client, VIP, 1)).is_none(),
        "the VIP answered though the VPC refused the GARP:\n{}",
        logs(&l)
    );
    let stats = l.dataplane_stats();
    let refused = stats["counters"]["drop: GARP for an address the port does not own"]
        .as_u64()
        .unwrap_or(0);
    assert!(refused > 0, "{stats}");
}

#[test]
fn garp_from_an_unassociated_instance_changes_nothing() {
    let Some(l) = lab(Vip::HaVip, [Kind::Havipd; 2], "unassoc") else {
        return;
    };
    let client = l.topo.client.ns.clone();
    assert!(wait(Duration::from_secs(20), || VpcLab::ping(&client, VIP, 1)).is_some());
    // The client's ENI is not in the HAVIP's association set (CheckAssociate is on).
    let mac = ::vpc::dataplane::switch::parse_mac(&l.topo.client.mac).expect("mac");
    vpc::send_garp(&l.topo.client, mac, VIP.parse().expect("vip")).expect("GARP");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(l.bound_eni().expect("describe"), l.plane.enis[0]);
    let refused = l.dataplane_stats()["garps"].to_string();
    assert!(refused.contains("not associated"), "{refused}");
    assert!(
        VpcLab::ping(&client, VIP, 1),
        "traffic to the VIP still reaches the primary"
    );
}

#[test]
fn garp_to_binding_latency_bench_runs() {
    if hostcheck::skip_reason("garp bench", &[]).is_some() {
        return;
    }
    let l = vpc::garp_bench(20).expect("bench");
    assert_eq!(l.to_forwarding_ms.len(), 20);
    assert_eq!(l.to_control_plane_ms.len(), 20);
    for (fwd, cp) in l.to_forwarding_ms.iter().zip(&l.to_control_plane_ms) {
        assert!(
            0.0 < *fwd && fwd < cp,
            "forwarding {fwd} ms, control plane {cp} ms"
        );
    }
    let p = |v: &[f64], q| lab::spread::percentile(v, q);
    eprintln!(
        "GARP -> forwarding p50 {:.3} ms, p99 {:.3} ms; -> control plane p50 {:.3} ms, p99 {:.3} ms",
        p(&l.to_forwarding_ms, 50.0),
        p(&l.to_forwarding_ms, 99.0),
        p(&l.to_control_plane_ms, 50.0),
        p(&l.to_control_plane_ms, 99.0)
    );
}

/// `havip lab drill crash --vpc`: the drill itself in the VPC. The secondary (priority 50,
/// advert_int 1) takes over after Master_Down_Interval = 3.8047 s; its GARP moves the binding
/// at once, and the public side reaches the EIP again through the new holder.
#[test]
fn a_crash_drill_inside_the_vpc_reports_the_eip_and_the_binding_move() {
    if hostcheck::skip_reason("the crash drill inside the VPC", &["ethtool"]).is_some() {
        return;
    }
    let mut setup = lab::drill::Setup::seed();
    setup.vpc = Some(lab::vpc::Backend::Userspace);
    let sc = lab::drill::scenario("crash").expect("built-in");
    let r = lab::drill::run_on(
        &setup,
        &sc,
        [Kind::Havipd; 2],
        &|m| eprintln!("{m}"),
        &|_, _| {},
    )
    .expect("drill runs");
    let v = r.vpc.as_ref().expect("a VPC outcome");
    eprintln!(
        "client outage {:.1} ms, EIP outage {:.1} ms, binding move {:?} s, moves {:?}",
        r.worst_outage_ms(),
        v.worst_eip_outage_ms(),
        v.binding_move,
        v.binding_moves
    );
    let mdi = 3.8047;
    let moved = v.binding_move.expect("the binding moved");
    // The last advert came up to one interval before the cut.
    assert!(
        moved > mdi - 1.0 - 0.05 && moved < mdi + 0.6,
        "binding moved after {moved} s"
    );
    assert_eq!(v.binding_moves.last().map(|m| m.server.as_str()), Some("b"));
    assert!(v.eip_answered > 100, "{} EIP replies", v.eip_answered);
    assert_eq!(v.eip_outages.len(), 1, "{:?}", v.eip_outages);
    assert!(v.worst_eip_outage_ms() < (mdi + 0.6) * 1000.0);
    assert!(
        r.lost_requests() < r.requests.len(),
        "no TCP request answered"
    );
    assert_eq!(r.final_holder.as_deref(), Some("b"));
    let left = lab::topology::namespaces_of(&setup.id);
    assert!(left.is_empty(), "namespaces left: {left:?}");
}

#[test]
fn an_ipv6_vip_is_refused_inside_the_vpc_before_anything_is_built() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three-node");
    let mut setup = lab::drill::Setup::from_dir(&dir).expect("placed");
    setup.vpc = Some(lab::vpc::Backend::Userspace);
    let sc = lab::drill::scenario("crash").expect("built-in");
    let err = lab::drill::run_on(&setup, &sc, [Kind::Havipd; 2], &|_| {}, &|_, _| {})
        .expect_err("refused");
    assert!(
        format!("{err:#}").contains("fd00:9::100 (front_v6) is IPv6"),
        "{err:#}"
    );
    assert!(!lab::topology::Topology::dir_for(&setup.id).exists());
}

/// The data plane switches forwarding on the GARP itself: with the control plane programmed
/// to take 4 s over the move, the client already reaches the VIP on its new holder while the
/// API still shows the old binding, and the API catches up afterwards.
#[test]
fn forwarding_follows_a_garp_before_the_control_plane_has_stored_it() {
    if hostcheck::skip_reason("forwarding before the control plane", &[]).is_some() {
        return;
    }
    let l = vpc::up(Vip::HaVip, &[], 4.0).expect("VPC lab");
    let b = &l.topo.servers[1];
    let added = std::process::Command::new("ip")
        .args([
            "-n",
            &b.ns,
            "addr",
            "add",
            &format!("{VIP}/24"),
            "dev",
            "eth0",
        ])
        .status()
        .expect("ip");
    assert!(added.success());
    let mac = ::vpc::dataplane::switch::parse_mac(&b.mac).expect("mac");
    vpc::send_garp(b, mac, VIP.parse().expect("vip")).expect("GARP");
    let client = l.topo.client.ns.clone();
    assert!(
        VpcLab::ping(&client, VIP, 1),
        "the client does not reach the VIP on b:\n{}",
        logs(&l)
    );
    assert_ne!(
        l.bound_eni().expect("describe"),
        l.plane.enis[1],
        "the control plane was to take 4 s"
    );
    assert!(
        wait(Duration::from_secs(10), || l
            .bound_eni()
            .is_ok_and(|e| e == l.plane.enis[1]))
        .is_some(),
        "the control plane never stored the move:\n{}",
        logs(&l)
    );
    assert!(VpcLab::ping(&client, VIP, 1), "and forwarding stays on b");
}
