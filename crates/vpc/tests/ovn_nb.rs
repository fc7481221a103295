//! The VPC's state as OVN northbound rows, written by one planned transaction into a real
//! northbound database that a real ovn-northd turns into southbound port bindings: a HAVIP is
//! a virtual port whose parents follow CheckAssociate, its VIP is in its parents' port
//! security, a second plan of an unchanged state does nothing, and a change touches only the
//! rows it concerns. NB and SB databases and northd run from OVN's packages, on Unix sockets
//! in a directory of the test's own (no root, no network).

mod common;
use common::ovn::Central;
use ovsdb::{Client, MonitorRequest, Operation};
use std::time::Duration;
use vpc::cloud::{Change, Cloud};
use vpc::model::*;
use vpc::ovn::{Current, desired, plan};

fn eni(id: &str, mac: &str, ip: &str, instance: &str) -> Change {
    Change::Eni(NetworkInterface {
        network_interface_id: id.into(),
        vpc_id: "vpc-1".into(),
        subnet_id: "subnet-1".into(),
        mac_address: mac.into(),
        private_ip_address_set: vec![PrivateIpAddress {
            private_ip_address: ip.into(),
            primary: true,
        }],
        attachment: Some(Attachment {
            instance_id: instance.into(),
        }),
        ..Default::default()
    })
}

fn havip(check_associate: bool, associated: &[&str]) -> HaVip {
    HaVip {
        ha_vip_id: "havip-1".into(),
        vip: "10.0.1.100".into(),
        vpc_id: "vpc-1".into(),
        subnet_id: "subnet-1".into(),
        ha_vip_association_set: associated
            .iter()
            .map(|a| HaVipAssociation {
                instance_id: a.to_string(),
                ha_vip_id: "havip-1".into(),
                instance_type: vpc::model::InstanceType::Eni,
            })
            .collect(),
        check_associate,
        ..Default::default()
    }
}

/// A VPC with one subnet, two ENIs (two servers) and a HAVIP open to the subnet.
fn seed_vpc() -> Cloud {
    let mut cloud = Cloud::default();
    cloud.apply(&[
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
        eni("eni-a", "52:54:00:00:00:0a", "10.0.1.10", "ins-a"),
        eni("eni-b", "52:54:00:00:00:0b", "10.0.1.11", "ins-b"),
        Change::HaVip(havip(false, &[])),
    ]);
    cloud
}

async fn current(nb: &Client) -> Current {
    let requests: Vec<_> = vpc::ovn::plan::TABLES
        .iter()
        .map(|t| MonitorRequest::table(t))
        .collect();
    let m = nb
        .monitor("OVN_Northbound", &requests)
        .await
        .expect("monitor");
    let tables = m
        .initial
        .into_iter()
        .map(|(t, rows)| {
            (
                t,
                rows.into_iter()
                    .filter_map(|(u, r)| Some((u, r.new?)))
                    .collect(),
            )
        })
        .collect();
    Current::from_tables(&tables)
}

