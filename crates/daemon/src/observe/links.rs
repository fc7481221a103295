//! Interface state from the kernel's link notifications (RTMGRP_LINK): a carrier loss, an
//! `ip link set down` or an interface deleted and re-created is seen within milliseconds,
//! without polling.

use super::{Observation, Reports};
use anyhow::{Context, Result};
use futures::{StreamExt, TryStreamExt};
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::sys::{AsyncSocket, SocketAddr};

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

/// Subscribes to link notifications and reports those about `names`: first the state of each
/// (read once subscribed, so no change falls between the two; an absent interface is down),
/// then every change.
pub fn spawn(names: Vec<String>, reports: Reports) -> Result<tokio::task::JoinHandle<()>> {
    let (mut conn, handle, mut messages) =
        rtnetlink::new_connection().context("opening rtnetlink for link events")?;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, rtnetlink::constants::RTMGRP_LINK))
        .context("subscribing to link events")?;
    tokio::spawn(conn);
    Ok(tokio::spawn(async move {
        let send = |link: &LinkMessage, up: bool, deleted: bool| {
            let Some(name) = name_of(link) else {
                return true;
            };
            let index = (!deleted).then_some(link.header.index);
            !names.contains(&name) || reports.send(Observation::Link { name, up, index }).is_ok()
        };
        let mut seen = Vec::new();
        let mut dump = handle.link().get().execute();
        while let Ok(Some(link)) = dump.try_next().await {
            seen.extend(name_of(&link));
            if !send(&link, is_up(&link), false) {
                return;
            }
        }
        for name in names.iter().filter(|n| !seen.contains(n)) {
            let absent = Observation::Link {
                name: name.clone(),
                up: false,
                index: None,
            };
            if reports.send(absent).is_err() {
                return;
            }
        }
        while let Some((msg, _)) = messages.next().await {
            let sent = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    send(&l, is_up(&l), false)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                    send(&l, false, true)
                }
                _ => true,
            };
            if !sent {
                return;
            }
        }
    }))
}
