//! The seed pair in a VPC on OVN: `havip vpc serve --backend ovn`, the two servers on
//! different chassis (ovs-vswitchd with the userspace datapath and ovn-controller each),
//! Geneve between them. havipd and keepalived pairs fail over through the HAVIP's virtual
//! port: the client's pings follow the VIP, and the API shows the binding OVN's southbound
//! database records.

use lab::daemon::Kind;
use lab::seeds::VIP;
use lab::vpc::{self, Backend, Vip, VpcLab};
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

fn logs(l: &VpcLab) -> String {
    let read = |n: &str| std::fs::read_to_string(l.topo.dir.join(n)).unwrap_or_default();
    let mut text = format!("--- vpc serve\n{}", read("vpc-serve.log"));
    for (d, name) in l.daemons.iter().zip(["a", "b"]) {
        text += &format!("\n--- {name}\n{}", d.log_text());
    }
    text
}

fn failover_through_the_virtual_port(kinds: [Kind; 2], tag: &str) {
    let mut tools: Vec<&str> = lab::ovn::TOOLS.to_vec();
    if kinds.contains(&Kind::Keepalived) {
        tools.push("keepalived");
    }
    if let Some(why) = hostcheck::skip_reason(&format!("ovn drill {tag}"), &tools) {
        eprintln!("{why}");
        return;
    }
    let l = vpc::up_on(Vip::HaVip, &kinds, 0.0, Backend::Ovn).expect("OVN VPC lab");
    let client = l.topo.client.ns.clone();
    assert!(
        wait(Duration::from_secs(30), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "the client never reached the VIP:\n{}",
        logs(&l)
    );
    assert!(
        wait(Duration::from_secs(10), || l
            .bound_eni()
            .is_ok_and(|e| e == l.plane.enis[0]))
        .is_some(),
        "the API never showed the primary's binding:\n{}",
        logs(&l)
    );
    l.daemons[0].signal("TERM").expect("stop the primary");
    let moved = wait(Duration::from_secs(15), || {
        l.bound_eni().is_ok_and(|e| e == l.plane.enis[1])
    });
    assert!(
        moved.is_some(),
        "the binding never moved to the secondary:\n{}",
        logs(&l)
    );
    assert!(
        wait(Duration::from_secs(5), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "the client lost the VIP after the move:\n{}",
        logs(&l)
    );
    eprintln!(
        "{tag}: the API showed the secondary's binding {} ms after the primary was stopped",
        moved.unwrap_or_default().as_millis()
    );
}

#[test]
fn havipd_pair_fails_over_through_an_ovn_virtual_port() {
    failover_through_the_virtual_port([Kind::Havipd; 2], "havipd");
}

#[test]
fn keepalived_pair_fails_over_through_an_ovn_virtual_port() {
    failover_through_the_virtual_port([Kind::Keepalived; 2], "keepalived");
}
