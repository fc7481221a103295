//! What makes an instance the same one across a reload: compared as typed values, so a reload
//! restarts exactly the instances whose effective configuration changed (not where a line moved).

use conf::model::{ScriptCmd, VirtualAddress};
use conf::routes::{RouteSpec, RuleSpec};
use std::net::IpAddr;
use vrrp::RouterConfig;

/// A virtual address as installed: its options and interface, not where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledAddress {
    addr: IpAddr,
    prefix: u8,
    broadcast: Option<IpAddr>,
    dev: Option<String>,
    scope: Option<u8>,
    label: Option<String>,
    no_track: bool,
    options: Vec<String>,
    ifindex: u32,
}

impl InstalledAddress {
    fn of((v, ifindex): &(VirtualAddress, u32)) -> Self {
        InstalledAddress {
            addr: v.addr,
            prefix: v.prefix,
            broadcast: v.broadcast,
            dev: v.dev.clone(),
            scope: v.scope,
            label: v.label.clone(),
            no_track: v.no_track,
            options: v.options.clone(),
            ifindex: *ifindex,
        }
    }
}

/// Everything that, changed by a reload, makes an instance start afresh. `auth_hmac` is not
/// part of it: keys and modes change in place, without a flap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The router's configuration.
    pub router: RouterConfig,
    /// Its interface.
    pub ifname: String,
    /// Its addresses, as installed (see [`installed`]).
    pub addresses: Vec<InstalledAddress>,
    /// Where adverts go.
    pub destinations: Vec<IpAddr>,
    /// Notify scripts by kind.
    pub notify: Vec<(conf::model::NotifyKind, ScriptCmd)>,
    /// Its VMAC.
    pub vmac: Option<Vmac>,
    /// Where adverts leave.
    pub xmit_index: u32,
    /// `virtual_routes` with their interface index.
    pub routes: Vec<(RouteSpec, Option<u32>)>,
    /// `virtual_rules`.
    pub rules: Vec<RuleSpec>,
}

/// Addresses with their interface index, as the identity compares them.
pub fn installed<'a>(
    addresses: impl IntoIterator<Item = &'a (VirtualAddress, u32)>,
) -> Vec<InstalledAddress> {
    addresses.into_iter().map(InstalledAddress::of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(line: u32, label: Option<&str>) -> (VirtualAddress, u32) {
        let v = VirtualAddress {
            addr: "10.0.0.100".parse().expect("address"),
            prefix: 32,
            broadcast: None,
            dev: None,
            scope: None,
            label: label.map(String::from),
            no_track: false,
            options: Vec::new(),
            loc: conf::Location {
                file: "keepalived.conf".into(),
                line,
                col: 9,
            },
        };
        (v, 2)
    }

    #[test]
    fn a_moved_line_keeps_the_identity_a_changed_option_does_not() {
        let here = installed(&[vip(10, None)]);
        assert_eq!(here, installed(&[vip(12, None)]));
        assert_ne!(here, installed(&[vip(10, Some("eth0:vip"))]));
    }
}

/// A VMAC interface: a macvlan with the VRRP virtual MAC, holding the VIPs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vmac {
    /// Its name (`vrrp.<VRID>` unless `use_vmac NAME`).
    pub name: String,
    /// Its index.
    pub index: u32,
    /// 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6).
    pub mac: [u8; 6],
}
