//! The OVN fabric: two chassis (ovs-vswitchd with the userspace datapath and ovn-controller,
//! each in its own namespace, Geneve between them), the VPC's rows written by the OVN
//! backend's planner, two servers on different chassis and a client. A GARP from the server
//! holding the VIP makes its chassis claim the HAVIP's virtual port (OVN's own record, the
//! southbound binding, followed by a monitor), the client reaches the VIP across the tunnel,
//! and the claim follows the VIP to the other server. With a chassis's ovn-controller dead,
//! a GARP claims nothing; once it is back, the next announcement is claimed. Everything is
//! removed afterwards.

use lab::ovn::{Fabric, TOOLS};
use lab::shell::{run, sh};
use ovsdb::{Client, MonitorRequest};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use vpc::cloud::{Change, Cloud};
use vpc::model::*;

const VIP: &str = "10.0.1.100";

fn eni(id: &str, mac: &str, ip: &str) -> Change {
    Change::Eni(NetworkInterface {
        network_interface_id: id.into(),
        vpc_id: "vpc-1".into(),
        subnet_id: "subnet-1".into(),
        mac_address: mac.into(),
        private_ip_address_set: vec![PrivateIpAddress {
            private_ip_address: ip.into(),
            primary: true,
        }],
        ..Default::default()
    })
}

/// The VPC: one subnet, the three hosts' ENIs, a HAVIP only the two servers may hold (the
/// seeds' CheckAssociate pair).
fn vpc_state() -> Cloud {
    let associated = ["eni-a", "eni-b"].map(|e| HaVipAssociation {
        instance_id: e.to_string(),
        ha_vip_id: "havip-1".into(),
        instance_type: vpc::model::InstanceType::Eni,
    });
    let mut c = Cloud::default();
    c.apply(&[
        Change::Vpc(Vpc {
            vpc_id: "vpc-1".into(),
            cidr_block: "10.0.0.0/16".into(),
            ..Default::default()
        }),
        Change::Subnet(Subnet {
            subnet_id: "subnet-1".into(),
            vpc_id: "vpc-1".into(),
            cidr_block: "10.0.1.0/24".into(),
            ..Default::default()
        }),
        eni("eni-a", "02:00:00:00:01:0a", "10.0.1.10"),
        eni("eni-b", "02:00:00:00:01:0b", "10.0.1.11"),
        eni("eni-c", "02:00:00:00:01:0c", "10.0.1.20"),
        Change::HaVip(HaVip {
            ha_vip_id: "havip-1".into(),
            vip: VIP.into(),
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
            ha_vip_association_set: associated.to_vec(),
            check_associate: true,
            ..Default::default()
        }),
    ]);
    c
}

fn mac(s: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (b, x) in m.iter_mut().zip(s.split(':')) {
        *b = u8::from_str_radix(x, 16).expect("mac");
    }
    m
}

/// Sends a GARP for the VIP from `ns`'s eth0; the instant it left.
fn garp(ns: &str, from: &str) -> Instant {
    let frame = rawlink::frames::garp(mac(from), VIP.parse::<Ipv4Addr>().expect("vip"));
    lab::netns::spawn_in(ns, move || {
        let index = nix::net::if_::if_nametoindex("eth0").expect("eth0");
        let sender = rawlink::Sender::new().expect("packet socket");
        let sent = Instant::now();
        sender.send(index, &frame).expect("send");
        sent
    })
    .expect("namespace")
    .join()
    .expect("thread")
    .expect("garp")
}

/// Waits for the southbound binding of the HAVIP to name `parent`; when it was seen.
async fn claimed(m: &mut ovsdb::Monitor, parent: &str) -> Instant {
    loop {
        let u = tokio::time::timeout(Duration::from_secs(10), m.updates.recv())
            .await
            .unwrap_or_else(|_| panic!("no claim by {parent} within 10 s"))
            .expect("monitor open");
        let seen = Instant::now();
        let named = u
            .get("Port_Binding")
            .into_iter()
            .flatten()
            .filter_map(|(_, r)| r.new.as_ref())
            .any(|r| {
                r.get("logical_port").and_then(ovsdb::Datum::as_str) == Some("havip-1")
                    && r.get("virtual_parent").and_then(ovsdb::Datum::as_str) == Some(parent)
            });
        if named {
            return seen;
        }
    }
}

/// Whether `addr` answers one echo request from the client within a second.
fn answers(prefix: &str, addr: &str) -> bool {
    let to = addr.parse().expect("an address");
    lab::echo::answered(&format!("{prefix}c"), to, std::time::Duration::from_secs(1))
}

