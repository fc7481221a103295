//! Secondary private addresses over signed HTTP: AssignPrivateIpAddresses,
//! UnassignPrivateIpAddresses, MigratePrivateIpAddress and DescribeNetworkInterfaces, their
//! ownership rules and the cloud's errors; and on the switch's rules, that a secondary
//! address's traffic reaches its new owner only once the migration is stored (a GARP does not
//! move it).

mod common;
use common::frames::{arp, attached, follow, sent, udp};
use common::{Api, Seed};
use serde_json::{Value, json};
use vpc::dataplane::frame::BROADCAST;

/// The addresses of `eni` as DescribeNetworkInterfaces shows them: (address, primary).
fn addresses(api: &Api, eni: &str) -> Vec<(String, bool)> {
    let r = api.ok(
        "DescribeNetworkInterfaces",
        json!({"NetworkInterfaceIds": [eni]}),
    );
    r["NetworkInterfaceSet"][0]["PrivateIpAddressSet"]
        .as_array()
        .expect("set")
        .iter()
        .map(|a| {
            (
                a["PrivateIpAddress"].as_str().expect("ip").to_string(),
                a["Primary"].as_bool().expect("primary"),
            )
        })
        .collect()
}

fn assign(eni: &str, ips: &[&str]) -> Value {
    let list: Vec<Value> = ips
        .iter()
        .map(|ip| json!({"PrivateIpAddress": ip, "Primary": false}))
        .collect();
    json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": list})
}

fn migrate(from: &str, to: &str, ip: &str) -> Value {
    json!({"SourceNetworkInterfaceId": from, "DestinationNetworkInterfaceId": to, "PrivateIpAddress": ip})
}

#[test]
fn assign_describe_and_unassign_secondary_addresses() {
    let api = Api::memory();
    let Seed { enis, .. } = api.seed();
    let r = api.ok(
        "AssignPrivateIpAddresses",
        assign(&enis[0], &["172.16.16.20"]),
    );
    assert_eq!(
        r["PrivateIpAddressSet"],
        json!([{"PrivateIpAddress": "172.16.16.20", "Primary": false}])
    );
    // A count picks the lowest free addresses of the subnet (.2, .3, .4: .1 is the gateway).
    let r = api.ok(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": enis[0], "SecondaryPrivateIpAddressCount": 2, "QosLevel": null}),
    );
    let picked: Vec<&str> = r["PrivateIpAddressSet"]
        .as_array()
        .expect("set")
        .iter()
        .map(|a| a["PrivateIpAddress"].as_str().expect("ip"))
        .collect();
    assert_eq!(picked, ["172.16.16.2", "172.16.16.3"]);
    assert_eq!(
        addresses(&api, &enis[0]),
        [
            ("172.16.16.5".to_string(), true),
            ("172.16.16.20".to_string(), false),
            ("172.16.16.2".to_string(), false),
            ("172.16.16.3".to_string(), false),
        ]
    );
    // The task the cloud runs asynchronously is done at once here.
    let id = r["RequestId"].as_str().expect("request id");
    let task = api.ok("DescribeVpcTaskResult", json!({"TaskId": id}));
    assert_eq!(task["Status"], "SUCCESS", "{task}");
    api.ok(
        "UnassignPrivateIpAddresses",
        assign(&enis[0], &["172.16.16.2", "172.16.16.3"]),
    );
    assert_eq!(addresses(&api, &enis[0]).len(), 2);
    // A freed address may be taken by another ENI.
    api.ok(
        "AssignPrivateIpAddresses",
        assign(&enis[1], &["172.16.16.2"]),
    );
}

