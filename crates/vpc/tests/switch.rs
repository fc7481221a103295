//! The data plane's rules on frames, without I/O: proxy ARP, delivery by IP, anti-spoofing,
//! multicast, GARP moves (local at once, then confirmed or taken back by the control plane)
//! and their rate limit, EIP NAT.

mod common;
use common::Api;
use common::frames::{arp, attached, follow, ip, sent, udp};
use serde_json::json;
use vpc::backend::GarpOutcome;
use vpc::dataplane::frame::{self, BROADCAST};
use vpc::dataplane::switch::{Out, Switch};
use vpc::model::GarpForm;

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 1];
const VMAC: [u8; 6] = [0, 0, 0x5e, 0, 1, 51];
const GW: [u8; 6] = [2, 0xaa, 0, 0, 0, 1];
const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
const PUBLIC_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x99];

/// Ports 1 (ENI a, .5), 2 (ENI b, .6), 3 (client ENI, .100), public 9; HAVIP .12 with an EIP.
fn setup(multicast: bool) -> (Api, Switch, Vec<String>, String) {
    let api = Api::memory();
    let vpc = api.ok("CreateVpc", json!({"VpcName": "v", "CidrBlock": "172.16.0.0/16", "EnableMulticast": multicast.to_string()}))["Vpc"]["VpcId"].clone();
    let subnet = api.ok(
        "CreateSubnet",
        json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "172.16.16.0/24", "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .clone();
    let mut enis = Vec::new();
    for (ipa, mac) in [
        ("172.16.16.5", MAC_A),
        ("172.16.16.6", MAC_B),
        ("172.16.16.100", CLIENT_MAC),
    ] {
        let m = mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        enis.push(
            api.ok(
                "CreateNetworkInterface",
                json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": ipa,
                "PrivateIpAddresses": [{"PrivateIpAddress": ipa}], "MacAddress": m}),
            )["NetworkInterface"]["NetworkInterfaceId"]
                .as_str()
                .expect("eni")
                .to_string(),
        );
    }
    let havip = api.ok(
        "CreateHaVip",
        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h", "Vip": "172.16.16.12"}),
    )["HaVip"]["HaVipId"]
        .as_str()
        .expect("havip")
        .to_string();
    let eip = api.ok("AllocateAddresses", json!({}))["AddressSet"][0].clone();
    let eip_ip =
        api.ok("DescribeAddresses", json!({"AddressIds": [eip]}))["AddressSet"][0]["AddressIp"]
            .clone();
    api.ok(
        "HaVipAssociateAddressIp",
        json!({"HaVipId": havip, "AddressIp": eip_ip}),
    );
    let sw = attached(&api, GW, &enis);
    (api, sw, enis, eip_ip.as_str().expect("eip").to_string())
}

/// The port a client's packet to the VIP goes out of, if any.
fn vip_port(sw: &mut Switch) -> Option<u32> {
    let out = sent(&sw.handle(
        0,
        3,
        &udp(CLIENT_MAC, MAC_B, "172.16.16.100", "172.16.16.12"),
    ));
    out.first().map(|(port, _)| *port)
}

/// A GARP for `vip` from port `port` (ENI MAC `mac`); returns the generation of the local move.
fn garp(sw: &mut Switch, port: u32, mac: [u8; 6], vip: &str) -> Option<u64> {
    match &sw.handle(0, port, &arp(1, mac, vip, BROADCAST, vip))[..] {
        [Out::Report { generation, .. }] => *generation,
        other => panic!("a GARP that is not reported: {other:?}"),
    }
}

