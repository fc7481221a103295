//! A node built from a configuration and a description of its host, with no system call: the
//! way a simulator makes the nodes of many hosts from their keepalived.conf files.

use crate::pacing::Pacer;
use crate::tracking::Tracker;
use crate::{Member, Node};
use conf::effective::Source;
use conf::model::Config;
use std::collections::BTreeMap;
use std::net::IpAddr;
use vrrp::{Family, Router, Timestamp};

/// What a node needs to know of its host's interfaces.
pub trait Host {
    /// The address an instance on `interface` advertises from when the configuration names
    /// none: keepalived takes the interface's first IPv4 address, or its IPv6 link-local one.
    fn source_address(&self, interface: &str, family: Family) -> Option<IpAddr>;
}

/// A host described by its interfaces' addresses, in the order the interface holds them.
#[derive(Clone, Debug, Default)]
pub struct Interfaces {
    /// Addresses by interface name.
    pub addresses: BTreeMap<String, Vec<IpAddr>>,
}

impl Host for Interfaces {
    fn source_address(&self, interface: &str, family: Family) -> Option<IpAddr> {
        conf::effective::interface_source(family, self.addresses.get(interface)?)
    }
}

impl Node {
    /// The node of `cfg`'s runnable instances (those with a VRID) on `host`, its instances
    /// started before `startup_until` waiting until then. An instance that does not resolve
    /// (no address to advertise from, settings a router refuses) is an error naming it.
    pub fn from_config(
        cfg: &Config,
        host: &impl Host,
        startup_until: Timestamp,
    ) -> Result<Node, String> {
        let runnable: Vec<_> = cfg
            .instances
            .iter()
            .filter(|i| i.vrid().is_some())
            .collect();
        let mut members = Vec::with_capacity(runnable.len());
        for ci in &runnable {
            let primary = match conf::effective::advertises_from(ci) {
                Source::Configured(a) => a,
                Source::Interface(family) => {
                    let ifname = ci.interface().unwrap_or_default();
                    host.source_address(ifname, family).ok_or_else(|| {
                        format!(
                            "({}) interface {ifname} has no {family:?} address to advertise from",
                            ci.name
                        )
                    })?
                }
            };
            let e = conf::effective::resolve(cfg, ci, Some(primary))?;
            let router = Router::new(e.router).map_err(|err| format!("({}) {err}", ci.name))?;
            members.push(Member::new(ci.name.clone(), router));
        }
        let tracker = Tracker::new(cfg, &runnable);
        Ok(Node::new(members, tracker, Pacer::new(cfg), startup_until))
    }
}