#[test]
fn assign_refuses_what_the_cloud_refuses() {
    let api = Api::memory();
    let s = api.seed();
    let a = &s.enis[0];
    let b = &s.enis[1];
    api.ok("AssignPrivateIpAddresses", assign(a, &["172.16.16.20"]));
    let cases = [
        (assign(b, &["172.16.16.20"]), "ResourceInUse"),
        (assign(b, &["172.16.16.6"]), "ResourceInUse"),
        (assign(b, &["172.16.17.20"]), "InvalidParameterValue.Range"),
        (
            assign(b, &["172.16.16.255"]),
            "InvalidParameterValue.Reserved",
        ),
        (
            assign(b, &["172.16.16.1"]),
            "InvalidParameterValue.Reserved",
        ),
        (
            assign(b, &["172.16.16.x"]),
            "InvalidParameterValue.Malformed",
        ),
        (
            assign(b, &["172.16.16.30", "172.16.16.30"]),
            "InvalidParameterValue.DuplicatePara",
        ),
        (
            json!({"NetworkInterfaceId": b, "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.31", "Primary": true}]}),
            "InvalidParameterValue",
        ),
        (json!({"NetworkInterfaceId": b}), "MissingParameter"),
        (
            assign("eni-00000000", &["172.16.16.30"]),
            "ResourceNotFound",
        ),
        (
            assign("nic-1", &["172.16.16.30"]),
            "InvalidParameterValue.Malformed",
        ),
        (
            json!({"NetworkInterfaceId": b, "SecondaryPrivateIpAddressCount": 10}),
            "LimitExceeded",
        ),
        (
            json!({"NetworkInterfaceId": b, "SecondaryPrivateIpAddressCount": 11}),
            "InvalidParameterValue.Range",
        ),
    ];
    for (body, code) in cases {
        assert_eq!(
            api.err("AssignPrivateIpAddresses", body.clone()),
            code,
            "{body}"
        );
    }
    // A HAVIP's address is in use too, and an ENI's secondary address is not a HAVIP's.
    api.havip(&s, "h", json!({"Vip": "172.16.16.40"}));
    assert_eq!(
        api.err("AssignPrivateIpAddresses", assign(b, &["172.16.16.40"])),
        "ResourceInUse"
    );
    assert_eq!(
        api.err(
            "CreateHaVip",
            json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "h2", "Vip": "172.16.16.20"})
        ),
        "ResourceInUse"
    );
    // Nothing refused was stored.
    assert_eq!(addresses(&api, b), [("172.16.16.6".to_string(), true)]);
    let primary = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.5"}]});
    assert_eq!(
        api.err("UnassignPrivateIpAddresses", primary),
        "UnsupportedOperation.PrimaryIp"
    );
    assert_eq!(
        api.err("UnassignPrivateIpAddresses", assign(b, &["172.16.16.20"])),
        "ResourceNotFound"
    );
}

