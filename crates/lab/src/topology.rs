//! The seed's VPC subnet in namespaces: a switch (a bridge in its own namespace), the servers
//! (172.16.16.5, .6, ...) and a client (172.16.16.100), each with its own `eth0`. Every name
//! starts with `hvl` and the lab id, so `down --all` finds what a crashed lab left behind.

use crate::shell::{run, run_in, sh_in};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Prefix of every namespace the lab makes.
pub const PREFIX: &str = "hvl";

/// A host on the subnet.
#[derive(Clone, Debug)]
pub struct Node {
    /// Short name, part of its namespace's: `a`, `b`, `d`, ... for servers, `c` for the client.
    pub name: String,
    /// The name reports and scenarios use: the short name, or the server's config name.
    pub label: String,
    /// Namespace.
    pub ns: String,
    /// IPv4 address without prefix length (empty on an IPv6-only lab).
    pub addr: String,
    /// IPv6 address (a /64), if the lab has IPv6.
    pub addr6: Option<String>,
    /// Its interface on the subnet.
    pub iface: String,
    /// That interface's MAC: fixed, so a rebuilt host comes back with the same one.
    pub mac: String,
}

/// A host to build: short name, label, interface, addresses.
#[derive(Clone, Debug, PartialEq)]
pub struct HostSpec {
    /// Short name (one letter; see [`server_name`]).
    pub name: String,
    /// Label.
    pub label: String,
    /// Interface name.
    pub iface: String,
    /// IPv4 address (in the lab's /24).
    pub v4: Option<std::net::Ipv4Addr>,
    /// IPv6 address (in the lab's /64).
    pub v6: Option<std::net::Ipv6Addr>,
}

/// The short name of server `k`: `a`, `b`, then `d`... (`c` is the client).
pub fn server_name(k: usize) -> String {
    let letter = if k < 2 {
        b'a' + k as u8
    } else {
        b'b' + k as u8
    };
    (letter as char).to_string()
}

impl Node {
    fn new(id: &str, spec: &HostSpec, index: u8) -> Node {
        let host = match (spec.v4, spec.v6) {
            (Some(a), _) => a.octets()[3],
            (None, Some(a)) => a.octets()[15],
            (None, None) => index,
        };
        Node {
            name: spec.name.clone(),
            label: spec.label.clone(),
            ns: format!("{PREFIX}{id}{}", spec.name),
            addr: spec.v4.map_or(String::new(), |a| a.to_string()),
            addr6: spec.v6.map(|a| a.to_string()),
            iface: spec.iface.clone(),
            mac: format!("02:68:76:6c:{index:02x}:{host:02x}"),
        }
    }
}

/// A running lab.
#[derive(Debug)]
pub struct Topology {
    /// Lab id (part of every name).
    pub id: String,
    /// The servers, primary first.
    pub servers: Vec<Node>,
    /// The client.
    pub client: Node,
    /// Scratch directory: configs, logs, state.
    pub dir: PathBuf,
    /// The switch's namespace.
    pub switch: String,
    /// Hosts beyond the subnet (the public network of the VPC lab).
    pub extra: Vec<Node>,
    /// Switch-side ports moved out of the switch's namespace (into an OVN chassis), with
    /// the namespace each is in now.
    moved: std::collections::BTreeMap<String, String>,
    bridge: bool,
    keep: bool,
}

/// A fresh lab id: short, so interface names stay under 15 characters, and random (its
/// scratch directory is made exclusively, so a guessed one can only be refused, not reused).
pub fn new_id() -> String {
    format!("{:05x}", rand::random::<u32>() & 0xfffff)
}

impl Topology {
    /// Builds the seed's subnet with `servers` servers (1-9) at 172.16.16.5, .6, ...
    pub fn up(id: &str, servers: usize) -> Result<Self> {
        if !(1..=9).contains(&servers) {
            bail!("--nodes must be 1-9, not {servers}");
        }
        let addrs: Vec<std::net::Ipv4Addr> = (0..servers)
            .map(|k| std::net::Ipv4Addr::new(172, 16, 16, 5 + k as u8))
            .collect();
        Self::up_with(id, &addrs)
    }

