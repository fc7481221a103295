//! VPC isolation on the userspace switch (issue 29, item 6): two VPCs with the same ranges and
//! a third with distinct ones share one switch; no frame crosses from one VPC to another
//! (unicast, ARP, HAVIPs with the same VIP, multicast enabled in one VPC only), and the table
//! the switch learns from the public port stays bounded.

mod common;
use common::Api;
use common::frames::{arp, attached, follow, sent, udp};
use serde_json::json;
use std::collections::BTreeMap;
use vpc::dataplane::frame::{self, BROADCAST};
use vpc::dataplane::switch::{MAX_PUBLIC_HOSTS, Out, Switch};

const GW: [u8; 6] = [2, 0xaa, 0, 0, 0, 1];

fn mac(n: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, n]
}

fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A VPC with one subnet; returns (vpc, subnet).
fn vpc(api: &Api, name: &str, block: &str, subnet: &str, multicast: bool) -> (String, String) {
    let v = api.ok(
        "CreateVpc",
        json!({"VpcName": name, "CidrBlock": block, "EnableMulticast": multicast.to_string()}),
    )["Vpc"]["VpcId"]
        .as_str()
        .expect("vpc")
        .to_string();
    let s = api.ok(
        "CreateSubnet",
        json!({"VpcId": v, "SubnetName": name, "CidrBlock": subnet, "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet")
        .to_string();
    (v, s)
}

fn eni(api: &Api, (v, s): &(String, String), ip: &str, m: [u8; 6]) -> String {
    api.ok(
        "CreateNetworkInterface",
        json!({"VpcId": v, "SubnetId": s, "NetworkInterfaceName": ip,
               "PrivateIpAddresses": [{"PrivateIpAddress": ip}], "MacAddress": mac_text(m)}),
    )["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string()
}

/// Ports: 1 a1 (A, .5), 2 a2 (A, .6), 3 b1 (B, .5), 4 b2 (B, .7), 5 c1 (C, 10.1.1.5);
/// A and B are both 172.16.0.0/16 with subnet 172.16.16.0/24, each with HAVIP .12; B enables
/// multicast. Returns the switch and each port's VPC letter.
fn two_vpcs_on_one_switch() -> (Api, Switch, BTreeMap<u32, char>) {
    let api = Api::memory();
    let a = vpc(&api, "A", "172.16.0.0/16", "172.16.16.0/24", false);
    let b = vpc(&api, "B", "172.16.0.0/16", "172.16.16.0/24", true);
    let c = vpc(&api, "C", "10.1.0.0/16", "10.1.1.0/24", false);
    let enis = [
        eni(&api, &a, "172.16.16.5", mac(1)),
        eni(&api, &a, "172.16.16.6", mac(2)),
        eni(&api, &b, "172.16.16.5", mac(3)),
        eni(&api, &b, "172.16.16.7", mac(4)),
        eni(&api, &c, "10.1.1.5", mac(5)),
    ];
    for (v, s) in [&a, &b] {
        api.ok(
            "CreateHaVip",
            json!({"VpcId": v, "SubnetId": s, "HaVipName": "h", "Vip": "172.16.16.12"}),
        );
    }
    let sw = attached(&api, GW, &enis);
    let vpc_of = BTreeMap::from([(1, 'A'), (2, 'A'), (3, 'B'), (4, 'B'), (5, 'C')]);
    (api, sw, vpc_of)
}

/// Where the frames a port sent went.
fn sent_to(sw: &mut Switch, port: u32, f: &[u8]) -> Vec<u32> {
    sent(&sw.handle(0, port, f))
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn two_vpcs_with_the_same_ranges_and_a_third_exchange_no_frame() {
    let (_api, mut sw, vpc_of) = two_vpcs_on_one_switch();
    // Each port sends to every address of every VPC, by IP and by ARP.
    let addresses = [
        "172.16.16.5",
        "172.16.16.6",
        "172.16.16.7",
        "172.16.16.12",
        "10.1.1.5",
    ];
    let own = [
        (1, mac(1), "172.16.16.5"),
        (2, mac(2), "172.16.16.6"),
        (3, mac(3), "172.16.16.5"),
        (4, mac(4), "172.16.16.7"),
        (5, mac(5), "10.1.1.5"),
    ];
    let mut delivered = Vec::new();
    for (port, m, src) in own {
        for dst in addresses.iter().filter(|d| **d != src) {
            for to in sent_to(&mut sw, port, &udp(m, GW, src, dst)) {
                assert_eq!(
                    vpc_of[&to], vpc_of[&port],
                    "IP {src} -> {dst} crossed from port {port} to {to}"
                );
                delivered.push((port, *dst, to));
            }
            for out in sent(&sw.handle(0, port, &arp(1, m, src, [0; 6], dst))) {
                assert_eq!(out.0, port, "ARP answers go back to the asker");
                let answer = frame::arp(&out.1).expect("ARP reply");
                let owner = own.iter().find(|(_, om, _)| *om == answer.sha);
                assert!(
                    owner.is_none_or(|(p, _, _)| vpc_of[p] == vpc_of[&port]),
                    "port {port}'s ARP for {dst} answered with another VPC's MAC"
                );
            }
        }
    }
    // Within a VPC, the same address means that VPC's port: .5 is a1 in A and b1 in B.
    assert!(delivered.contains(&(2, "172.16.16.5", 1)), "{delivered:?}");
    assert!(delivered.contains(&(4, "172.16.16.5", 3)), "{delivered:?}");
}

#[test]
fn the_same_vip_in_two_vpcs_moves_and_forwards_in_its_own_vpc() {
    let (_api, mut sw, _) = two_vpcs_on_one_switch();
    // a1 takes A's .12, b2 takes B's .12 (each by GARP).
    for (port, m) in [(1, mac(1)), (4, mac(4))] {
        let outs = sw.handle(
            0,
            port,
            &arp(1, m, "172.16.16.12", BROADCAST, "172.16.16.12"),
        );
        assert!(
            matches!(
                &outs[..],
                [Out::Report {
                    generation: Some(_),
                    ..
                }]
            ),
            "port {port}: {outs:?}"
        );
    }
    // A's client (a2) reaches A's holder, B's client (b1) B's holder.
    assert_eq!(
        sent_to(&mut sw, 2, &udp(mac(2), GW, "172.16.16.6", "172.16.16.12")),
        vec![1]
    );
    assert_eq!(
        sent_to(&mut sw, 3, &udp(mac(3), GW, "172.16.16.5", "172.16.16.12")),
        vec![4]
    );
    // Each holder may send from its VIP; neither from the other VPC's holder's port.
    assert_eq!(
        sent_to(&mut sw, 4, &udp(mac(4), GW, "172.16.16.12", "172.16.16.5")),
        vec![3]
    );
    assert_eq!(
        sent_to(&mut sw, 1, &udp(mac(1), GW, "172.16.16.12", "172.16.16.6")),
        vec![2]
    );
    // c1 has no .12 and no route into A or B.
    assert!(sent_to(&mut sw, 5, &udp(mac(5), GW, "10.1.1.5", "172.16.16.12")).is_empty());
}

#[test]
fn multicast_enabled_in_one_vpc_floods_that_vpc_only() {
    let (_api, mut sw, _) = two_vpcs_on_one_switch();
    let vrrp = [1, 0, 0x5e, 0, 0, 18];
    // A does not enable multicast: dropped, though B does.
    assert!(sent_to(&mut sw, 1, &udp(mac(1), vrrp, "172.16.16.5", "224.0.0.18")).is_empty());
    // B floods its own subnet: b2 only.
    assert_eq!(
        sent_to(&mut sw, 3, &udp(mac(3), vrrp, "172.16.16.5", "224.0.0.18")),
        vec![4]
    );
    assert_eq!(
        sent_to(
            &mut sw,
            4,
            &udp(mac(4), vrrp, "172.16.16.7", "255.255.255.255")
        ),
        vec![3]
    );
}

#[test]
fn public_hosts_are_learned_only_from_frames_to_an_eip_and_bounded() {
    let (api, mut sw, _) = two_vpcs_on_one_switch();
    let eip = api.ok("AllocateAddresses", json!({}))["AddressSet"][0].clone();
    let eip_ip =
        api.ok("DescribeAddresses", json!({"AddressIds": [eip]}))["AddressSet"][0]["AddressIp"]
            .as_str()
            .expect("ip")
            .to_string();
    let havip = api.ok("DescribeHaVips", json!({}))["HaVipSet"][0]["HaVipId"].clone();
    api.ok(
        "HaVipAssociateAddressIp",
        json!({"HaVipId": havip, "AddressIp": eip_ip}),
    );
    follow(&api, &mut sw);
    let host = |n: u32| std::net::Ipv4Addr::from(0x0a64_0000 + n).to_string();
    // ARP and IP not addressed to an EIP teach nothing.
    for n in 0..1_000 {
        sw.handle(0, 9, &arp(1, mac(9), &host(n), [0; 6], "198.18.0.1"));
        sw.handle(0, 9, &udp(mac(9), GW, &host(n), "198.18.0.1"));
    }
    assert_eq!(sw.public_hosts_known(), 0);
    // Addressed to the EIP, from many more sources than the table holds.
    for n in 0..(MAX_PUBLIC_HOSTS as u32 * 3) {
        sw.handle(0, 9, &arp(1, mac(9), &host(n), [0; 6], &eip_ip));
    }
    assert_eq!(sw.public_hosts_known(), MAX_PUBLIC_HOSTS);
}
