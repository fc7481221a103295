//! The seed pair in a VPC on OVN: `havip vpc serve --backend ovn`, the two servers on
//! different chassis (ovs-vswitchd with the userspace datapath and ovn-controller each),
//! Geneve between them. havipd and keepalived pairs fail over through the HAVIP's virtual
//! port: the client's pings follow the VIP, and the API shows the binding OVN's southbound
//! database records. The client's outage (first unanswered ping of the VIP to the next answer,
//! pings waiting 100 ms) is printed for OVN and for the userspace VPC, in one run.

mod common;
use common::wait;
use lab::daemon::Kind;
use lab::seeds::VIP;
use lab::vpc::{self, Backend, Vip, VpcLab};
use std::time::{Duration, Instant};

fn logs(l: &VpcLab) -> String {
    let read = |n: &str| std::fs::read_to_string(l.topo.dir.join(n)).unwrap_or_default();
    let mut text = format!("--- vpc serve\n{}", read("vpc-serve.log"));
    for (d, name) in l.daemons.iter().zip(["a", "b"]) {
        text += &format!("\n--- {name}\n{}", d.log_text());
    }
    text
}

/// One echo request to the VIP from `ns`, waiting 100 ms for the answer.
fn answers(ns: &str) -> bool {
    lab::echo::answered(ns, VIP.parse().expect("VIP"), Duration::from_millis(100))
}

/// A VPC lab on `backend` with `kinds`, once the client reaches the VIP on the primary.
fn lab(kinds: [Kind; 2], backend: Backend, tag: &str) -> Option<VpcLab> {
    let mut tools: Vec<&str> = lab::ovn::TOOLS.to_vec();
    if kinds.contains(&Kind::Keepalived) {
        tools.push("keepalived");
    }
    if let Some(why) = hostcheck::skip_reason(&format!("ovn drill {tag}"), &tools) {
        eprintln!("{why}");
        return None;
    }
    let l = vpc::up_on(Vip::HaVip, &kinds, 0.0, backend).expect("VPC lab");
    let client = l.topo.client.ns.clone();
    assert!(
        wait(Duration::from_secs(30), || VpcLab::ping(&client, VIP, 1)).is_some(),
        "{backend:?}: the client never reached the VIP:\n{}",
        logs(&l)
    );
    assert!(
        wait(Duration::from_secs(10), || l
            .bound_eni()
            .is_ok_and(|e| e == l.plane.enis[0]))
        .is_some(),
        "{backend:?}: the API never showed the primary's binding:\n{}",
        logs(&l)
    );
    Some(l)
}

/// Stops the primary: the client's outage (ms from its first unanswered ping of the VIP to
/// the next answer; pings wait 100 ms) and ms until the API shows the secondary's binding.
fn failover(l: &VpcLab) -> (u128, u128) {
    let client = l.topo.client.ns.clone();
    let stopped = Instant::now();
    l.daemons[0].signal("TERM").expect("stop the primary");
    let (mut lost, mut back, mut moved) = (None, None, None);
    while stopped.elapsed() < Duration::from_secs(15) && (back.is_none() || moved.is_none()) {
        let t = stopped.elapsed();
        match (answers(&client), lost) {
            (false, None) => lost = Some(t),
            (true, Some(from)) if back.is_none() => back = Some(t - from),
            _ => {}
        }
        if moved.is_none() && l.bound_eni().is_ok_and(|e| e == l.plane.enis[1]) {
            moved = Some(t);
        }
    }
    let outage = back.unwrap_or_else(|| panic!("the client lost the VIP:\n{}", logs(l)));
    let moved = moved.unwrap_or_else(|| panic!("the binding never moved:\n{}", logs(l)));
    (outage.as_millis(), moved.as_millis())
}

