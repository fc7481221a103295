//! Namespaces for the data plane's tests: `ip` commands, cleanup, counters and pings.

use std::process::Command;

/// Runs `ip ARGS`, failing the test with its stderr.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The switch's namespace and the servers', removed (with their veths) when dropped.
pub struct Namespaces(pub Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Packets `ns`'s eth0 received.
pub fn received(ns: &str) -> u64 {
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "cat",
            "/sys/class/net/eth0/statistics/rx_packets",
        ])
        .output()
        .expect("rx_packets");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count")
}

pub fn ping(ns: &str, to: &str) -> bool {
    Command::new("ip")
        .args([
            "netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", to,
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A server of a namespace lab: its name, primary address, MAC suffix and an extra address
/// it configures on eth0 (announced with gratuitous ARPs when the link comes up).
pub struct Server<'a> {
    pub name: &'a str,
    pub addr: &'a str,
    pub k: u8,
    pub extra: Option<&'a str>,
}

/// Registers each server as an ENI of `subnet` and wires it to `switch_ns` (namespace
/// `ns_of(name)`, eth0 down until the data plane runs); returns the switch's ports
/// (`IFNAME`, ENI) and the ENIs.
pub fn wire_servers(
    api: &super::Api,
    vpc: &str,
    subnet: &str,
    switch_ns: &str,
    servers: &[Server<'_>],
    ns_of: impl Fn(&str) -> String,
    tag: u32,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut ports = Vec::new();
    let mut enis = Vec::new();
    for s in servers {
        let mac = format!("02:00:00:00:01:{:02x}", s.k);
        let eni = api.ok(
            "CreateNetworkInterface",
            serde_json::json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": s.name,
                   "PrivateIpAddresses": [{"PrivateIpAddress": s.addr}], "MacAddress": mac}),
        )["NetworkInterface"]["NetworkInterfaceId"]
            .as_str()
            .expect("eni")
            .to_string();
        let server = ns_of(s.name);
        let port = format!("m{}{tag}", s.name);
        ip(&[
            "link", "add", &port, "netns", switch_ns, "type", "veth", "peer", "name", "eth0",
            "netns", &server,
        ]);
        ip(&["-n", &server, "link", "set", "eth0", "address", &mac]);
        let cidr = format!("{}/24", s.addr);
        ip(&["-n", &server, "addr", "add", &cidr, "dev", "eth0"]);
        if let Some(extra) = s.extra {
            ip(&["-n", &server, "addr", "add", extra, "dev", "eth0"]);
            let notify = "net.ipv4.conf.eth0.arp_notify=1";
            ip(&["netns", "exec", &server, "sysctl", "-qw", notify]);
        }
        ip(&["-n", switch_ns, "link", "set", &port, "up"]);
        ports.push((port, eni.clone()));
        enis.push(eni);
    }
    (ports, enis)
}

/// Adds the namespaces, IPv6 off in each.
pub fn add_namespaces(names: &[String]) {
    for n in names {
        ip(&["netns", "add", n]);
        for key in ["all", "default"] {
            let setting = format!("net.ipv6.conf.{key}.disable_ipv6=1");
            ip(&["netns", "exec", n, "sysctl", "-qw", &setting]);
        }
    }
}
