//! Route tables over signed HTTP: every VPC's main table serves its subnets;
//! DescribeRouteTables, CreateRoutes, ReplaceRoutes, DeleteRoutes with NORMAL_CVM and HAVIP next
//! hops, the cloud's errors, account scoping; and on the switch's rules, that traffic to a
//! routed destination reaches the next hop, moves on ReplaceRoutes only (not on a GARP), and
//! follows a HAVIP next hop's holder.

mod common;
use common::frames::{arp, attached, follow, sent, udp};
use common::{Api, ID, KEY, Seed};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vpc::cloud::Quotas;
use vpc::dataplane::frame::BROADCAST;
use vpc::service::Options;

/// The seed VPC's main table id.
fn main_table(api: &Api, vpc: &str) -> Value {
    let r = api.ok(
        "DescribeRouteTables",
        json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]}),
    );
    assert_eq!(r["TotalCount"], 1, "{r}");
    r["RouteTableSet"][0].clone()
}

fn route(dst: &str, kind: &str, hop: &str) -> Value {
    json!({"DestinationCidrBlock": dst, "GatewayType": kind, "GatewayId": hop})
}

fn table_id(t: &Value) -> String {
    t["RouteTableId"]
        .as_str()
        .expect("RouteTableId")
        .to_string()
}

#[test]
fn every_vpc_has_a_main_table_serving_its_subnets() {
    let api = Api::memory();
    let Seed { vpc, subnet, .. } = api.seed();
    let t = main_table(&api, &vpc);
    assert!(
        t["RouteTableId"]
            .as_str()
            .is_some_and(|i| i.starts_with("rtb-")),
        "{t}"
    );
    assert_eq!(t["Main"], true);
    assert_eq!(t["RouteTableName"], "default");
    assert_eq!(
        t["AssociationSet"],
        json!([{"SubnetId": subnet, "RouteTableId": t["RouteTableId"]}])
    );
    assert_eq!(t["RouteSet"], json!([]));
    // A second subnet is served by it too; another VPC has its own.
    let s2 = api.ok(
        "CreateSubnet",
        json!({"VpcId": vpc, "SubnetName": "s2", "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .clone();
    let t = main_table(&api, &vpc);
    let served: Vec<&Value> = (t["AssociationSet"].as_array().expect("set").iter())
        .map(|a| &a["SubnetId"])
        .collect();
    assert_eq!(served.len(), 2, "{t}");
    assert!(served.contains(&&s2), "{t}");
    let (other, _) = api.vpc_and_subnet("other");
    assert_ne!(table_id(&main_table(&api, &other)), table_id(&t));
    let all = api.ok("DescribeRouteTables", json!({"Offset": "0", "Limit": "1"}));
    assert_eq!(all["TotalCount"], 2);
    assert_eq!(all["RouteTableSet"].as_array().map(Vec::len), Some(1));
}

#[test]
fn create_replace_and_delete_routes() {
    let api = Api::memory();
    let s = api.seed();
    let havip = api.havip(&s, "h", json!({"Vip": "172.16.16.100"}));
    let rtb = table_id(&main_table(&api, &s.vpc));
    let r = api.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [
            route("10.8.0.1/32", "NORMAL_CVM", "172.16.16.5"),
            // As the Python SDK sends a model: every field, unset ones null.
            {"DestinationCidrBlock": "10.9.0.0/24", "GatewayType": "HAVIP", "GatewayId": havip,
             "RouteId": null, "RouteDescription": "vip", "Enabled": null, "RouteType": null,
             "RouteTableId": null, "DestinationIpv6CidrBlock": null, "RouteItemId": null,
             "PublishedToVbc": null, "CreatedTime": null, "CdcId": null}
        ]}),
    );
    assert_eq!(r["TotalCount"], 1);
    let set = &r["RouteTableSet"][0]["RouteSet"];
    assert_eq!(set[0]["RouteId"], 1);
    assert_eq!(set[1]["RouteId"], 2);
    assert_eq!(set[1]["GatewayType"], "HAVIP");
    assert_eq!(set[1]["RouteDescription"], "vip");
    assert_eq!(set[0]["Enabled"], true);
    assert_eq!(set[0]["RouteType"], "USER");
    assert_eq!(set[0]["RouteTableId"], rtb);
    let item = set[0]["RouteItemId"].as_str().expect("item").to_string();
    assert!(item.starts_with("rti-"), "{item}");
    // ReplaceRoutes by RouteId: the old and the new route, ids kept.
    let r = api.ok(
        "ReplaceRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteId": 1,
            "DestinationCidrBlock": "10.8.0.1/32", "GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.6"}]}),
    );
    assert_eq!(r["OldRouteSet"][0]["GatewayId"], "172.16.16.5");
    assert_eq!(r["NewRouteSet"][0]["GatewayId"], "172.16.16.6");
    assert_eq!(r["NewRouteSet"][0]["RouteItemId"], item.as_str());
    // ... or by RouteItemId.
    api.ok(
        "ReplaceRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteItemId": item,
            "DestinationCidrBlock": "10.8.0.1/32", "GatewayType": "HAVIP", "GatewayId": havip}]}),
    );
    let t = main_table(&api, &s.vpc);
    assert_eq!(t["RouteSet"][0]["GatewayId"], havip.as_str());
    assert_eq!(t["RouteSet"][0]["RouteId"], 1);
    // A HAVIP that routes point at is not deleted.
    assert_eq!(
        api.err("DeleteHaVip", json!({"HaVipId": havip})),
        "ResourceInUse"
    );
    let bare = api.ok(
        "DescribeRouteTables",
        json!({"RouteTableIds": [rtb], "NeedRouterInfo": false}),
    );
    assert_eq!(bare["RouteTableSet"][0]["RouteSet"], json!([]));
    let r = api.ok(
        "DeleteRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteId": 2}]}),
    );
    assert_eq!(r["RouteSet"][0]["DestinationCidrBlock"], "10.9.0.0/24");
    let t = main_table(&api, &s.vpc);
    assert_eq!(t["RouteSet"].as_array().map(Vec::len), Some(1), "{t}");
    // A new route's id is past every id the table holds.
    let r = api.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [route("10.10.0.0/16", "NORMAL_CVM", "172.16.16.5")]}),
    );
    assert_eq!(r["RouteTableSet"][0]["RouteSet"][1]["RouteId"], 2);
}

