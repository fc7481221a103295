//! A secondary address moved without a HAVIP, on the real userspace switch in namespaces:
//! servers a (.5) and b (.6) both configure 172.16.16.20, which the VPC gives to a; a client
//! (.100) pings it. b announcing it (the kernel's gratuitous ARPs) moves nothing; once
//! `MigratePrivateIpAddress` gives it to b, the client's pings reach b and no longer a.

mod common;
use common::Api;
use common::netns::{Namespaces, Server, add_namespaces, ip, ping, received, wire_servers};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vpc::dataplane::run::{self, Config};

/// Echo requests and other frames `ns` receives while `client` pings .20 three times.
fn frames_into_during_ping(client: &str, watched: &[&str]) -> (bool, Vec<u64>) {
    let before: Vec<u64> = watched.iter().map(|n| received(n)).collect();
    let reached = ping(client, "172.16.16.20") && ping(client, "172.16.16.20");
    let after: Vec<u64> = watched.iter().map(|n| received(n)).collect();
    (
        reached,
        after.iter().zip(&before).map(|(a, b)| a - b).collect(),
    )
}

#[test]
fn a_secondary_address_reaches_its_new_owner_after_the_migration_only() {
    if hostcheck::skip_reason("secondary address migration in namespaces", &[]).is_some() {
        return;
    }
    let api = Api::memory();
    let (vpc, subnet) = api.vpc_and_subnet("move");
    let tag = std::process::id();
    let switch_ns = format!("hmsw{tag}");
    let servers = [
        ("a", "172.16.16.5", 1u8),
        ("b", "172.16.16.6", 2),
        ("c", "172.16.16.100", 3),
    ];
    let ns = |name: &str| format!("hm{name}{tag}");
    let mut names = vec![switch_ns.clone()];
    names.extend(servers.iter().map(|(n, ..)| ns(n)));
    let _cleanup = Namespaces(names.clone());
    add_namespaces(&names);
    let wired: Vec<Server<'_>> = servers
        .iter()
        .map(|&(name, addr, k)| Server {
            name,
            addr,
            k,
            // Both a and b hold .20 as a secondary address; the kernel announces each
            // address with gratuitous ARPs when the link comes up (arp_notify).
            extra: (name != "c").then_some("172.16.16.20/24"),
        })
        .collect();
    let (ports, enis) = wire_servers(&api, &vpc, &subnet, &switch_ns, &wired, ns, tag);
    api.ok(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": enis[0], "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.20"}]}),
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
    for (name, ..) in servers {
        ip(&["-n", &ns(name), "link", "set", "eth0", "up"]);
    }
    std::thread::sleep(Duration::from_millis(500));
    let (a, b, c) = (ns("a"), ns("b"), ns("c"));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    assert!(reached, "c -> .20 on a");
    assert!(
        into[0] >= 4 && into[1] == 0,
        "before: a got {}, b {}",
        into[0],
        into[1]
    );
    // b announces .20 again (its link going down and up): still a's.
    ip(&["-n", &b, "link", "set", "eth0", "down"]);
    ip(&["-n", &b, "link", "set", "eth0", "up"]);
    std::thread::sleep(Duration::from_millis(300));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    assert!(reached, "c -> .20 still on a");
    assert!(
        into[0] >= 4 && into[1] == 0,
        "after b's GARP: a got {}, b {}",
        into[0],
        into[1]
    );
    api.ok(
        "MigratePrivateIpAddress",
        json!({"SourceNetworkInterfaceId": enis[0], "DestinationNetworkInterfaceId": enis[1],
               "PrivateIpAddress": "172.16.16.20"}),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (reached, into) = frames_into_during_ping(&c, &[&a, &b]);
    stop.store(true, Ordering::Relaxed);
    let _ = dataplane.join();
    assert!(reached, "c -> .20 on b");
    assert!(
        into[0] == 0 && into[1] >= 4,
        "after the migration: a got {}, b {}",
        into[0],
        into[1]
    );
    let counters: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).expect("stats")).expect("json");
    let refused = &counters["counters"]["drop: GARP for an address the port does not own"];
    assert!(
        refused.as_u64().is_some_and(|n| n >= 1),
        "b's GARPs: {counters}"
    );
}