#[test]
fn a_garp_moves_forwarding_at_once_and_the_control_plane_then_confirms_it() {
    let (api, mut sw, enis, _) = setup(false);
    // Nobody holds the VIP yet: the client's ARP gets no answer.
    assert!(
        sw.handle(
            0,
            3,
            &arp(1, CLIENT_MAC, "172.16.16.100", [0; 6], "172.16.16.12")
        )
        .is_empty()
    );
    // a announces it from its VMAC (request form): forwarding follows before the control
    // plane has heard of it, and the GARP is reported.
    let outs = sw.handle(
        10,
        1,
        &arp(1, VMAC, "172.16.16.12", BROADCAST, "172.16.16.12"),
    );
    let [
        Out::Report {
            eni,
            vip,
            form: GarpForm::Request,
            mac: VMAC,
            generation: Some(g),
        },
    ] = &outs[..]
    else {
        panic!("{outs:?}")
    };
    assert_eq!((eni, *vip), (&enis[0], ip("172.16.16.12")));
    let reply = sent(&sw.handle(
        20,
        3,
        &arp(1, CLIENT_MAC, "172.16.16.100", [0; 6], "172.16.16.12"),
    ));
    assert_eq!(reply.len(), 1);
    let a = frame::arp(&reply[0].1).expect("ARP reply");
    assert_eq!(
        (reply[0].0, a.op, a.sha, a.spa),
        (3, 2, VMAC, ip("172.16.16.12"))
    );
    // The control plane stores it; its push keeps forwarding where it is.
    let (outcome, version) = api
        .service
        .garp_versioned(&enis[0], "172.16.16.12", GarpForm::Request)
        .expect("garp");
    assert_eq!(outcome, GarpOutcome::Moved);
    sw.confirmed(*vip, *g, version);
    follow(&api, &mut sw);
    assert!(!sw.is_pending(*vip, *g));
    // The client's packet to the VIP goes to a's port and VMAC, whatever MAC the client used.
    let out = sent(&sw.handle(
        30,
        3,
        &udp(CLIENT_MAC, MAC_B, "172.16.16.100", "172.16.16.12"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 1);
    assert_eq!(frame::eth(&out[0].1).map(|e| e.dst), Some(VMAC));
    // b takes over with the reply form from its own MAC: forwarding follows at once.
    let outs = sw.handle(
        40,
        2,
        &arp(2, MAC_B, "172.16.16.12", BROADCAST, "172.16.16.12"),
    );
    assert!(matches!(
        &outs[..],
        [Out::Report {
            form: GarpForm::Reply,
            generation: Some(_),
            ..
        }]
    ));
    assert_eq!(vip_port(&mut sw), Some(2));
    // Now a may no longer send from the VIP.
    assert!(
        sw.handle(60, 1, &udp(VMAC, MAC_B, "172.16.16.12", "172.16.16.100"))
            .is_empty()
    );
}

#[test]
fn a_move_the_control_plane_refuses_is_taken_back() {
    let (api, mut sw, enis, _) = setup(false);
    let vip = ip("172.16.16.12");
    let g = garp(&mut sw, 1, MAC_A, "172.16.16.12").expect("moved here");
    let (_, version) = api
        .service
        .garp_versioned(&enis[0], "172.16.16.12", GarpForm::Request)
        .expect("garp");
    sw.confirmed(vip, g, version);
    follow(&api, &mut sw);
    // The control plane turns CheckAssociate on (for a only); the switch has not heard yet.
    let id = api
        .service
        .snapshot()
        .havips
        .values()
        .next()
        .expect("havip")
        .ha_vip_id
        .clone();
    api.ok(
        "AssociateHaVipInstance",
        json!({"HaVipAssociationSet": [{"HaVipId": id, "InstanceId": enis[0], "InstanceType": "ENI"}]}),
    );
    let mut h = api.service.snapshot().havips[&id].clone();
    h.check_associate = true;
    // b's GARP is allowed on the switch's stale copy: forwarding moves, then is taken back.
    let g = garp(&mut sw, 2, MAC_B, "172.16.16.12").expect("moved on the stale copy");
    assert_eq!(vip_port(&mut sw), Some(2));
    let mut ruled = api.service.snapshot();
    ruled.havips.insert(id.clone(), h);
    let refused = vpc::actions::learn::garp_move(
        &ruled,
        &ruled.enis[&enis[1]],
        "172.16.16.12",
        GarpForm::Request,
    );
    assert!(refused.is_err(), "the control plane would refuse b");
    sw.refused(vip, g);
    assert_eq!(vip_port(&mut sw), Some(1), "forwarding back at a");
    assert!(!sw.is_pending(vip, g));
    // Once the switch has the rule, b's GARP is reported without moving anything.
    sw.load(ruled, sw.version() + 1);
    assert_eq!(garp(&mut sw, 2, MAC_B, "172.16.16.12"), None);
    assert_eq!(vip_port(&mut sw), Some(1));
}

#[test]
fn a_confirmed_move_outlives_an_older_push() {
    let (api, mut sw, enis, _) = setup(false);
    let vip = ip("172.16.16.12");
    let before = sw.version();
    let g = garp(&mut sw, 2, MAC_B, "172.16.16.12").expect("moved here");
    let (_, version) = api
        .service
        .garp_versioned(&enis[1], "172.16.16.12", GarpForm::Request)
        .expect("garp");
    assert!(version > before);
    sw.confirmed(vip, g, version);
    assert!(
        sw.is_pending(vip, g),
        "the switch's copy does not have it yet"
    );
    // A push from before the move (nothing the switch forwards by changed) keeps it.
    sw.apply(&[], version - 1);
    assert_eq!(vip_port(&mut sw), Some(2));
    follow(&api, &mut sw);
    assert!(!sw.is_pending(vip, g));
    assert_eq!(vip_port(&mut sw), Some(2));
}

#[test]
fn spoofing_and_multicast_are_dropped() {
    let (_api, mut sw, _enis, _) = setup(false);
    let before = sw.counters.clone();
    // a claims b's address (IP and ARP), a foreign MAC, a plain private IP announced by GARP.
    assert!(
        sw.handle(0, 1, &udp(MAC_A, MAC_B, "172.16.16.6", "172.16.16.100"))
            .is_empty()
    );
    assert!(
        sw.handle(0, 1, &arp(1, MAC_A, "172.16.16.6", [0; 6], "172.16.16.100"))
            .is_empty()
    );
    assert!(
        sw.handle(
            0,
            1,
            &udp([2, 9, 9, 9, 9, 9], MAC_B, "172.16.16.5", "172.16.16.6")
        )
        .is_empty()
    );
    assert!(
        sw.handle(
            0,
            1,
            &arp(1, MAC_A, "172.16.16.30", BROADCAST, "172.16.16.30")
        )
        .is_empty()
    );
    // VRRP multicast: dropped in this VPC.
    assert!(
        sw.handle(
            0,
            1,
            &udp(MAC_A, [1, 0, 0x5e, 0, 0, 18], "172.16.16.5", "224.0.0.18")
        )
        .is_empty()
    );
    for reason in [
        "drop: IP from an address the port does not own",
        "drop: ARP from an address the port does not own",
        "drop: source MAC not the port's",
        "drop: GARP for an address the port does not own",
        "drop: multicast (disabled in this VPC: use unicast VRRP)",
    ] {
        assert_eq!(
            sw.counters.get(reason).copied().unwrap_or(0),
            before.get(reason).copied().unwrap_or(0) + 1,
            "{reason}"
        );
    }
    // Legitimate unicast between ENIs passes.
    assert_eq!(
        sent(&sw.handle(0, 1, &udp(MAC_A, MAC_B, "172.16.16.5", "172.16.16.6")))[0].0,
        2
    );
}

#[test]
fn multicast_is_flooded_when_the_vpc_enables_it() {
    let (_api, mut sw, _enis, _) = setup(true);
    let out = sent(&sw.handle(
        0,
        1,
        &udp(MAC_A, [1, 0, 0x5e, 0, 0, 18], "172.16.16.5", "224.0.0.18"),
    ));
    let ports: Vec<u32> = out.iter().map(|(p, _)| *p).collect();
    assert_eq!(ports, vec![2, 3]);
}

#[test]
fn garp_reports_are_rate_limited_per_eni() {
    let (_api, mut sw, _enis, _) = setup(false);
    let g = arp(1, MAC_A, "172.16.16.12", BROADCAST, "172.16.16.12");
    let reported = (0..30)
        .filter(|_| !sw.handle(5_000, 1, &g).is_empty())
        .count();
    assert_eq!(reported, vpc::dataplane::switch::GARP_PER_SECOND as usize);
    assert!(
        !sw.handle(6_000, 1, &g).is_empty(),
        "a new second, a new budget"
    );
}

#[test]
fn eip_maps_one_to_one_to_the_havip_holder() {
    let (_api, mut sw, _enis, eip) = setup(false);
    garp(&mut sw, 2, MAC_B, "172.16.16.12").expect("moved here");
    // The public host asks for the EIP: the VPC's gateway answers.
    let r = sent(&sw.handle(0, 9, &arp(1, PUBLIC_MAC, "198.51.100.1", [0; 6], &eip)));
    assert_eq!(frame::arp(&r[0].1).map(|a| a.sha), Some(GW));
    // In: EIP -> VIP, delivered to b.
    let out = sent(&sw.handle(0, 9, &udp(PUBLIC_MAC, GW, "198.51.100.1", &eip)));
    assert_eq!(out[0].0, 2);
    assert_eq!(
        frame::ipv4(&out[0].1).map(|h| h.dst),
        Some(ip("172.16.16.12"))
    );
    // Out: VIP -> EIP, to the public host.
    let out = sent(&sw.handle(0, 2, &udp(MAC_B, GW, "172.16.16.12", "198.51.100.1")));
    assert_eq!(out[0].0, 9);
    assert_eq!(frame::ipv4(&out[0].1).map(|h| h.src), Some(ip(&eip)));
    assert_eq!(frame::eth(&out[0].1).map(|e| e.dst), Some(PUBLIC_MAC));
}
