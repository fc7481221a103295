//! A route table's next hop, on the real userspace switch in namespaces: servers a (.5) and
//! b (.6) both configure 10.8.0.1, an address outside the VPC, which the main table routes to
//! a (`NORMAL_CVM` 172.16.16.5); a client (.100, default route via the subnet's gateway) pings
//! it. b announcing it (the kernel's gratuitous ARPs) moves nothing; once `ReplaceRoutes` points
//! the route at b, the client's pings reach b and no longer a.

mod common;
use common::Api;
use common::netns::{Namespaces, Server, add_namespaces, ip, ping, received, wire_servers};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vpc::dataplane::run::{self, Config};

const VIP: &str = "10.8.0.1";

/// Whether `client` reaches the VIP, and the frames each of `watched` received meanwhile.
fn frames_into_during_ping(client: &str, watched: &[&str]) -> (bool, Vec<u64>) {
    let before: Vec<u64> = watched.iter().map(|n| received(n)).collect();
    let reached = ping(client, VIP) && ping(client, VIP);
    let after: Vec<u64> = watched.iter().map(|n| received(n)).collect();
    (
        reached,
        after.iter().zip(&before).map(|(a, b)| a - b).collect(),
    )
}

fn replace_route(api: &Api, rtb: &str, hop: &str) {
    api.ok(
        "ReplaceRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"RouteId": 1, "DestinationCidrBlock": format!("{VIP}/32"),
            "GatewayType": "NORMAL_CVM", "GatewayId": hop}]}),
    );
}

#[test]
fn a_routed_address_reaches_the_next_hop_and_moves_on_replace_routes_only() {
    if hostcheck::skip_reason("route table next hops in namespaces", &[]).is_some() {
        return;
    }
    let api = Api::memory();
    let (vpc, subnet) = api.vpc_and_subnet("routes");
    let tag = std::process::id();
    let switch_ns = format!("hrsw{tag}");
    let ns = |name: &str| format!("hr{name}{tag}");
    let vip = format!("{VIP}/32");
    let servers = [
        Server {
            name: "a",
            addr: "172.16.16.5",
            k: 1,
            extra: Some(&vip),
        },
        Server {
            name: "b",
            addr: "172.16.16.6",
            k: 2,
            extra: Some(&vip),
        },
        Server {
            name: "c",
            addr: "172.16.16.100",
            k: 3,
            extra: None,
        },
    ];
    let mut names = vec![switch_ns.clone()];
    names.extend(servers.iter().map(|s| ns(s.name)));
    let _cleanup = Namespaces(names.clone());
    add_namespaces(&names);
    let (ports, _enis) = wire_servers(&api, &vpc, &subnet, &switch_ns, &servers, ns, tag);
    let tables = api.ok(
        "DescribeRouteTables",
        json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
    );
    let rtb = tables["RouteTableSet"][0]["RouteTableId"]
        .as_str()
        .expect("main table")
        .to_string();
    api.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [{"DestinationCidrBlock": vip,
            "GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.5"}]}),
    );
    let stats = tempfile::NamedTempFile::new().expect("stats file");
    let stop = Arc::new(AtomicBool::new(false));
    let config = Config {
        api: api.url.trim_end_matches('/').to_string(),
        secret: api.service.internal_secret().to_string(),
        netns: switch_ns.clone(),
        ports,
        public: None,
        stats: Some(stats.path().to_path_buf()),
        gateway_mac: [2, 0xaa, 0, 0, 0, 1],
        realtime_priority: None,
    };
    let dataplane = {
        let stop = stop.clone();
        std::thread::spawn(move || run::run(config, stop))
    };
    std::thread::sleep(Duration::from_millis(500));
    for s in &servers {
        ip(&["-n", &ns(s.name), "link", "set", "eth0", "up"]);
    }
    let (a, b, c) = (ns("a"), ns("b"), ns("c"));
    ip(&["-n", &c, "route", "add", "default", "via", "172.16.16.1"]);
    std::thread::sleep(Duration::from_millis(500));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    assert!(reached, "c -> {VIP} via a");
    assert!(
        into[0] >= 4 && into[1] == 0,
        "before: a got {}, b {}",
        into[0],
        into[1]
    );
    // b announces the address again (its link going down and up): still routed to a.
    ip(&["-n", &b, "link", "set", "eth0", "down"]);
    ip(&["-n", &b, "link", "set", "eth0", "up"]);
    std::thread::sleep(Duration::from_millis(300));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    assert!(reached, "c -> {VIP} still via a");
    assert!(
        into[0] >= 4 && into[1] == 0,
        "after b's GARP: a got {}, b {}",
        into[0],
        into[1]
    );
    replace_route(&api, &rtb, "172.16.16.6");
    std::thread::sleep(Duration::from_millis(500));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    stop.store(true, Ordering::Relaxed);
    let _ = dataplane.join();
    assert!(reached, "c -> {VIP} via b");
    assert!(
        into[0] == 0 && into[1] >= 4,
        "after ReplaceRoutes: a got {}, b {}",
        into[0],
        into[1]
    );
    let counters: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).expect("stats")).expect("json");
    assert!(
        counters["counters"]["routed"]
            .as_u64()
            .is_some_and(|n| n >= 8),
        "{counters}"
    );
}
