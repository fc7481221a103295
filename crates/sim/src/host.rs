//! A simulated server's host: its interfaces (each on a LAN segment) and how its `node::Node`
//! is built, from a bare router config or from a whole keepalived.conf text.

use conf::model::Config;
use node::pacing::Pacer;
use node::tracking::Tracker;
use node::{Interfaces, Member, Node};
use std::net::IpAddr;
use vrrp::{Family, Micros, Router, RouterConfig, Timestamp};

/// One interface of a simulated server.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    /// Its name, as the config names it (`eth0`).
    pub name: String,
    /// The LAN segment it is plugged into: adverts reach only interfaces of the same segment.
    pub segment: u32,
    /// Its addresses, in order (the first IPv4 one is the default advert source).
    pub addresses: Vec<IpAddr>,
}

impl Interface {
    /// `name` on `segment` with `addresses`.
    pub fn new(name: &str, segment: u32, addresses: &[IpAddr]) -> Self {
        Interface {
            name: name.to_string(),
            segment,
            addresses: addresses.to_vec(),
        }
    }
}

/// How a server's node is (re)built at each start.
#[derive(Clone, Debug)]
pub(crate) enum Setup {
    /// One bare router, on interface `eth0`.
    Router(RouterConfig),
    /// A keepalived.conf, read by `conf`.
    Config(Box<Config>),
}

/// What the network needs to know of one instance of a server's node.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    /// Network-wide key of its instance name.
    pub key: u32,
    /// Index of its interface in the server's interfaces.
    pub iface: usize,
}

/// A simulated script or tracked process, and what it reports.
#[derive(Clone, Debug)]
pub(crate) struct Probe {
    /// The `vrrp_script` or `vrrp_track_process` name.
    pub name: String,
    /// Whether the script passes, or the process runs.
    pub ok: bool,
    /// A script's interval (zero for processes, which report changes only).
    pub interval: Micros,
}

/// Reads a keepalived.conf text as havipd does: one it would not start with is an error
/// listing its diagnostics.
pub(crate) fn read_config(text: &str) -> Result<Config, String> {
    let report = conf::check_text(text, &conf::Options::default());
    if report.runnable() {
        return Ok(report.config);
    }
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == conf::Severity::Error)
        .map(|d| d.to_string())
        .collect();
    Err(format!(
        "havipd would not start with this config:\n{}",
        errors.join("\n")
    ))
}

/// The host view `node` needs: each interface's addresses.
pub(crate) fn host_of(interfaces: &[Interface]) -> Interfaces {
    let mut h = Interfaces::default();
    for i in interfaces {
        h.addresses.insert(i.name.clone(), i.addresses.clone());
    }
    h
}

/// Builds the node of `setup` at `now`, with the interface each instance uses (by name).
pub(crate) fn build(
    setup: &Setup,
    interfaces: &[Interface],
    now: Timestamp,
) -> Result<(Node, Vec<String>), String> {
    match setup {
        Setup::Router(cfg) => {
            let router = Router::new(cfg.clone()).map_err(|e| e.to_string())?;
            let iface = interfaces
                .first()
                .map_or_else(|| "eth0".to_string(), |i| i.name.clone());
            let member = Member::new(format!("vrid-{}", cfg.vrid), router);
            let tracker = Tracker::own_interfaces_only(&[(cfg.priority, iface.as_str())]);
            let node = Node::new(vec![member], tracker, Pacer::default(), Timestamp(0));
            Ok((node, vec![iface]))
        }
        Setup::Config(cfg) => {
            let delay = conf::effective::startup_delay(cfg, Micros::from_secs(3600));
            let node = Node::from_config(cfg, &host_of(interfaces), now + delay)?;
            let ifaces = cfg
                .instances
                .iter()
                .filter(|i| i.vrid().is_some())
                .map(|i| i.interface().unwrap_or_default().to_string())
                .collect();
            Ok((node, ifaces))
        }
    }
}

/// The scripts and tracked processes of `setup`, all passing.
pub(crate) fn probes(setup: &Setup) -> Vec<Probe> {
    let Setup::Config(cfg) = setup else {
        return Vec::new();
    };
    let scripts = cfg.scripts.iter().map(|(name, s)| Probe {
        name: name.clone(),
        ok: !s.init_fail(),
        interval: Micros::from_secs(s.interval().max(1) as u64),
    });
    let processes = cfg.track_processes.keys().map(|name| Probe {
        name: name.clone(),
        ok: true,
        interval: Micros::ZERO,
    });
    scripts.chain(processes).collect()
}

/// Whether `addr` is of `family`.
pub(crate) fn is_of(addr: &IpAddr, family: Family) -> bool {
    Family::of(addr) == family
}
