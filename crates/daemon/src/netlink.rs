//! Addresses and links over rtnetlink. The rest of the daemon sees only this module's small
//! API, so rtnetlink's frequent API changes stay here.

use anyhow::{Context, Result, anyhow};
use conf::routes::{Prefix, RouteKind, RouteSpec, RuleSpec};
use futures::TryStreamExt;
use rtnetlink::Handle;
use rtnetlink::RouteMessageBuilder;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags};
use rtnetlink::packet_route::route::{RouteMessage, RouteType};
use rtnetlink::packet_route::rule::{RuleAction, RuleMessage};
use std::net::IpAddr;

/// A connection to the kernel's routing netlink.
#[derive(Clone)]
pub struct Netlink {
    handle: Handle,
}

/// What the daemon needs to know about an interface.
#[derive(Clone, Debug)]
pub struct Link {
    /// Index.
    pub index: u32,
    /// MAC address (empty for interfaces without one).
    pub mac: Vec<u8>,
    /// Administratively and operationally up.
    pub up: bool,
}

impl Netlink {
    /// Opens the connection; its I/O task runs on the current tokio runtime.
    pub fn connect() -> Result<Self> {
        let (conn, handle, _) = rtnetlink::new_connection().context("opening rtnetlink")?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// Looks an interface up by name.
    pub async fn link(&self, name: &str) -> Result<Link> {
        let mut links = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        let msg = links
            .try_next()
            .await
            .with_context(|| format!("interface {name}"))?
            .ok_or_else(|| anyhow!("interface {name} not found"))?;
        let mac = msg
            .attributes
            .iter()
            .find_map(|a| {
                if let LinkAttribute::Address(m) = a {
                    Some(m.clone())
                } else {
                    None
                }
            })
            .unwrap_or_default();
        let up = msg.header.flags.contains(LinkFlags::Up)
            && msg.header.flags.contains(LinkFlags::LowerUp);
        Ok(Link {
            index: msg.header.index,
            mac,
            up,
        })
    }

    /// Looks an interface up by name; `None` if it does not exist.
    pub async fn find_link(&self, name: &str) -> Result<Option<Link>> {
        match self.link(name).await {
            Ok(l) => Ok(Some(l)),
            Err(e) => {
                let missing = e.chain().any(|c| {
                    c.downcast_ref::<rtnetlink::Error>().is_some_and(|n| {
                        matches!(n, rtnetlink::Error::NetlinkError(m) if m.raw_code() == -libc::ENODEV)
                    })
                }) || e.to_string().ends_with("not found");
                if missing { Ok(None) } else { Err(e) }
            }
        }
    }

    /// Creates a macvlan interface `name` on `base` with `mac` (private mode, as keepalived's
    /// VMAC), down; returns its index.
    pub async fn add_macvlan(&self, name: &str, base: u32, mac: [u8; 6]) -> Result<u32> {
        let msg = rtnetlink::LinkMacVlan::new(
            name,
            base,
            rtnetlink::packet_route::link::MacVlanMode::Private,
        )
        .address(mac.to_vec())
        .build();
        self.handle
            .link()
            .add(msg)
            .execute()
            .await
            .with_context(|| format!("creating VMAC interface {name}"))?;
        Ok(self.link(name).await?.index)
    }

    /// Brings an interface up.
    pub async fn set_up(&self, index: u32) -> Result<()> {
        let msg = rtnetlink::LinkUnspec::new_with_index(index).up().build();
        self.handle
            .link()
            .set(msg)
            .execute()
            .await
            .with_context(|| format!("bringing interface {index} up"))
    }

    /// Adds an IPv6 link-local address (/64, no duplicate detection, so it is usable at once).
    pub async fn add_link_local(&self, index: u32, addr: std::net::Ipv6Addr) -> Result<()> {
        let mut req = self
            .handle
            .address()
            .add(index, IpAddr::V6(addr), 64)
            .replace();
        req.message_mut().header.flags |=
            rtnetlink::packet_route::address::AddressHeaderFlags::Nodad;
        req.execute()
            .await
            .with_context(|| format!("adding {addr}/64"))
    }

    /// Deletes an interface.
    pub async fn del_link(&self, index: u32) -> Result<()> {
        self.handle
            .link()
            .del(index)
            .execute()
            .await
            .with_context(|| format!("deleting interface {index}"))
    }

    /// Addresses configured on an interface, with prefix lengths.
    pub async fn addresses(&self, index: u32) -> Result<Vec<(IpAddr, u8)>> {
        let mut out = Vec::new();
        let mut stream = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute();
        while let Some(msg) = stream.try_next().await? {
            if let Some(a) = address_of(&msg) {
                out.push((a, msg.header.prefix_len));
            }
        }
        Ok(out)
    }

    /// Adds a virtual address with its options (replacing an identical one, so a restart is
    /// idempotent).
    pub async fn add_address(&self, index: u32, v: &conf::model::VirtualAddress) -> Result<()> {
        let (addr, prefix) = (v.addr, v.prefix);
        let mut req = self.handle.address().add(index, addr, prefix).replace();
        let msg = req.message_mut();
        if let Some(l) = &v.label {
            msg.attributes.push(AddressAttribute::Label(l.clone()));
        }
        if let Some(IpAddr::V4(b)) = v.broadcast {
            msg.attributes
                .retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
            msg.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(scope) = v.scope {
            msg.header.scope = scope.into();
        }
        if addr.is_ipv6() {
            // keepalived adds IPv6 VIPs with NODAD, so they are usable at once.
            msg.header.flags |= rtnetlink::packet_route::address::AddressHeaderFlags::Nodad;
        }
        req.execute()
            .await
            .with_context(|| format!("adding {addr}/{prefix}"))
    }

    fn route_message(&self, r: &RouteSpec, index: Option<u32>) -> Result<RouteMessage> {
        let to = r.to;
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(to.addr, to.len)
            .map_err(|e| anyhow!("{e}"))?;
        if let Some(v) = r.via {
            b = b.gateway(v).map_err(|e| anyhow!("{e}"))?;
        }
        if let Some(s) = r.src {
            b = b.pref_source(s).map_err(|e| anyhow!("{e}"))?;
        }
        if let Some(i) = index {
            b = b.output_interface(i);
        }
        if let Some(t) = r.table {
            b = b.table_id(t);
        }
        if let Some(m) = r.metric {
            b = b.priority(m);
        }
        if let Some(sc) = r.scope {
            b = b.scope(sc.into());
        }
        if r.onlink {
            b = b.onlink();
        }
        match r.kind {
            Some(RouteKind::Blackhole) => b = b.kind(RouteType::BlackHole),
            Some(RouteKind::Unreachable) => b = b.kind(RouteType::Unreachable),
            Some(RouteKind::Prohibit) => b = b.kind(RouteType::Prohibit),
            None => {}
        }
        Ok(b.build())
    }

    /// Installs a `virtual_routes` route (on `index` unless it is a blackhole-like route).
    pub async fn add_route(&self, r: &RouteSpec, index: Option<u32>) -> Result<()> {
        let msg = self.route_message(r, index)?;
        self.handle
            .route()
            .add(msg)
            .replace()
            .execute()
            .await
            .with_context(|| format!("adding route {r:?}"))
    }

    /// Removes a `virtual_routes` route; absent is not an error.
    pub async fn del_route(&self, r: &RouteSpec, index: Option<u32>) -> Result<()> {
        let msg = self.route_message(r, index)?;
        match self.handle.route().del(msg).execute().await {
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -libc::ESRCH => Ok(()),
            other => other.with_context(|| format!("removing route {r:?}")),
        }
    }

    fn rule_message(&self, r: &RuleSpec) -> RuleMessage {
        let ipv6 = r.ipv6;
        let mut req = self.handle.rule().add().action(RuleAction::ToTable);
        if let Some(t) = r.table {
            req = req.table_id(t);
        }
        if let Some(p) = r.priority {
            req = req.priority(p);
        }
        if let Some(m) = r.fwmark {
            req = req.fw_mark(m);
        }
        if let Some(i) = &r.iif {
            req = req.input_interface(i.clone());
        }
        if let Some(o) = &r.oif {
            req = req.output_interface(o.clone());
        }
        let mut msg = if ipv6 {
            let mut q = req.v6();
            if let Some(Prefix {
                addr: IpAddr::V6(a),
                len,
            }) = r.from
            {
                q = q.source_prefix(a, len);
            }
            if let Some(Prefix {
                addr: IpAddr::V6(a),
                len,
            }) = r.to
            {
                q = q.destination_prefix(a, len);
            }
            q.message_mut().clone()
        } else {
            let mut q = req.v4();
            if let Some(Prefix {
                addr: IpAddr::V4(a),
                len,
            }) = r.from
            {
                q = q.source_prefix(a, len);
            }
            if let Some(Prefix {
                addr: IpAddr::V4(a),
                len,
            }) = r.to
            {
                q = q.destination_prefix(a, len);
            }
            q.message_mut().clone()
        };
        if r.table.is_some_and(|t| t > 255) {
            msg.header.table = 0;
        }
        msg
    }

    /// Installs a `virtual_rules` rule.
    pub async fn add_rule(&self, r: &RuleSpec) -> Result<()> {
        let msg = self.rule_message(r);
        let mut req = self.handle.rule().add();
        *req.message_mut() = msg;
        req.execute()
            .await
            .with_context(|| format!("adding rule {r:?}"))
    }

    /// Removes a `virtual_rules` rule; absent is not an error.
    pub async fn del_rule(&self, r: &RuleSpec) -> Result<()> {
        let msg = self.rule_message(r);
        match self.handle.rule().del(msg).execute().await {
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -libc::ENOENT => Ok(()),
            other => other.with_context(|| format!("removing rule {r:?}")),
        }
    }

    /// Removes an address if present; absent is not an error.
    pub async fn del_address(&self, index: u32, addr: IpAddr) -> Result<bool> {
        let mut stream = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .set_address_filter(addr)
            .execute();
        let mut removed = false;
        while let Some(msg) = stream.try_next().await? {
            if address_of(&msg) == Some(addr) {
                self.handle
                    .address()
                    .del(msg)
                    .execute()
                    .await
                    .with_context(|| format!("removing {addr}"))?;
                removed = true;
            }
        }
        Ok(removed)
    }
}

fn address_of(msg: &AddressMessage) -> Option<IpAddr> {
    let local = msg.attributes.iter().find_map(|a| {
        if let AddressAttribute::Local(ip) = a {
            Some(*ip)
        } else {
            None
        }
    });
    local.or_else(|| {
        msg.attributes.iter().find_map(|a| {
            if let AddressAttribute::Address(ip) = a {
                Some(*ip)
            } else {
                None
            }
        })
    })
}
