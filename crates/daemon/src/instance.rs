//! One running virtual router: its state machine and what the daemon needs to act for it.

use crate::netlink::Netlink;
use crate::notify::Notifier;
use anyhow::{Context, Result, anyhow};
use conf::model::{Config, VirtualAddress};
use std::net::IpAddr;
use vrrp::{Family, Router};

/// A configured instance, ready to run.
pub struct Instance {
    /// Name.
    pub name: String,
    /// The state machine.
    pub router: Router,
    /// Address family.
    pub family: Family,
    /// Interface name and index.
    pub ifname: String,
    /// Interface index.
    pub ifindex: u32,
    /// Whether the interface was up at start.
    pub link_up: bool,
    /// Interface MAC, for announcements.
    pub mac: [u8; 6],
    /// Source of our adverts.
    pub primary: IpAddr,
    /// Virtual addresses with their options, and their interface index.
    pub vips: Vec<(VirtualAddress, u32)>,
    /// `virtual_ipaddress_excluded`.
    pub excluded: Vec<(VirtualAddress, u32)>,
    /// Where adverts go.
    pub destinations: Vec<IpAddr>,
    /// Notify scripts by kind (`notify_master`, ..., `notify`).
    pub scripts: Vec<(String, String)>,
    /// Script queue.
    pub notifier: Notifier,
}

/// Builds the runnable instances of a checked config, looking interfaces and addresses up.
pub async fn build(
    cfg: &Config,
    nl: &Netlink,
) -> Result<(Vec<Instance>, Vec<tokio::task::JoinHandle<()>>)> {
    let mut out = Vec::new();
    let mut tasks = Vec::new();
    for ci in &cfg.instances {
        let first = conf::effective::resolve(cfg, ci, None).map_err(|e| anyhow!(e))?;
        let ifname = ci
            .interface()
            .ok_or_else(|| anyhow!("({}) no interface", ci.name))?
            .to_string();
        let link = nl
            .link(&ifname)
            .await
            .with_context(|| format!("({}) interface", ci.name))?;
        let family = Family::of(&first.router.primary_address);
        let primary = if first.router.primary_address.is_unspecified() {
            interface_address(nl, link.index, family).await?
        } else {
            first.router.primary_address
        };
        let e = conf::effective::resolve(cfg, ci, Some(primary)).map_err(|e| anyhow!(e))?;
        let router = Router::new(e.router.clone()).map_err(|err| anyhow!("({}) {err}", ci.name))?;
        let destinations = if e.router.unicast_peers.is_empty() {
            vec![family.multicast_group()]
        } else {
            e.router.unicast_peers.iter().map(|p| p.addr).collect()
        };
        let (notifier, task) = Notifier::spawn(ci.name.clone());
        tasks.push(task);
        out.push(Instance {
            name: ci.name.clone(),
            router,
            family,
            mac: link
                .mac
                .get(..6)
                .and_then(|m| m.try_into().ok())
                .unwrap_or([0; 6]),
            ifindex: link.index,
            link_up: link.up,
            ifname,
            primary,
            vips: addresses_with_index(nl, &ci.vips, link.index, Some(family)).await?,
            excluded: addresses_with_index(nl, &ci.excluded_vips, link.index, None).await?,
            destinations,
            scripts: e.notify.clone(),
            notifier,
        });
    }
    Ok((out, tasks))
}

/// The addresses (of `only` this family, if given; mixed ones were diagnosed by the check)
/// with the index of their `dev`, or of the instance's interface.
async fn addresses_with_index(
    nl: &Netlink,
    list: &[VirtualAddress],
    default: u32,
    only: Option<Family>,
) -> Result<Vec<(VirtualAddress, u32)>> {
    let mut out = Vec::new();
    for v in list
        .iter()
        .filter(|v| only.is_none_or(|f| Family::of(&v.addr) == f))
    {
        let index = match &v.dev {
            Some(dev) => {
                nl.link(dev)
                    .await
                    .with_context(|| format!("dev {dev} of {}", v.addr))?
                    .index
            }
            None => default,
        };
        out.push((v.clone(), index));
    }
    Ok(out)
}

/// The address keepalived would advertise from: the interface's first IPv4 address, or its
/// IPv6 link-local address.
async fn interface_address(nl: &Netlink, index: u32, family: Family) -> Result<IpAddr> {
    let addrs = nl.addresses(index).await?;
    let pick = match family {
        Family::Ipv4 => addrs.iter().find(|(a, _)| a.is_ipv4()),
        Family::Ipv6 => addrs
            .iter()
            .find(|(a, _)| matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)),
    };
    pick.map(|(a, _)| *a)
        .ok_or_else(|| anyhow!("interface {index} has no {family:?} address to advertise from"))
}