#[test]
fn migrate_moves_the_one_owner_and_refuses_a_wrong_source() {
    let api = Api::memory();
    let s = api.seed();
    let (a, b) = (&s.enis[0], &s.enis[1]);
    api.ok("AssignPrivateIpAddresses", assign(a, &["172.16.16.20"]));
    let r = api.ok("MigratePrivateIpAddress", migrate(a, b, "172.16.16.20"));
    let task = api.ok("DescribeVpcTaskResult", json!({"TaskId": r["RequestId"]}));
    assert_eq!(task["Status"], "SUCCESS", "{task}");
    assert_eq!(addresses(&api, a), [("172.16.16.5".to_string(), true)]);
    assert_eq!(
        addresses(&api, b),
        [
            ("172.16.16.6".to_string(), true),
            ("172.16.16.20".to_string(), false)
        ]
    );
    // The old owner is no longer the source; its primary address never moves.
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(a, b, "172.16.16.20")),
        "UnauthorizedOperation.AttachmentNotFound"
    );
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(a, b, "172.16.16.5")),
        "UnsupportedOperation.PrimaryIp"
    );
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(b, b, "172.16.16.20")),
        "UnsupportedOperation"
    );
    assert_eq!(
        api.err(
            "MigratePrivateIpAddress",
            migrate(b, "eni-00000000", "172.16.16.20")
        ),
        "ResourceNotFound"
    );
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(b, a, "172.16.16")),
        "InvalidParameterValue.Malformed"
    );
    assert_eq!(
        api.err(
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": b})
        ),
        "MissingParameter"
    );
    // Another subnet's ENI cannot take it.
    let other = api.ok(
        "CreateSubnet",
        json!({"VpcId": s.vpc, "SubnetName": "t", "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .clone();
    let c = api.ok(
        "CreateNetworkInterface",
        json!({"VpcId": s.vpc, "SubnetId": other, "NetworkInterfaceName": "c",
               "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.17.5"}]}),
    )["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(b, &c, "172.16.16.20")),
        "UnsupportedOperation"
    );
    // Back again: exactly one owner at every step.
    api.ok("MigratePrivateIpAddress", migrate(b, a, "172.16.16.20"));
    let owners: Vec<String> = api.ok("DescribeNetworkInterfaces", json!({}))["NetworkInterfaceSet"]
        .as_array()
        .expect("set")
        .iter()
        .filter(|e| {
            e["PrivateIpAddressSet"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x["PrivateIpAddress"] == "172.16.16.20"))
        })
        .map(|e| e["NetworkInterfaceId"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(owners, std::slice::from_ref(a));
}

#[test]
fn a_full_destination_refuses_the_migration() {
    let api = Api::memory();
    let s = api.seed();
    let (a, b) = (&s.enis[0], &s.enis[1]);
    api.ok(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": b, "SecondaryPrivateIpAddressCount": 9}),
    );
    api.ok("AssignPrivateIpAddresses", assign(a, &["172.16.16.50"]));
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(a, b, "172.16.16.50")),
        "LimitExceeded"
    );
}

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 1];
const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
const GW: [u8; 6] = [2, 0xaa, 0, 0, 0, 1];

#[test]
fn the_switch_forwards_a_secondary_address_to_its_owner_after_the_migration_only() {
    let api = Api::memory();
    let s = api.seed();
    let (a, b) = (s.enis[0].clone(), s.enis[1].clone());
    let client = api.ok(
        "CreateNetworkInterface",
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "NetworkInterfaceName": "client",
               "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.100"}],
               "MacAddress": "02:00:00:00:00:09"}),
    )["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    api.ok("AssignPrivateIpAddresses", assign(&a, &["172.16.16.20"]));
    let mut sw = attached(&api, GW, &[a.clone(), b.clone(), client]);
    let to_secondary = udp(CLIENT_MAC, GW, "172.16.16.100", "172.16.16.20");
    let port = |sw: &mut vpc::dataplane::switch::Switch| {
        sent(&sw.handle(0, 3, &to_secondary))
            .first()
            .map(|(p, _)| *p)
    };
    assert_eq!(port(&mut sw), Some(1), "the owner, ENI a, gets it");
    // B announcing the address (a GARP, request form) moves nothing: it is not a HAVIP.
    let garp = arp(1, MAC_B, "172.16.16.20", BROADCAST, "172.16.16.20");
    assert!(sent(&sw.handle(0, 2, &garp)).is_empty());
    assert_eq!(
        port(&mut sw),
        Some(1),
        "a GARP does not move a secondary address"
    );
    // B may not send from it before it owns it.
    let from_b = udp(MAC_B, GW, "172.16.16.20", "172.16.16.100");
    assert!(sent(&sw.handle(0, 2, &from_b)).is_empty());
    api.ok("MigratePrivateIpAddress", migrate(&a, &b, "172.16.16.20"));
    assert_eq!(
        port(&mut sw),
        Some(1),
        "not before the switch has the change"
    );
    follow(&api, &mut sw);
    assert_eq!(port(&mut sw), Some(2), "the new owner, ENI b");
    assert_eq!(
        sent(&sw.handle(0, 2, &from_b)).len(),
        1,
        "b sends from it now"
    );
    let from_a = udp(MAC_A, GW, "172.16.16.20", "172.16.16.100");
    assert!(
        sent(&sw.handle(0, 1, &from_a)).is_empty(),
        "a may not any more"
    );
}