fn failover_through_the_virtual_port(kinds: [Kind; 2], tag: &str) {
    let Some(l) = lab(kinds, Backend::Ovn, tag) else {
        return;
    };
    let (heard, moved) = failover(&l);
    eprintln!(
        "{tag} on OVN: client outage {heard} ms, the API showed the secondary after {moved} ms"
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

#[test]
fn the_client_s_outage_on_ovn_and_on_the_userspace_vpc() {
    for backend in [Backend::Ovn, Backend::Userspace] {
        let Some(l) = lab([Kind::Havipd; 2], backend, "outage") else {
            return;
        };
        let (heard, moved) = failover(&l);
        eprintln!(
            "havipd pair, {backend:?}: client outage {heard} ms, binding shown after {moved} ms"
        );
    }
}

/// The client's ENI is not associated with the HAVIP (CheckAssociate on): its GARP for the VIP
/// claims nothing. OVN drops it at the client's port (the VIP is not in its port security)
/// and the virtual port's parents do not name it; the binding stays the primary's, in OVN and
/// in the API, and the VIP still answers from the primary.
#[test]
fn a_garp_from_an_unassociated_instance_claims_nothing_on_ovn() {
    let Some(l) = lab([Kind::Havipd; 2], Backend::Ovn, "unassociated") else {
        return;
    };
    let client = &l.topo.client;
    let mac = ::vpc::dataplane::switch::parse_mac(&client.mac).expect("mac");
    for _ in 0..3 {
        vpc::send_garp(client, mac, VIP.parse().expect("vip")).expect("GARP");
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        l.bound_eni().expect("describe"),
        l.plane.enis[0],
        "{}",
        logs(&l)
    );
    let fabric = l.fabric.as_ref().expect("fabric");
    let parent = virtual_parent(&fabric.sb().to_string(), &l.plane.havips[0]).expect("ovn-sbctl");
    assert_eq!(parent.trim(), l.plane.enis[0], "OVN's binding moved");
    assert!(
        VpcLab::ping(&client.ns, VIP, 1),
        "the VIP stopped answering"
    );
}

/// The southbound `virtual_parent` of the lab's HAVIP, as OVN has it now.
fn ovn_parent(l: &VpcLab) -> String {
    let fabric = l.fabric.as_ref().expect("fabric");
    virtual_parent(&fabric.sb().to_string(), &l.plane.havips[0])
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `ovn-sbctl ... find Port_Binding logical_port=PORT`'s `virtual_parent`.
fn virtual_parent(sb: &str, port: &str) -> anyhow::Result<String> {
    let db = format!("--db={sb}");
    let find = format!("logical_port={port}");
    lab::shell::run(&[
        "ovn-sbctl",
        "--timeout=5",
        &db,
        "--bare",
        "--columns=virtual_parent",
        "find",
        "Port_Binding",
        &find,
    ])
}

/// Engine faults in the middle of a failover: the secondary's ovn-controller and ovn-northd
/// are killed and the southbound database restarted while the primary stops and the secondary
/// takes over. Once they are back, the binding converges to the secondary (the secondary's
/// next announcements are claimed), the public host reaches the EIP again through the gateway
/// router, and at no moment did the API report a binding OVN did not have.
#[test]
fn engine_faults_during_a_failover_converge() {
    let Some(mut l) = lab([Kind::Havipd; 2], Backend::Ovn, "engine faults") else {
        return;
    };
    let (public, eip) = (l.plane.public.ns.clone(), l.plane.eip.clone().expect("EIP"));
    assert!(
        wait(Duration::from_secs(10), || VpcLab::ping(&public, &eip, 1)).is_some(),
        "the EIP never answered:\n{}",
        logs(&l)
    );
    let fabric = l.fabric.as_mut().expect("fabric");
    fabric.kill("ch1-controller");
    fabric.kill("northd");
    l.daemons[0].signal("TERM").expect("stop the primary");
    std::thread::sleep(Duration::from_secs(1));
    let fabric = l.fabric.as_mut().expect("fabric");
    fabric.restart_db("sb").expect("southbound back");
    std::thread::sleep(Duration::from_secs(1));
    fabric.start_northd().expect("northd back");
    fabric.start_controller(1).expect("controller back");
    let mut seen_in_ovn = vec![l.plane.enis[0].clone()];
    let mut reported = Vec::new();
    let converged = wait(Duration::from_secs(20), || {
        let ovn = ovn_parent(&l);
        if !ovn.is_empty() && !seen_in_ovn.contains(&ovn) {
            seen_in_ovn.push(ovn.clone());
        }
        let api = l.bound_eni().unwrap_or_default();
        reported.push(api.clone());
        api == l.plane.enis[1] && ovn == l.plane.enis[1] && VpcLab::ping(&public, &eip, 1)
    });
    assert!(
        converged.is_some(),
        "never converged to the secondary: OVN {}, API {:?}\n{}",
        ovn_parent(&l),
        reported.last(),
        logs(&l)
    );
    for r in reported.iter().filter(|r| !r.is_empty()) {
        assert!(
            seen_in_ovn.contains(r),
            "the API reported {r}, OVN had {seen_in_ovn:?}"
        );
    }
    eprintln!(
        "engine faults: converged {:.1} s after the controller and northd came back",
        converged.unwrap_or_default().as_secs_f64()
    );
}

/// The public side reaches the VPC only through its EIP: a host on the provider network that
/// routes the VPC's private range via the gateway router's port gets no answer from a server's
/// private address or the VIP, while the EIP still answers.
#[test]
fn the_public_side_reaches_only_the_eip() {
    let Some(l) = lab([Kind::Havipd; 2], Backend::Ovn, "public side") else {
        return;
    };
    let (public, eip) = (l.plane.public.ns.clone(), l.plane.eip.clone().expect("EIP"));
    assert!(
        wait(Duration::from_secs(10), || VpcLab::ping(&public, &eip, 1)).is_some(),
        "the EIP never answered:\n{}",
        logs(&l)
    );
    let via = ::vpc::actions::address::GATEWAY_PORT_IP.to_string();
    lab::shell::run(&[
        "ip",
        "-n",
        &public,
        "route",
        "add",
        "172.16.0.0/16",
        "via",
        &via,
    ])
    .expect("route");
    for private in [l.topo.servers[0].addr.as_str(), VIP] {
        assert!(
            !VpcLab::ping(&public, private, 1) && !VpcLab::ping(&public, private, 1),
            "the public side reached {private}"
        );
    }
    assert!(VpcLab::ping(&public, &eip, 1), "the EIP stopped answering");
}