fn pings(prefix: &str) -> bool {
    answers(prefix, VIP)
}

#[test]
fn a_garp_moves_the_virtual_port_between_chassis_and_the_client_follows() {
    if let Some(why) = hostcheck::skip_reason("ovn fabric", &TOOLS) {
        eprintln!("{why}");
        return;
    }
    let prefix = format!("hvo{:05x}", std::process::id() & 0xfffff);
    let mut fabric = Fabric::up(&prefix, 2).expect("fabric");
    for (host, k, m, ip) in [
        ("a", 0, "02:00:00:00:01:0a", "10.0.1.10"),
        ("b", 1, "02:00:00:00:01:0b", "10.0.1.11"),
        ("c", 0, "02:00:00:00:01:0c", "10.0.1.20"),
    ] {
        let ns = format!("{prefix}{host}");
        run(&["ip", "netns", "add", &ns]).expect("ns");
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]).expect("lo");
        fabric
            .plug(k, &ns, m, &format!("eni-{host}"))
            .expect("plug");
        run(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{ip}/24"),
            "dev",
            "eth0",
        ])
        .expect("address");
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (_sb, mut m) = rt.block_on(async {
        let nb = Client::connect(&fabric.nb()).await.expect("nb");
        let tables = vpc::ovn::engine::read_tables(&nb).await.expect("read");
        let cloud = vpc_state();
        let ops = vpc::ovn::plan(
            &vpc::ovn::desired(&cloud),
            &vpc::ovn::Current::from_tables(&tables),
        );
        nb.transact("OVN_Northbound", &ops).await.expect("plan");
        let sb = Client::connect(&fabric.sb()).await.expect("sb");
        let req = MonitorRequest::columns("Port_Binding", &vpc::ovn::binding::COLUMNS);
        let m = sb.monitor("OVN_Southbound", &[req]).await.expect("monitor");
        (sb, m)
    });
    // Wait for the ports to be bound and the flows installed (the client reaches a).
    let ready = (0..100).any(|_| answers(&prefix, "10.0.1.10"));
    assert!(
        ready,
        "the client never reached a (see {})",
        fabric.dir.display()
    );
    vip(&prefix, "a", "add").expect("vip on a");
    let sent = garp(&format!("{prefix}a"), "02:00:00:00:01:0a");
    let to_a = rt.block_on(claimed(&mut m, "eni-a")) - sent;
    assert!(pings(&prefix), "the client cannot reach the VIP on a");
    // Failover: the VIP moves to b, on the other chassis.
    vip(&prefix, "a", "del").expect("vip off a");
    vip(&prefix, "b", "add").expect("vip on b");
    let sent = garp(&format!("{prefix}b"), "02:00:00:00:01:0b");
    let to_b = rt.block_on(claimed(&mut m, "eni-b")) - sent;
    let reached = (0..20).any(|_| pings(&prefix));
    assert!(
        reached,
        "the client cannot reach the VIP on b across the tunnel"
    );
    eprintln!(
        "GARP to claim (southbound binding): a {:.1} ms, b {:.1} ms",
        to_a.as_secs_f64() * 1e3,
        to_b.as_secs_f64() * 1e3
    );
    // Engine fault: a's chassis controller is dead when the VIP comes back to a. Its GARP
    // claims nothing (OVN still has b, and so must the API); once the controller is back, the
    // holder's next announcement is claimed.
    fabric.kill("ch0-controller");
    vip(&prefix, "b", "del").expect("vip off b");
    vip(&prefix, "a", "add").expect("vip on a");
    garp(&format!("{prefix}a"), "02:00:00:00:01:0a");
    let early = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(1), claimed(&mut m, "eni-a")).await
    });
    assert!(early.is_err(), "claimed without a controller");
    fabric.start_controller(0).expect("controller back");
    let back = (0..50).any(|_| {
        garp(&format!("{prefix}a"), "02:00:00:00:01:0a");
        rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(200), claimed(&mut m, "eni-a")).await
        })
        .is_ok()
    });
    assert!(
        back,
        "the binding never converged after the controller came back"
    );
    drop(m);
    drop(fabric);
    let left = sh("ip netns list").expect("netns");
    assert!(!left.contains(&prefix), "namespaces left: {left}");
}

/// `ip -n <prefix><host> addr add|del VIP/32 dev eth0`.
fn vip(prefix: &str, host: &str, op: &str) -> anyhow::Result<String> {
    let ns = format!("{prefix}{host}");
    run(&[
        "ip",
        "-n",
        &ns,
        "addr",
        op,
        &format!("{VIP}/32"),
        "dev",
        "eth0",
    ])
}