    /// Builds a /24 with servers at `addrs` (all in one /24) and a client at .100 (or .200 if
    /// a server has .100).
    pub fn up_with(id: &str, addrs: &[std::net::Ipv4Addr]) -> Result<Self> {
        let (servers, client) = Self::specs_v4(addrs)?;
        Self::build(id, &servers, &client, true)
    }

    /// As [`Topology::up_with`], with no bridge: the switch's ports are left to a userspace
    /// switch (the VPC data plane), in promiscuous mode, and every host routes via .1.
    pub fn up_unswitched(id: &str, addrs: &[std::net::Ipv4Addr]) -> Result<Self> {
        let (servers, client) = Self::specs_v4(addrs)?;
        Self::build(id, &servers, &client, false)
    }

    /// Builds the hosts of `servers` and `client` (the lab's placement of a set of configs):
    /// IPv4 addresses as /24s, IPv6 as /64s; on one bridge if `switched`, else with their ports
    /// left to the VPC data plane as in [`Topology::up_unswitched`].
    pub fn up_hosts(
        id: &str,
        servers: &[HostSpec],
        client: &HostSpec,
        switched: bool,
    ) -> Result<Self> {
        Self::build(id, servers, client, switched)
    }

    /// The scratch directory of lab `id`.
    pub fn dir_for(id: &str) -> PathBuf {
        std::env::temp_dir().join(format!("{PREFIX}{id}"))
    }

    fn specs_v4(addrs: &[std::net::Ipv4Addr]) -> Result<(Vec<HostSpec>, HostSpec)> {
        let Some(first) = addrs.first() else {
            bail!("a lab needs at least one server");
        };
        let net = |a: &std::net::Ipv4Addr| [a.octets()[0], a.octets()[1], a.octets()[2]];
        if let Some(other) = addrs.iter().find(|a| net(a) != net(first)) {
            bail!("{other} is not in the /24 of {first}: the lab is one subnet");
        }
        let [o1, o2, o3] = net(first);
        let client_host = if addrs.iter().any(|a| a.octets()[3] == 100) {
            200
        } else {
            100
        };
        let spec = |name: String, v4| HostSpec {
            label: name.clone(),
            name,
            iface: "eth0".into(),
            v4: Some(v4),
            v6: None,
        };
        let servers = addrs
            .iter()
            .enumerate()
            .map(|(k, a)| spec(server_name(k), *a))
            .collect();
        let client = spec("c".into(), std::net::Ipv4Addr::new(o1, o2, o3, client_host));
        Ok((servers, client))
    }

    fn build(id: &str, servers: &[HostSpec], client: &HostSpec, bridge: bool) -> Result<Self> {
        if servers.is_empty() {
            bail!("a lab needs at least one server");
        }
        if servers.len() > 9 {
            bail!("at most 9 servers, not {}", servers.len());
        }
        let switch = format!("{PREFIX}{id}sw");
        crate::scratch::check_id(id)?;
        let dir = Self::dir_for(id);
        crate::scratch::make_private(&dir)?;
        let t = Topology {
            id: id.to_string(),
            servers: servers
                .iter()
                .enumerate()
                .map(|(k, s)| Node::new(id, s, k as u8 + 1))
                .collect(),
            client: Node::new(id, client, 0xc0),
            dir,
            switch,
            extra: Vec::new(),
            moved: std::collections::BTreeMap::new(),
            bridge,
            keep: false,
        };
        // From here on, a failure tears down what was made (Drop).
        let sw = t.switch.as_str();
        run(&["ip", "netns", "add", sw])?;
        run(&["ip", "-n", sw, "link", "set", "lo", "up"])?;
        if bridge {
            run(&[
                "ip",
                "-n",
                sw,
                "link",
                "add",
                "br0",
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ])?;
            run(&["ip", "-n", sw, "link", "set", "br0", "up"])?;
        }
        let hosts: Vec<Node> = t.servers.iter().chain([&t.client]).cloned().collect();
        for h in &hosts {
            t.attach(h)?;
        }
        Ok(t)
    }