#[test]
fn routes_refuse_what_the_cloud_refuses() {
    let api = Api::memory();
    let s = api.seed();
    let rtb = table_id(&main_table(&api, &s.vpc));
    let create = |routes: Value| {
        api.err(
            "CreateRoutes",
            json!({"RouteTableId": rtb, "Routes": routes}),
        )
    };
    assert_eq!(
        api.err("CreateRoutes", json!({"RouteTableId": "rtb-bad", "Routes": [route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")]})),
        "InvalidRouteTableId.Malformed"
    );
    assert_eq!(
        api.err("CreateRoutes", json!({"RouteTableId": "rtb-00000000", "Routes": [route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")]})),
        "InvalidRouteTableId.NotFound"
    );
    assert_eq!(
        api.err("CreateRoutes", json!({"RouteTableId": rtb})),
        "MissingParameter"
    );
    assert_eq!(create(json!([])), "MissingParameter");
    assert_eq!(
        create(json!([{"GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.5"}])),
        "MissingParameter"
    );
    assert_eq!(
        create(json!([route("10.8.0.1/24", "NORMAL_CVM", "172.16.16.5")])),
        "InvalidParameterValue.Malformed",
        "host bits set"
    );
    assert_eq!(
        create(json!([route(
            "172.16.20.0/24",
            "NORMAL_CVM",
            "172.16.16.5"
        )])),
        "InvalidParameterValue.VpcCidrConflict"
    );
    assert_eq!(
        create(json!([route("10.8.0.0/24", "VPN", "vpngw-12345678")])),
        "InvalidParameterValue"
    );
    assert_eq!(
        create(json!([route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.77")])),
        "InvalidParameterValue.RouteNextHopInvalid",
        "no server has that address"
    );
    assert_eq!(
        create(json!([route("10.8.0.0/24", "NORMAL_CVM", "ins-12345678")])),
        "InvalidParameterValue.Malformed"
    );
    assert_eq!(
        create(json!([route("10.8.0.0/24", "HAVIP", "havip-00000000")])),
        "InvalidParameterValue.RouteNextHopInvalid"
    );
    assert_eq!(
        create(
            json!([{"DestinationCidrBlock": "10.8.0.0/24", "GatewayType": "NORMAL_CVM",
            "GatewayId": "172.16.16.5", "Color": "red"}])
        ),
        "InvalidParameter",
        "a field the SDK's Route does not have"
    );
    assert_eq!(
        create(json!([
            route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5"),
            route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")
        ])),
        "InvalidParameterValue.Duplicate"
    );
    assert_eq!(
        create(json!([
            route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5"),
            route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.6")
        ])),
        "UnsupportedOperation.EcmpWithUserRoute"
    );
    // Nothing of the refused calls was stored.
    assert_eq!(main_table(&api, &s.vpc)["RouteSet"], json!([]));
    api.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")]}),
    );
    let replace = |routes: Value| {
        api.err(
            "ReplaceRoutes",
            json!({"RouteTableId": rtb, "Routes": routes}),
        )
    };
    assert_eq!(
        replace(json!([route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.6")])),
        "MissingParameter",
        "ReplaceRoutes names the route by RouteId"
    );
    assert_eq!(
        replace(
            json!([{"RouteId": 9, "DestinationCidrBlock": "10.8.0.0/24", "GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.6"}])
        ),
        "InvalidRouteId.NotFound"
    );
    assert_eq!(
        api.err(
            "DeleteRoutes",
            json!({"RouteTableId": rtb, "Routes": [{"RouteId": 9}]})
        ),
        "InvalidRouteId.NotFound"
    );
    assert_eq!(
        api.err(
            "DescribeRouteTables",
            json!({"RouteTableIds": [rtb], "Filters": [{"Name": "vpc-id", "Values": [s.vpc]}]})
        ),
        "InvalidParameter.Coexist"
    );
    assert_eq!(
        api.err(
            "DescribeRouteTables",
            json!({"Filters": [{"Name": "next-hop", "Values": ["x"]}]})
        ),
        "InvalidParameter.FilterInvalidKey"
    );
    assert_eq!(
        api.err("DescribeRouteTables", json!({"Limit": "101"})),
        "InvalidParameterValue.Range"
    );
}

#[test]
fn another_accounts_tables_and_next_hops_are_absent() {
    const OTHER_ID: &str = "AKIDother000000000000000000000000000";
    const OTHER_KEY: &str = "other-secret-key";
    let options = Options {
        quotas: Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        },
        accounts: BTreeMap::from([(OTHER_ID.to_string(), "1300000002".to_string())]),
        ..Options::default()
    };
    let keys = BTreeMap::from([
        (ID.to_string(), KEY.to_string()),
        (OTHER_ID.to_string(), OTHER_KEY.to_string()),
    ]);
    let api = Api::start_with_keys(Box::new(vpc::store::Memory), options, keys);
    let s = api.seed();
    let rtb = table_id(&main_table(&api, &s.vpc));
    let other = |action: &str, body: Value| {
        let text = body.to_string();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let headers =
            vpc::auth::sign_request(&api.host, action, text.as_bytes(), OTHER_ID, OTHER_KEY, now);
        let mut req = ureq::post(&api.url);
        for (k, v) in &headers {
            req = req.set(k, v);
        }
        let resp = req.send_string(&text).expect("HTTP 200");
        let v: Value = serde_json::from_str(&resp.into_string().expect("body")).expect("JSON");
        v["Response"].clone()
    };
    let r = other("DescribeRouteTables", json!({}));
    assert_eq!(r["TotalCount"], 0, "{r}");
    let r = other(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")]}),
    );
    assert_eq!(r["Error"]["Code"], "InvalidRouteTableId.NotFound", "{r}");
    // Its own VPC's table cannot route to this account's server or HAVIP.
    let vpc = other(
        "CreateVpc",
        json!({"VpcName": "o", "CidrBlock": "192.168.0.0/16"}),
    );
    let vpc = vpc["Vpc"]["VpcId"].as_str().expect("vpc").to_string();
    let mine = other("DescribeRouteTables", json!({}));
    assert_eq!(mine["TotalCount"], 1, "{mine}");
    assert_eq!(mine["RouteTableSet"][0]["VpcId"], vpc.as_str());
    let theirs = table_id(&mine["RouteTableSet"][0]);
    let havip = api.havip(&s, "h", json!({}));
    let r = other(
        "CreateRoutes",
        json!({"RouteTableId": theirs, "Routes": [route("10.8.0.0/24", "HAVIP", &havip)]}),
    );
    assert_eq!(
        r["Error"]["Code"], "InvalidParameterValue.RouteNextHopInvalid",
        "{r}"
    );
    assert_eq!(
        api.ok("DescribeRouteTables", json!({}))["TotalCount"],
        1,
        "each account sees its own"
    );
}

#[test]
fn routes_and_main_tables_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("vpc.db");
    let open = || Box::new(vpc::store::Sqlite::open(&db).expect("store"));
    let quotas = Quotas {
        requests_per_second: 0,
        ..Quotas::default()
    };
    let (vpc, before) = {
        let api = Api::start(open(), quotas);
        let s = api.seed();
        let rtb = table_id(&main_table(&api, &s.vpc));
        api.ok(
            "CreateRoutes",
            json!({"RouteTableId": rtb, "Routes": [route("10.8.0.0/24", "NORMAL_CVM", "172.16.16.5")]}),
        );
        (s.vpc.clone(), main_table(&api, &s.vpc))
    };
    let api = Api::start(open(), quotas);
    assert_eq!(main_table(&api, &vpc), before);
}

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 1];
const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
const GW: [u8; 6] = [2, 0xaa, 0, 0, 0, 1];
const VIP: &str = "10.8.0.1";

/// The seed with a client ENI (.100, MAC_CLIENT) and a route VIP/32 -> `hop` in the main
/// table; returns the seed, the table and the client's ENI.
fn routed_seed(api: &Api, kind: &str, hop: impl Fn(&Seed) -> String) -> (Seed, String, String) {
    let s = api.seed();
    let client = api.ok(
        "CreateNetworkInterface",
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "NetworkInterfaceName": "client",
               "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.100"}],
               "MacAddress": "02:00:00:00:00:09"}),
    )["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    let rtb = table_id(&main_table(api, &s.vpc));
    api.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [route(&format!("{VIP}/32"), kind, &hop(&s))]}),
    );
    (s, rtb, client)
}

#[test]
fn the_switch_forwards_a_routed_address_to_the_next_hop_and_moves_on_replace_routes_only() {
    let api = Api::memory();
    let (s, rtb, client) = routed_seed(&api, "NORMAL_CVM", |_| "172.16.16.5".into());
    let (a, b) = (s.enis[0].clone(), s.enis[1].clone());
    let mut sw = attached(&api, GW, &[a, b, client]);
    let to_vip = udp(CLIENT_MAC, GW, "172.16.16.100", VIP);
    let port = |sw: &mut vpc::dataplane::switch::Switch| {
        sent(&sw.handle(0, 3, &to_vip))
            .first()
            .map(|(p, f)| (*p, f[..6].to_vec()))
    };
    assert_eq!(
        port(&mut sw),
        Some((1, MAC_A.to_vec())),
        "the next hop, server a"
    );
    // The next hop answers from the routed address; the other server may not use it.
    let from_a = udp(MAC_A, GW, VIP, "172.16.16.100");
    assert_eq!(
        sent(&sw.handle(0, 1, &from_a)).first().map(|(p, _)| *p),
        Some(3)
    );
    let from_b = udp(MAC_B, GW, VIP, "172.16.16.100");
    assert!(sent(&sw.handle(0, 2, &from_b)).is_empty());
    // Server b's GARPs for the address move nothing.
    let garp = arp(1, MAC_B, VIP, BROADCAST, VIP);
    assert!(sent(&sw.handle(0, 2, &garp)).is_empty());
    assert_eq!(
        port(&mut sw),
        Some((1, MAC_A.to_vec())),
        "a GARP does not move a route"
    );
    api.ok(
        "ReplaceRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteId": 1, "DestinationCidrBlock": format!("{VIP}/32"),
            "GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.6"}]}),
    );
    assert_eq!(
        port(&mut sw),
        Some((1, MAC_A.to_vec())),
        "until the switch follows"
    );
    follow(&api, &mut sw);
    assert_eq!(
        port(&mut sw),
        Some((2, MAC_B.to_vec())),
        "server b after ReplaceRoutes"
    );
    assert_eq!(
        sent(&sw.handle(0, 2, &from_b)).first().map(|(p, _)| *p),
        Some(3)
    );
    assert!(
        sent(&sw.handle(0, 1, &from_a)).is_empty(),
        "a no longer may"
    );
    // A disabled route, or none, drops it.
    api.ok(
        "DeleteRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteId": 1}]}),
    );
    follow(&api, &mut sw);
    assert_eq!(port(&mut sw), None);
}

