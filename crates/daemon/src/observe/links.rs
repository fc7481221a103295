//! Interface state from the kernel's link notifications (RTMGRP_LINK): a carrier loss, an
//! `ip link set down` or an interface deleted and re-created is seen within milliseconds,
//! without polling. Address notifications (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) on the
//! watched interfaces are passed on too: a re-created interface whose address comes after its
//! link is resolved then.

use super::{Observation, Reports};
use anyhow::{Context, Result};
use futures::{StreamExt, TryStreamExt};
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::sys::{AsyncSocket, SocketAddr};
use std::collections::HashMap;

/// Whether a link message says the interface is up and has carrier.
pub fn is_up(msg: &LinkMessage) -> bool {
    msg.header.flags.contains(LinkFlags::Up) && msg.header.flags.contains(LinkFlags::LowerUp)
}

fn name_of(msg: &LinkMessage) -> Option<String> {
    msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    })
}

/// Link and address notifications.
const GROUPS: u32 = rtnetlink::constants::RTMGRP_LINK
    | rtnetlink::constants::RTMGRP_IPV4_IFADDR
    | rtnetlink::constants::RTMGRP_IPV6_IFADDR;

/// Subscribes to link notifications and reports those about `names`: first the state of each
/// (read once subscribed, so no change falls between the two; an absent interface is down),
/// then every change.
pub fn spawn(names: Vec<String>, reports: Reports) -> Result<tokio::task::JoinHandle<()>> {
    let (mut conn, handle, mut messages) =
        rtnetlink::new_connection().context("opening rtnetlink for link events")?;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, GROUPS))
        .context("subscribing to link events")?;
    tokio::spawn(conn);
    Ok(tokio::spawn(async move {
        let mut watch = Watch {
            names,
            reports,
            names_by_index: HashMap::new(),
        };
        let mut seen = Vec::new();
        let mut dump = handle.link().get().execute();
        while let Ok(Some(link)) = dump.try_next().await {
            seen.extend(name_of(&link));
            if !watch.link(&link, is_up(&link), false) {
                return;
            }
        }
        if !watch.absent(&seen) {
            return;
        }
        while let Some((msg, _)) = messages.next().await {
            let sent = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    watch.link(&l, is_up(&l), false)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                    watch.link(&l, false, true)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => {
                    watch.address(a.header.index)
                }
                _ => true,
            };
            if !sent {
                return;
            }
        }
    }))
}

/// What the watcher reports, and the names of the interfaces it has seen by index (address
/// notifications carry only the index).
struct Watch {
    names: Vec<String>,
    reports: Reports,
    names_by_index: HashMap<u32, String>,
}

impl Watch {
    /// Reports a link message about a watched interface; `false` once no one listens.
    fn link(&mut self, link: &LinkMessage, up: bool, deleted: bool) -> bool {
        let Some(name) = name_of(link) else {
            return true;
        };
        if deleted {
            self.names_by_index.remove(&link.header.index);
        } else {
            self.names_by_index.insert(link.header.index, name.clone());
        }
        let index = (!deleted).then_some(link.header.index);
        !self.names.contains(&name)
            || self
                .reports
                .send(Observation::Link { name, up, index })
                .is_ok()
    }

    /// Reports the watched interfaces the first dump did not list as down and absent.
    fn absent(&self, seen: &[String]) -> bool {
        self.names.iter().filter(|n| !seen.contains(n)).all(|name| {
            let absent = Observation::Link {
                name: name.clone(),
                up: false,
                index: None,
            };
            self.reports.send(absent).is_ok()
        })
    }

    /// Reports an address added to a watched interface.
    fn address(&self, index: u32) -> bool {
        match self.names_by_index.get(&index) {
            Some(name) if self.names.contains(name) => self
                .reports
                .send(Observation::Address {
                    name: name.clone(),
                    index,
                })
                .is_ok(),
            _ => true,
        }
    }
}