    fn attach(&self, h: &Node) -> Result<()> {
        let p = format!("{PREFIX}{}{}", self.id, h.name);
        // A fixed MAC per host (locally administered, from its address): a rebooted server
        // comes back with the same one, as a real NIC does.
        let mode: &[&str] = if self.bridge {
            &["master", "br0", "up"]
        } else {
            &["promisc", "on", "up"]
        };
        self.cable_in(&h.ns, &p, &h.iface, &h.mac, mode)?;
        let (ns, dev) = (h.ns.as_str(), h.iface.as_str());
        if !h.addr.is_empty() {
            let a = format!("{}/24", h.addr);
            run(&["ip", "-n", ns, "addr", "add", &a, "dev", dev])?;
        }
        if let Some(v6) = &h.addr6 {
            let a = format!("{v6}/64");
            run(&["ip", "-n", ns, "-6", "addr", "add", &a, "dev", dev, "nodad"])?;
        }
        if !self.bridge {
            // The data plane moves frames through packet sockets: a checksum left to the NIC
            // (veth's offload) would reach the other host unfinished.
            run_in(ns, &["ethtool", "-K", dev, "tx", "off"])
                .context("ethtool (to turn checksum offload off for the VPC's data plane)")?;
            let gw = h
                .addr
                .rsplit_once('.')
                .map_or(String::new(), |(n, _)| format!("{n}.1"));
            run(&[
                "ip", "-n", ns, "route", "add", "default", "via", &gw, "dev", "eth0",
            ])?;
        }
        Ok(())
    }

    /// Makes namespace `ns` and a veth `<p>x`/`<p>y`: `<p>x` goes into `ns` as `dev` with
    /// `mac`, `<p>y` into the switch with `mode` (`master br0 up`, `promisc on up`).
    fn cable_in(&self, ns: &str, p: &str, dev: &str, mac: &str, mode: &[&str]) -> Result<()> {
        let sw = self.switch.as_str();
        let (x, y) = (format!("{p}x"), format!("{p}y"));
        run(&["ip", "netns", "add", ns])?;
        run(&["ip", "link", "add", &x, "type", "veth", "peer", "name", &y])?;
        run(&[
            "ip", "link", "set", &x, "netns", ns, "name", dev, "address", mac,
        ])?;
        run(&["ip", "link", "set", &y, "netns", sw])?;
        let mut set = vec!["ip", "-n", sw, "link", "set", y.as_str()];
        set.extend_from_slice(mode);
        run(&set)?;
        run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
        Ok(())
    }

    /// Adds a host outside the subnet (`name`, address `addr/24`) on its own switch port: the
    /// public network of the VPC lab. Returns it; its port is `hvl<id><name>y`.
    pub fn add_outside(&mut self, name: &str, addr: &str) -> Result<Node> {
        let spec = HostSpec {
            name: name.to_string(),
            label: name.to_string(),
            iface: "eth0".into(),
            v4: addr.parse().ok(),
            v6: None,
        };
        let node = Node::new(&self.id, &spec, 0xe0 + self.extra.len() as u8);
        self.extra.push(node.clone());
        let p = format!("{PREFIX}{}{name}", self.id);
        let ns = node.ns.as_str();
        self.cable_in(ns, &p, "eth0", &node.mac, &["promisc", "on", "up"])?;
        let a = format!("{addr}/24");
        run(&["ip", "-n", ns, "addr", "add", &a, "dev", "eth0"])?;
        if !self.bridge {
            run_in(ns, &["ethtool", "-K", "eth0", "tx", "off"])
                .context("ethtool (to turn checksum offload off for the VPC's data plane)")?;
        }
        Ok(node)
    }

    /// Adds a host on the subnet's switch beside the servers (the attacker of the attack
    /// drills), at `addr/24`.
    pub fn add_on_subnet(&mut self, name: &str, addr: &str) -> Result<Node> {
        let node = self.add_outside(name, addr)?;
        if self.bridge {
            let port = self.port_of(&node);
            run(&[
                "ip",
                "-n",
                &self.switch,
                "link",
                "set",
                &port,
                "master",
                "br0",
            ])?;
        }
        Ok(node)
    }

    /// The switch-side interface of a host.
    pub fn port_of(&self, node: &Node) -> String {
        format!("{PREFIX}{}{}y", self.id, node.name)
    }

