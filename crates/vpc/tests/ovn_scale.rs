//! 1,000 HAVIPs in one VPC through the API on OVN: each created by its own API call (each one
//! northbound transaction), all described, all bound by the southbound database (one
//! transaction claiming them all, as many ovn-controllers would) and followed by the API.
//! Prints the figures docs/scale.md quotes; asserts only what must hold.

mod common;
use common::Api;
use common::ovn::Central;
use ovsdb::{Client, Condition, Datum, Operation, Row};
use serde_json::json;
use std::time::{Duration, Instant};
use vpc::cloud::Quotas;
use vpc::ovn::backend::OvnBackend;
use vpc::ovn::engine::Engine;

const HAVIPS: usize = 1000;

#[test]
fn a_thousand_havips_are_created_described_and_followed_on_ovn() {
    let Some(central) = Central::start("scale") else {
        return;
    };
    let quotas = Quotas {
        havips_per_vpc: HAVIPS,
        havips_per_eni: HAVIPS,
        requests_per_second: 0,
    };
    let engine = Engine::start(central.endpoint("nb")).expect("engine");
    let sqlite = vpc::store::Sqlite::open(&central.dir.join("api.db")).expect("sqlite");
    let api = Api::start_on(Box::new(sqlite), Box::new(OvnBackend::new(engine)), quotas);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.spawn(vpc::ovn::follow::follow_bindings(
        api.service.clone(),
        central.endpoint("sb"),
    ));
    let vpc = api.ok(
        "CreateVpc",
        json!({"VpcName": "big", "CidrBlock": "10.20.0.0/16"}),
    )["Vpc"]["VpcId"]
        .as_str()
        .expect("vpc")
        .to_string();
    let subnet = api.ok(
        "CreateSubnet",
        json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.20.0.0/20", "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet")
        .to_string();
    let eni = api.ok("CreateNetworkInterface", json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": "e",
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.20.0.5", "Primary": true}], "MacAddress": "02:00:00:00:00:05"}))["NetworkInterface"]["NetworkInterfaceId"]
        .as_str().expect("eni").to_string();
    let start = Instant::now();
    let ids: Vec<String> = (0..HAVIPS)
        .map(|k| {
            let vip = format!("10.20.{}.{}", 4 + k / 250, 1 + k % 250);
            let body =
                json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": format!("h{k}"), "Vip": vip});
            api.ok("CreateHaVip", body)["HaVip"]["HaVipId"]
                .as_str()
                .expect("id")
                .to_string()
        })
        .collect();
    let created = start.elapsed();
    let start = Instant::now();
    let mut described = 0;
    for page in 0..HAVIPS / 100 {
        let r = api.ok(
            "DescribeHaVips",
            json!({"Offset": page * 100, "Limit": 100}),
        );
        described += r["HaVipSet"].as_array().map_or(0, Vec::len);
    }
    let describe_all = start.elapsed();
    assert_eq!(described, HAVIPS);
    // Every virtual port bound at once, as the chassis would write it.
    let start = Instant::now();
    rt.block_on(async {
        let sb = Client::connect(&central.endpoint("sb")).await.expect("sb");
        for _ in 0..200 {
            let op = Operation::Update {
                table: "Port_Binding".into(),
                conditions: vec![Condition::eq("type", Datum::string("virtual"))],
                row: Row::from([("virtual_parent".into(), Datum::string(&eni))]),
            };
            let r = sb.transact("OVN_Southbound", &[op]).await.expect("claim");
            if r[0]["count"] == HAVIPS {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("northd never made the {HAVIPS} virtual bindings");
    });
    let bound = |api: &Api| {
        api.service
            .snapshot()
            .havips
            .values()
            .filter(|h| h.network_interface_id == eni)
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while bound(&api) < HAVIPS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let followed = start.elapsed();
    assert_eq!(bound(&api), HAVIPS, "bindings followed");
    assert_eq!(ids.len(), HAVIPS);
    eprintln!(
        "scale: {HAVIPS} HAVIPs created in {:.1} s ({:.1} ms each), described in {:.0} ms (10 pages), all bound and followed in {:.1} s",
        created.as_secs_f64(),
        created.as_secs_f64() * 1e3 / HAVIPS as f64,
        describe_all.as_secs_f64() * 1e3,
        followed.as_secs_f64()
    );
}