/// The southbound binding of `port`: (type, virtual-parents), once northd has written it.
async fn binding(
    sb: &Client,
    port: &str,
    parents: Option<&str>,
) -> Option<(String, Option<String>)> {
    for _ in 0..100 {
        let select = Operation::Select {
            table: "Port_Binding".into(),
            conditions: vec![ovsdb::Condition::eq(
                "logical_port",
                ovsdb::Datum::string(port),
            )],
            columns: Some(vec!["type".into(), "options".into()]),
        };
        let r = sb
            .transact("OVN_Southbound", &[select])
            .await
            .expect("select");
        let row = r[0]["rows"]
            .get(0)
            .map(|v| ovsdb::row_from_json(v).expect("row"));
        let seen = row.map(|row| {
            let kind = row["type"].as_str().unwrap_or_default().to_string();
            (
                kind,
                row["options"].map_get("virtual-parents").map(String::from),
            )
        });
        if seen.as_ref().map(|s| s.1.as_deref()) == Some(parents)
            || (parents.is_none() && seen.is_none())
        {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[test]
fn the_vpc_maps_to_routers_switches_and_virtual_ports() {
    let d = desired(&seed_vpc());
    let lrp = &d.routers["vpc-1"].ports["lrp-subnet-1"];
    assert_eq!(lrp.networks, ["10.0.1.1/24"]);
    let ports = &d.switches["subnet-1"].ports;
    assert_eq!(ports["rp-subnet-1"].options["router-port"], "lrp-subnet-1");
    assert_eq!(ports["havip-1"].kind, "virtual");
    assert_eq!(ports["havip-1"].options["virtual-ip"], "10.0.1.100");
    assert_eq!(ports["havip-1"].options["virtual-parents"], "eni-a,eni-b");
    assert_eq!(ports["eni-a"].addresses, ["52:54:00:00:00:0a 10.0.1.10"]);
    assert_eq!(
        ports["eni-a"].port_security,
        ["52:54:00:00:00:0a 10.0.1.10 10.0.1.100"]
    );
}

#[tokio::test]
async fn a_planned_transaction_gives_northd_the_virtual_port_and_follows_changes() {
    let Some(central) = Central::start("plan") else {
        return;
    };
    let nb = Client::connect(&central.endpoint("nb")).await.expect("nb");
    let sb = Client::connect(&central.endpoint("sb")).await.expect("sb");
    let mut cloud = seed_vpc();
    let before = current(&nb).await;
    let ops = plan(&desired(&cloud), &before);
    assert!(!ops.is_empty());
    let results = nb
        .transact("OVN_Northbound", &ops)
        .await
        .expect("first plan");
    // The engine's idea of the database after a commit, without reading it, is what is there.
    let computed = vpc::ovn::plan::after(&desired(&cloud), &before, &ops, &results);
    assert_eq!(computed, Some(current(&nb).await));
    assert_eq!(
        plan(&desired(&cloud), &current(&nb).await),
        vec![],
        "a second plan of the same state"
    );
    let b = binding(&sb, "havip-1", Some("eni-a,eni-b")).await;
    assert_eq!(
        b,
        Some(("virtual".into(), Some("eni-a,eni-b".into()))),
        "northd's binding"
    );
    claim_followed(&sb, &cloud).await;
    // CheckAssociate with eni-b only: the HAVIP's parents and eni-a's port security (no VIP
    // any more) change, nothing else.
    cloud.apply(&[Change::HaVip(havip(true, &["eni-b"]))]);
    let ops = plan(&desired(&cloud), &current(&nb).await);
    assert_eq!(ops.len(), 2, "{ops:#?}");
    assert!(
        ops.iter().all(
            |o| matches!(o, Operation::Update { table, .. } if table == "Logical_Switch_Port")
        )
    );
    nb.transact("OVN_Northbound", &ops)
        .await
        .expect("second plan");
    assert!(
        binding(&sb, "havip-1", Some("eni-b")).await.is_some(),
        "northd never followed"
    );
    let sec = current(&nb).await.switch_ports["eni-a"]
        .value
        .port_security
        .clone();
    assert_eq!(
        sec,
        ["52:54:00:00:00:0a 10.0.1.10"],
        "eni-a may no longer send from the VIP"
    );
    // The HAVIP deleted: its port leaves the switch and northd removes the binding.
    cloud.apply(&[Change::DeleteHaVip("havip-1".into())]);
    let ops = plan(&desired(&cloud), &current(&nb).await);
    nb.transact("OVN_Northbound", &ops)
        .await
        .expect("third plan");
    assert!(
        binding(&sb, "havip-1", None).await.is_none(),
        "the binding stayed"
    );
    assert!(!current(&nb).await.switch_ports.contains_key("havip-1"));
}

/// What ovn-controller writes when eni-a's GARP claims the virtual port (here written by hand:
/// no chassis runs in this test) reaches the API through a southbound monitor as eni-a's
/// binding.
async fn claim_followed(sb: &Client, cloud: &Cloud) {
    let req = MonitorRequest::columns("Port_Binding", &vpc::ovn::binding::COLUMNS);
    let mut m = sb.monitor("OVN_Southbound", &[req]).await.expect("monitor");
    let claim = Operation::Update {
        table: "Port_Binding".into(),
        conditions: vec![ovsdb::Condition::eq(
            "logical_port",
            ovsdb::Datum::string("havip-1"),
        )],
        row: ovsdb::Row::from([("virtual_parent".into(), ovsdb::Datum::string("eni-a"))]),
    };
    sb.transact("OVN_Southbound", &[claim])
        .await
        .expect("claim");
    let update = tokio::time::timeout(Duration::from_secs(5), m.updates.recv())
        .await
        .expect("an update")
        .expect("open");
    let row = update["Port_Binding"]
        .values()
        .next()
        .and_then(|u| u.new.clone())
        .expect("row");
    let changes = vpc::ovn::binding::follow(cloud, &row);
    let held = changes.iter().find_map(|c| match c {
        Change::HaVip(h) => Some(h.network_interface_id.clone()),
        _ => None,
    });
    assert_eq!(held.as_deref(), Some("eni-a"), "{changes:?}");
}

/// An EIP bound to the HAVIP, with a gateway chassis: the VPC's router becomes a gateway
/// router there with a `dnat_and_snat` rule from the EIP to the VIP and a port on a public
/// switch whose `localnet` port names the provider network; northd accepts it (the gateway
/// router's port is bound to the chassis); unbinding the EIP removes all of it, and a second
/// plan of either state does nothing.
#[tokio::test]
async fn an_eip_is_a_nat_rule_of_a_gateway_router() {
    let Some(central) = Central::start("eip") else {
        return;
    };
    let nb = Client::connect(&central.endpoint("nb")).await.expect("nb");
    let sb = Client::connect(&central.endpoint("sb")).await.expect("sb");
    let layout = vpc::ovn::desired::Layout {
        gateway_chassis: Some("gw-1".into()),
    };
    let mut cloud = seed_vpc();
    let mut bound = havip(false, &[]);
    bound.address_ip = "198.51.100.2".into();
    cloud.apply(&[Change::HaVip(bound)]);
    let want = vpc::ovn::desired::desired_in(&cloud, &layout);
    nb.transact("OVN_Northbound", &plan(&want, &current(&nb).await))
        .await
        .expect("plan with an EIP");
    let now = current(&nb).await;
    assert_eq!(plan(&want, &now), vec![], "a second plan of the same state");
    let router = &now.routers["vpc-1"].value;
    assert_eq!(router.options["chassis"], "gw-1");
    assert_eq!(router.nat.len(), 1);
    let nat = &now.nats["198.51.100.2"].value;
    assert_eq!(nat.logical_ip, "10.0.1.100");
    assert_eq!(
        now.router_ports["lrp-pub-vpc-1"].value.networks,
        ["198.51.100.254/24"]
    );
    let public = &want.switches["pub-vpc-1"].ports;
    assert_eq!(public["ln-vpc-1"].kind, "localnet");
    assert_eq!(public["ln-vpc-1"].options["network_name"], "public");
    assert!(now.switch_ports.contains_key("ln-vpc-1"));
    // From the provider network, only the EIPs: any other IPv4 is dropped at the public switch.
    let acl = &now.acls["inport == \"ln-vpc-1\" && ip4 && !(ip4.dst == {198.51.100.2})"].value;
    assert_eq!((acl.action.as_str(), acl.priority), ("drop", 1000));
    assert_eq!(now.switches["pub-vpc-1"].value.acls.len(), 1);
    // northd made the gateway router's port an l3gateway port of that chassis.
    let mut kind = None;
    for _ in 0..100 {
        kind = binding(&sb, "lrp-pub-vpc-1", None).await.map(|b| b.0);
        if kind.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(kind.as_deref(), Some("l3gateway"), "northd's binding");
    // Unbound, the EIP leaves no NAT rule, no public switch and a distributed router.
    cloud.apply(&[Change::HaVip(havip(false, &[]))]);
    let want = vpc::ovn::desired::desired_in(&cloud, &layout);
    nb.transact("OVN_Northbound", &plan(&want, &current(&nb).await))
        .await
        .expect("plan without the EIP");
    let now = current(&nb).await;
    assert_eq!(plan(&want, &now), vec![]);
    assert!(now.nats.is_empty() && now.routers["vpc-1"].value.nat.is_empty());
    assert!(!now.routers["vpc-1"].value.options.contains_key("chassis"));
    assert!(!now.switches.contains_key("pub-vpc-1"));
    assert!(now.acls.is_empty());
    assert!(!now.router_ports.contains_key("lrp-pub-vpc-1"));
}

/// The main table of vpc-1 with one route to 10.8.0.1/32 via `kind` `hop`.
fn routed(cloud: &mut Cloud, kind: vpc::route_table::GatewayType, hop: &str) {
    use vpc::route_table::{Route, RouteTable};
    cloud.apply(&[Change::RouteTable(RouteTable {
        vpc_id: "vpc-1".into(),
        route_table_id: "rtb-1".into(),
        main: true,
        route_set: vec![Route {
            destination_cidr_block: "10.8.0.1/32".into(),
            gateway_type: kind,
            gateway_id: hop.into(),
            route_id: 1,
            route_item_id: "rti-1".into(),
            destination_ipv6_cidr_block: String::new(),
            route_description: String::new(),
            enabled: true,
            route_type: Default::default(),
            route_table_id: "rtb-1".into(),
            created_time: String::new(),
        }],
        ..Default::default()
    })]);
}

/// Whether northd has turned the static route to 10.8.0.1/32 via `nexthop` into a logical
/// flow of the router's routing stage.
async fn routing_flow(sb: &Client, nexthop: &str) -> bool {
    for _ in 0..100 {
        let select = Operation::Select {
            table: "Logical_Flow".into(),
            conditions: vec![],
            columns: Some(vec!["match".into(), "actions".into()]),
        };
        let r = sb
            .transact("OVN_Southbound", &[select])
            .await
            .expect("select");
        let found = r[0]["rows"].as_array().into_iter().flatten().any(|row| {
            let m = row["match"].as_str().unwrap_or_default();
            let a = row["actions"].as_str().unwrap_or_default();
            m.contains("ip4.dst == 10.8.0.1/32") && a.contains(nexthop)
        });
        if found {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_route_is_a_static_route_to_the_next_hop_that_follows_replace_routes() {
    use vpc::route_table::GatewayType;
    let Some(central) = Central::start("routes") else {
        return;
    };
    let nb = Client::connect(&central.endpoint("nb")).await.expect("nb");
    let sb = Client::connect(&central.endpoint("sb")).await.expect("sb");
    let mut cloud = seed_vpc();
    routed(&mut cloud, GatewayType::NormalCvm, "10.0.1.10");
    let want = desired(&cloud);
    nb.transact("OVN_Northbound", &plan(&want, &current(&nb).await))
        .await
        .expect("plan with a route");
    let now = current(&nb).await;
    assert_eq!(plan(&want, &now), vec![], "a second plan of the same state");
    let route = &now.static_routes["vpc-1 10.8.0.1/32"].value;
    assert_eq!(
        (route.ip_prefix.as_str(), route.nexthop.as_str()),
        ("10.8.0.1/32", "10.0.1.10")
    );
    assert_eq!(now.routers["vpc-1"].value.static_routes.len(), 1);
    // The next hop's port may receive and send the routed block; the other's may not.
    let security = |now: &Current, eni: &str| now.switch_ports[eni].value.port_security.join(" ");
    assert!(
        security(&now, "eni-a").contains("10.8.0.1/32"),
        "{}",
        security(&now, "eni-a")
    );
    assert!(!security(&now, "eni-b").contains("10.8.0.1/32"));
    assert!(
        routing_flow(&sb, "10.0.1.10").await,
        "northd's routing flow to eni-a"
    );
    // ReplaceRoutes: the HAVIP as next hop; its VIP is the static route's next hop, and
    // every port that may claim it may receive the block.
    routed(&mut cloud, GatewayType::HaVip, "havip-1");
    let want = desired(&cloud);
    let ops = plan(&want, &current(&nb).await);
    nb.transact("OVN_Northbound", &ops).await.expect("replace");
    let now = current(&nb).await;
    assert_eq!(plan(&want, &now), vec![]);
    assert_eq!(
        now.static_routes["vpc-1 10.8.0.1/32"].value.nexthop,
        "10.0.1.100"
    );
    assert!(security(&now, "eni-b").contains("10.8.0.1/32"));
    assert!(
        routing_flow(&sb, "10.0.1.100").await,
        "northd's routing flow to the VIP"
    );
    // Deleted: no static route left.
    cloud.apply(&[Change::RouteTable(vpc::route_table::RouteTable {
        vpc_id: "vpc-1".into(),
        route_table_id: "rtb-1".into(),
        main: true,
        ..Default::default()
    })]);
    let want = desired(&cloud);
    nb.transact("OVN_Northbound", &plan(&want, &current(&nb).await))
        .await
        .expect("delete");
    let now = current(&nb).await;
    assert!(now.static_routes.is_empty() && now.routers["vpc-1"].value.static_routes.is_empty());
    assert!(!security(&now, "eni-a").contains("10.8.0.1/32"));
}