    /// Destroys a host's namespace (and everything running in it) and builds it again, as a
    /// reboot does.
    pub fn rebuild(&self, node: &Node) -> Result<()> {
        if self.is_moved(node) {
            bail!(
                "{} is plugged into an OVN chassis: a reboot rebuilds only hosts on the lab's own switch",
                node.label
            );
        }
        // The switch's end first, synchronously: a veth left behind by the namespace's
        // deletion (the kernel tears it down later) would clash with the new one's name.
        let _ = run(&["ip", "-n", &self.switch, "link", "del", &self.port_of(node)]);
        remove_namespace(&node.ns);
        self.attach(node)
    }

    /// Cuts (or restores) a host's cable at the switch.
    pub fn cable(&self, node: &Node, connected: bool) -> Result<()> {
        let state = if connected { "up" } else { "down" };
        let port = self.port_of(node);
        let ns = self.moved.get(&port).unwrap_or(&self.switch);
        run(&["ip", "-n", ns, "link", "set", &port, state])?;
        Ok(())
    }

    /// Records that `node`'s switch-side port now lives in namespace `ns` (a chassis).
    pub fn port_moved(&mut self, node: &Node, ns: &str) {
        self.moved.insert(self.port_of(node), ns.to_string());
    }

    /// Whether `node`'s switch-side port was moved out of the switch's namespace.
    pub fn is_moved(&self, node: &Node) -> bool {
        self.moved.contains_key(&self.port_of(node))
    }

    /// Whether `node` holds `addr` on any interface (a VMAC interface included).
    pub fn holds(&self, node: &Node, addr: &str) -> bool {
        sh_in(&node.ns, "ip -o addr show").is_ok_and(|out| holds_in(&out, addr))
    }

    /// Namespaces of this lab.
    pub fn namespaces(&self) -> Vec<String> {
        self.servers
            .iter()
            .chain([&self.client])
            .chain(&self.extra)
            .map(|n| n.ns.clone())
            .chain([self.switch.clone()])
            .collect()
    }

    /// Removes everything the lab made: processes in its namespaces, the namespaces (and with
    /// them every link), the scratch directory.
    pub fn down(&self) {
        crate::shell::kill_recorded(&self.dir);
        for ns in self.namespaces() {
            remove_namespace(&ns);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if !self.keep {
            self.down();
        }
    }
}

impl Topology {
    /// Leaves the lab running after this value is gone (`havip lab up`); `lab down` removes it.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

/// Whether `ip -o addr show` output lists `addr`.
pub fn holds_in(ip_addr_output: &str, addr: &str) -> bool {
    ip_addr_output
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(addr))
}

fn remove_namespace(ns: &str) {
    crate::faults::kill_all_in(ns, &[]);
    let _ = run(&["ip", "netns", "del", ns]);
}

/// Namespaces left by labs (this one's or crashed ones).
pub fn leftovers() -> Vec<String> {
    run(&["ip", "netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(PREFIX))
        .map(str::to_string)
        .collect()
}

/// The namespaces of lab `id` (left by a crash, or still running).
pub fn namespaces_of(id: &str) -> Vec<String> {
    let prefix = format!("{PREFIX}{id}");
    leftovers()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

/// `lab down ID`: removes lab `id`'s namespaces (and their processes), the processes it
/// started outside them (the VPC's control plane, an OVN fabric's central node) and its
/// scratch directory; returns the namespaces that went. An id that is not one is refused.
pub fn down_one(id: &str) -> Result<Vec<String>> {
    crate::scratch::check_id(id)?;
    let gone = namespaces_of(id);
    crate::shell::kill_recorded(&Topology::dir_for(id));
    crate::ovn::down_prefix(&crate::ovn::prefix_of_lab(id));
    for ns in &gone {
        remove_namespace(ns);
    }
    let _ = std::fs::remove_dir_all(Topology::dir_for(id));
    Ok(gone)
}

/// `lab down --all`: removes every lab namespace, the processes labs recorded in their scratch
/// directories (control planes, OVN central nodes), and those directories; returns the
/// namespaces that went.
pub fn down_all() -> Vec<String> {
    let gone = leftovers();
    let dirs: Vec<std::path::PathBuf> = std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    for dir in &dirs {
        crate::shell::kill_recorded(dir);
    }
    for ns in &gone {
        remove_namespace(ns);
    }
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
    gone
}
