//! The replica drill on OVN: three `havip vpc serve --backend ovn` replicas sharing their
//! records in a three-member cluster, OVN's central services beside them (no chassis: the
//! claims are written in the southbound database as ovn-controller writes them on a GARP).
//! The writing replica and a cluster member are killed, and while no replica writes, OVN moves
//! the HAVIP (a failover); the API reports the binding OVN has on every surviving replica once
//! a replica holds the lease again, and creates go on. The time from the kills to the API
//! reporting the move is printed.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

mod common;
#[allow(dead_code)]
#[path = "../../vpc/tests/common/ovn.rs"]
mod ovn;
use common::{Server, call, cluster};
use ovsdb::{Client, Condition, Datum, Operation, Row};

fn ok(host: &str, action: &str, body: Value) -> Value {
    call(host, action, &body).unwrap_or_else(|e| panic!("{action} on {host}: {e}"))
}

/// A VPC, a subnet and two attached ENIs made through `host`; (vpc, subnet, enis).
fn seed(host: &str) -> (String, String, Vec<String>) {
    let id = |v: &Value, a: &str, b: &str| v[a][b].as_str().expect("id").to_string();
    let vpc = ok(
        host,
        "CreateVpc",
        json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"}),
    );
    let vpc = id(&vpc, "Vpc", "VpcId");
    let subnet = ok(
        host,
        "CreateSubnet",
        json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": "z"}),
    );
    let subnet = id(&subnet, "Subnet", "SubnetId");
    let mut enis = Vec::new();
    for (k, ip) in ["10.0.0.5", "10.0.0.6"].iter().enumerate() {
        let eni = ok(
            host,
            "CreateNetworkInterface",
            json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": format!("eth0-{k}"),
                   "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}],
                   "MacAddress": format!("02:00:00:00:00:0{k}")}),
        );
        let eni = id(&eni, "NetworkInterface", "NetworkInterfaceId");
        ok(
            host,
            "AttachNetworkInterface",
            json!({"NetworkInterfaceId": eni, "InstanceId": format!("ins-0000000{k}")}),
        );
        enis.push(eni);
    }
    (vpc, subnet, enis)
}

/// Writes `virtual_parent` of `port`'s southbound binding, as ovn-controller does when a
/// parent's GARP claims it (retrying while northd has not made the binding yet).
fn claim(central: &ovn::Central, port: &str, parent: &str) {
    let sb = central.endpoint("sb");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let c = Client::connect(&sb).await.expect("sb");
        let op = Operation::Update {
            table: "Port_Binding".into(),
            conditions: vec![Condition::eq("logical_port", Datum::string(port))],
            row: Row::from([("virtual_parent".into(), Datum::string(parent))]),
        };
        for _ in 0..200 {
            let r = c
                .transact("OVN_Southbound", std::slice::from_ref(&op))
                .await
                .expect("claim");
            if r[0]["count"] == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("northd never made {port}'s binding");
    });
}

/// The holder `host` reports for HAVIP `id` (empty: none, or no answer).
fn holder(host: &str, id: &str) -> String {
    call(host, "DescribeHaVips", &json!({"HaVipIds": [id]}))
        .map(|r| {
            r["HaVipSet"][0]["NetworkInterfaceId"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

fn until(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < within, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_failover_while_the_writer_and_a_member_are_down_is_what_the_api_reports_after() {
    let Some(central) = ovn::Central::start("replicas-ovn") else {
        return;
    };
    let Some(mut cluster) = cluster::start("replicas-ovn") else {
        return;
    };
    let (nb, sb) = (
        format!("unix:{}", central.sock("nb")),
        format!("unix:{}", central.sock("sb")),
    );
    let ovn_flags = ["--backend", "ovn", "--ovn-nb", &nb, "--ovn-sb", &sb];
    let mut replicas: Vec<Server> = ["oa", "ob", "oc"]
        .iter()
        .map(|n| cluster::replica_with(&cluster, n, "1", &ovn_flags))
        .collect();
    let hosts: Vec<String> = replicas.iter().map(|r| r.host.clone()).collect();
    let (vpc, subnet, enis) = seed(&hosts[0]);
    let created = ok(
        &hosts[0],
        "CreateHaVip",
        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h", "Vip": "10.0.0.12", "ClientToken": "h"}),
    );
    let id = created["HaVip"]["HaVipId"]
        .as_str()
        .expect("id")
        .to_string();
    claim(&central, &id, &enis[0]);
    for h in &hosts {
        until(
            &format!("{h} reports {}", enis[0]),
            Duration::from_secs(10),
            || holder(h, &id) == enis[0],
        );
    }
    // The writer and a member die; OVN moves the HAVIP while no replica writes.
    // The member that leads the cluster goes too: the harder loss (an election follows).
    let leader = cluster.leader();
    let killed = Instant::now();
    let _ = replicas[0].child.kill();
    let _ = replicas[0].child.wait();
    cluster.kill(leader);
    claim(&central, &id, &enis[1]);
    let mut reported = Vec::new();
    for h in &hosts[1..] {
        until(
            &format!("{h} reports OVN's move to {}", enis[1]),
            Duration::from_secs(20),
            || holder(h, &id) == enis[1],
        );
        reported.push(killed.elapsed());
    }
    // Writes go on, through whichever replica holds the lease now, and OVN has them.
    let body = json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h2", "Vip": "10.0.0.13", "ClientToken": "h2"});
    let mut second = None;
    until(
        "a surviving replica takes a create",
        Duration::from_secs(10),
        || {
            second = hosts[1..]
                .iter()
                .find_map(|h| call(h, "CreateHaVip", &body).ok());
            second.is_some()
        },
    );
    let id2 = second.expect("created")["HaVip"]["HaVipId"]
        .as_str()
        .expect("id")
        .to_string();
    claim(&central, &id2, &enis[0]);
    for h in &hosts[1..] {
        until(
            &format!("{h} reports the new HAVIP's binding"),
            Duration::from_secs(10),
            || holder(h, &id2) == enis[0],
        );
        assert_eq!(
            holder(h, &id),
            enis[1],
            "{h}: the first HAVIP still where OVN has it"
        );
    }
    eprintln!(
        "OVN replica drill: the surviving replicas report OVN's move {:.2} s and {:.2} s after the kills (lease TTL 1 s)",
        reported[0].as_secs_f64(),
        reported[1].as_secs_f64()
    );
}