#[test]
fn a_havip_next_hop_follows_the_havips_holder() {
    let api = Api::memory();
    let (s, _rtb, client) = routed_seed(&api, "HAVIP", |s| {
        api.havip(s, "h", json!({"Vip": "172.16.16.200"}))
    });
    let (a, b) = (s.enis[0].clone(), s.enis[1].clone());
    let mut sw = attached(&api, GW, &[a, b, client]);
    let to_vip = udp(CLIENT_MAC, GW, "172.16.16.100", VIP);
    assert!(
        sent(&sw.handle(0, 3, &to_vip)).is_empty(),
        "nobody holds the HAVIP"
    );
    // Server b claims the HAVIP with a GARP: the route's traffic goes to it.
    let garp = arp(1, MAC_B, "172.16.16.200", BROADCAST, "172.16.16.200");
    sw.handle(1_000, 2, &garp);
    let out = sent(&sw.handle(0, 3, &to_vip));
    assert_eq!(out.first().map(|(p, _)| *p), Some(2), "{out:?}");
}

#[test]
fn a_store_from_before_route_tables_gets_each_vpcs_main_table_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("vpc.db");
    let open = || Box::new(vpc::store::Sqlite::open(&db).expect("store"));
    let quotas = Quotas {
        requests_per_second: 0,
        ..Quotas::default()
    };
    let (vpc, old) = {
        let api = Api::start(open(), quotas);
        let s = api.seed();
        (s.vpc.clone(), table_id(&main_table(&api, &s.vpc)))
    };
    // As a store written before route tables: no table rows, no owners of tables.
    let sql = rusqlite::Connection::open(&db).expect("sqlite");
    sql.execute("DELETE FROM resources WHERE kind = 'route_table'", [])
        .expect("delete tables");
    sql.execute("DELETE FROM owners WHERE id LIKE 'rtb-%'", [])
        .expect("delete owners");
    drop(sql);
    let api = Api::start(open(), quotas);
    let t = main_table(&api, &vpc);
    assert_ne!(table_id(&t), old, "a new main table");
    assert_eq!(t["AssociationSet"].as_array().map(Vec::len), Some(1), "{t}");
    // Stored: the next start finds the same one.
    drop(api);
    let api = Api::start(open(), quotas);
    assert_eq!(main_table(&api, &vpc), t);
}
