//! Addresses and links over rtnetlink. The rest of the daemon sees only this module's small
//! API, so rtnetlink's frequent API changes stay here.

use anyhow::{Context, Result, anyhow};
use futures::TryStreamExt;
use rtnetlink::Handle;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags};
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
    /// VMAC) and brings it up; returns its index.
    pub async fn add_macvlan(&self, name: &str, base: u32, mac: [u8; 6]) -> Result<u32> {
        let msg = rtnetlink::LinkMacVlan::new(
            name,
            base,
            rtnetlink::packet_route::link::MacVlanMode::Private,
        )
        .address(mac.to_vec())
        .up()
        .build();
        self.handle
            .link()
            .add(msg)
            .execute()
            .await
            .with_context(|| format!("creating VMAC interface {name}"))?;
        Ok(self.link(name).await?.index)
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

    /// Adds an address (replacing an identical one, so a restart is idempotent).
    pub async fn add_address(
        &self,
        index: u32,
        addr: IpAddr,
        prefix: u8,
        label: Option<&str>,
    ) -> Result<()> {
        let mut req = self.handle.address().add(index, addr, prefix).replace();
        if let Some(l) = label {
            req.message_mut()
                .attributes
                .push(AddressAttribute::Label(l.to_string()));
        }
        if addr.is_ipv6() {
            // keepalived adds IPv6 VIPs with NODAD, so they are usable at once.
            req.message_mut().header.flags |=
                rtnetlink::packet_route::address::AddressHeaderFlags::Nodad;
        }
        req.execute()
            .await
            .with_context(|| format!("adding {addr}/{prefix}"))
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
