//! What a lab runs: servers with their configs, addresses and interface, and the VIPs to probe.
//! The seed pair, or the keepalived.conf files of a directory placed on a subnet derived from
//! them (see [`crate::placement`]).

use crate::seeds;
use crate::topology::{HostSpec, server_name};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// A server of the lab.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Where its host is built: short name, label, interface, addresses.
    pub host: HostSpec,
    /// The config its daemon runs (with the lab's script substitutions).
    pub config: String,
    /// The file it came from (none for the seed pair).
    pub source: Option<PathBuf>,
}

/// A VIP to probe.
#[derive(Clone, Debug, PartialEq)]
pub struct Vip {
    /// The address.
    pub addr: IpAddr,
    /// The instance that holds it (`VI_1`).
    pub instance: String,
}

/// Servers, client and VIPs of one lab.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// The servers, in the order the daemons start.
    pub members: Vec<Member>,
    /// The client (probes every VIP).
    pub client: HostSpec,
    /// The VIPs, in config order, each once.
    pub vips: Vec<Vip>,
    /// What the lab changed or assumed, for the operator (`file:line: ...`).
    pub notes: Vec<String>,
}

impl Cluster {
    /// The seed pair: `a` (172.16.16.5, the primary) and `b` (.6), the seed's VIP, a client at
    /// .100.
    pub fn seed() -> Cluster {
        let host = |k: usize, last: u8| HostSpec {
            name: server_name(k),
            label: server_name(k),
            iface: "eth0".into(),
            v4: Some(Ipv4Addr::new(172, 16, 16, last)),
            v6: None,
        };
        let member = |k: usize, last: u8, config: &str| Member {
            host: host(k, last),
            config: config.to_string(),
            source: None,
        };
        Cluster {
            members: vec![member(0, 5, seeds::PRIMARY), member(1, 6, seeds::SECONDARY)],
            client: HostSpec {
                name: "c".into(),
                label: "c".into(),
                ..host(0, 100)
            },
            vips: vec![Vip {
                addr: IpAddr::V4(seeds::VIP.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)),
                instance: "VI_1".into(),
            }],
            notes: Vec::new(),
        }
    }

    /// The servers' labels, in order.
    pub fn labels(&self) -> Vec<String> {
        self.members.iter().map(|m| m.host.label.clone()).collect()
    }

    /// The configs, in order.
    pub fn configs(&self) -> Vec<String> {
        self.members.iter().map(|m| m.config.clone()).collect()
    }

    /// Whether this is the seed pair (the simulator can run it).
    pub fn is_seed(&self) -> bool {
        self.members.iter().all(|m| m.source.is_none())
    }
}
