//! VPC isolation on the real userspace switch (issue 29, item 6): the data plane runs in a
//! namespace of its own with four servers on veth ports; VPCs A and B use the same ranges
//! (a1 172.16.16.5, a2 .6 in A; b1 .5, b2 .7 in B). Pings reach the address in the sender's
//! VPC, and no frame reaches a server of the other VPC.

mod common;
use common::Api;
use common::netns::{Namespaces, ip, ping, received};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vpc::dataplane::run::{self, Config};

#[test]
fn two_vpcs_with_the_same_ranges_on_one_switch_exchange_no_frame() {
    if hostcheck::skip_reason("VPC isolation in namespaces", &[]).is_some() {
        return;
    }
    let api = Api::memory();
    let a = api.vpc_and_subnet("A");
    let b = api.vpc_and_subnet("B");
    let tag = std::process::id();
    let switch_ns = format!("hvsw{tag}");
    let servers = [
        ("a1", &a, "172.16.16.5", 1u8),
        ("a2", &a, "172.16.16.6", 2),
        ("b1", &b, "172.16.16.5", 3),
        ("b2", &b, "172.16.16.7", 4),
    ];
    let mut names = vec![switch_ns.clone()];
    names.extend(servers.iter().map(|(n, ..)| format!("hv{n}{tag}")));
    let _cleanup = Namespaces(names.clone());
    for ns in &names {
        ip(&["netns", "add", ns]);
        // No IPv6: the kernels' own neighbour discovery would be counted as frames.
        for key in ["all", "default"] {
            let setting = format!("net.ipv6.conf.{key}.disable_ipv6=1");
            ip(&["netns", "exec", ns, "sysctl", "-qw", &setting]);
        }
    }
    let mut ports = Vec::new();
    for (k, (name, (vpc, subnet), addr, n)) in servers.iter().enumerate() {
        let mac = format!("02:00:00:00:00:{n:02x}");
        let eni = api.ok(
            "CreateNetworkInterface",
            json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": name,
                   "PrivateIpAddresses": [{"PrivateIpAddress": addr}], "MacAddress": mac}),
        )["NetworkInterface"]["NetworkInterfaceId"]
            .as_str()
            .expect("eni")
            .to_string();
        let ns = &names[k + 1];
        let port = format!("p{name}");
        ip(&[
            "link", "add", &port, "netns", &switch_ns, "type", "veth", "peer", "name", "eth0",
            "netns", ns,
        ]);
        ip(&["-n", ns, "link", "set", "eth0", "address", &mac]);
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("{addr}/24"),
            "dev",
            "eth0",
        ]);
        ip(&["-n", ns, "link", "set", "eth0", "up"]);
        ip(&["-n", &switch_ns, "link", "set", &port, "up"]);
        ports.push((port, eni));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let config = Config {
        api: api.url.trim_end_matches('/').to_string(),
        secret: api.service.internal_secret().to_string(),
        netns: switch_ns.clone(),
        ports,
        public: None,
        stats: None,
        gateway_mac: [2, 0xaa, 0, 0, 0, 1],
        realtime_priority: None,
    };
    let dataplane = {
        let stop = stop.clone();
        std::thread::spawn(move || run::run(config, stop))
    };
    std::thread::sleep(Duration::from_millis(500));
    let ns = |name: &str| format!("hv{name}{tag}");
    let before_a1 = received(&ns("a1"));
    let before_b2 = received(&ns("b2"));
    // In B, .5 is b1: b2 reaches it, and a1 (A's .5) sees nothing.
    assert!(ping(&ns("b2"), "172.16.16.5"), "b2 -> B's .5");
    // In A, .6 is a2; .7 exists only in B.
    assert!(ping(&ns("a1"), "172.16.16.6"), "a1 -> A's .6");
    assert!(!ping(&ns("a1"), "172.16.16.7"), "a1 reached B's .7");
    assert!(!ping(&ns("a2"), "172.16.16.7"), "a2 reached B's .7");
    let into_a1 = received(&ns("a1")) - before_a1;
    let into_b2 = received(&ns("b2")) - before_b2;
    stop.store(true, Ordering::Relaxed);
    let _ = dataplane.join();
    // a1 received only a2's answers to its own pings (2 ARP replies at most + 2 echo replies),
    // none of b2's pings; b2 received only b1's answers to its own.
    assert!(into_a1 <= 4, "a1 received {into_a1} frames");
    assert!(into_b2 <= 4, "b2 received {into_b2} frames");
}
