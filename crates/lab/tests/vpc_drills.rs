//! The seed pair inside the VPC (data plane + control plane), in namespaces: with a HAVIP,
//! havipd and keepalived pairs fail over and the client's pings to the VIP and to its EIP
//! follow the binding; with a plain private IP the takeover's GARP is refused and the VIP is
//! unreachable (the seeds' FAQ); a GARP from an unassociated instance changes nothing.

use lab::daemon::Kind;
use lab::seeds::VIP;
use lab::vpc::{self, Vip, VpcLab};
use std::time::{Duration, Instant};

fn wait(within: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn lab(mode: Vip, kinds: [Kind; 2], tag: &str) -> Option<VpcLab> {
    let tools: &[&str] = if kinds.contains(&Kind::Keepalived) {
        &["keepalived"]
    } else {
        &[]
    };
    if let Some(why) = lab::shell::cannot_run(tools) {
        eprintln!("SKIPPED vpc drill {tag}: {why}");
        return None;
    }
    Some(vpc::up(mode, &kinds, 0.0).expect("VPC lab"))
}

fn logs(l: &VpcLab) -> String {
    let read = |n: &str| std::fs::read_to_string(l.topo.dir.join(n)).unwrap_or_default();
    format!(
        "--- dataplane\n{}\n--- stats\n{}\n--- a\n{}\n--- b\n{}",
        read("dataplane.log"),
        l.dataplane_stats(),
        l.daemons[0].log_text(),
        l.daemons[1].log_text()
    )
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
        l.enis[0],
        "bound to the primary"
    );
    let eip = l.eip.clone().expect("eip");
    assert!(
        wait(Duration::from_secs(5), || VpcLab::ping(
            &l.public.ns,
            &eip,
            1
        ))
        .is_some(),
        "the public host cannot reach the EIP:\n{}",
        logs(&l)
    );
    l.topo.cable(&l.topo.servers[0], false).expect("cut");
    let took = wait(Duration::from_secs(15), || {
        l.bound_eni().is_ok_and(|e| e == l.enis[1])
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
            &l.public.ns,
            &eip,
            1
        ))
        .is_some(),
        "the EIP does not follow the HAVIP:\n{}",
        logs(&l)
    );
    let stats = l.dataplane_stats();
    assert!(
        stats["garp_to_binding_ms"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
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
    let mac = ::vpc::dataplane::switch::parse_mac(&lab::topology::Topology::mac_of(&l.topo.client))
        .expect("mac");
    vpc::send_garp(&l.topo.client, mac, VIP.parse().expect("vip")).expect("GARP");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(l.bound_eni().expect("describe"), l.enis[0]);
    let refused = l.dataplane_stats()["refused"].to_string();
    assert!(refused.contains("not associated"), "{refused}");
    assert!(
        VpcLab::ping(&client, VIP, 1),
        "traffic to the VIP still reaches the primary"
    );
}

#[test]
fn garp_to_binding_latency_bench_runs() {
    if let Some(why) = lab::shell::cannot_run(&[]) {
        return eprintln!("SKIPPED garp bench: {why}");
    }
    let ms = vpc::garp_bench(20).expect("bench");
    assert_eq!(ms.len(), 20);
    eprintln!(
        "GARP -> binding: p50 {:.2} ms, p99 {:.2} ms",
        lab::spread::percentile(&ms, 50.0),
        lab::spread::percentile(&ms, 99.0)
    );
}
