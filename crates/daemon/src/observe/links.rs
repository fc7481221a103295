//! Interface state from the kernel's link notifications (RTMGRP_LINK): a carrier loss or an
//! `ip link set down` is seen within milliseconds, without polling.

use super::{Observation, Reports};
use anyhow::{Context, Result};
use futures::StreamExt;
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

/// Subscribes to link notifications and reports those about `names`.
pub fn spawn(names: Vec<String>, reports: Reports) -> Result<tokio::task::JoinHandle<()>> {
    let (mut conn, _handle, mut messages) =
        rtnetlink::new_connection().context("opening rtnetlink for link events")?;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, rtnetlink::constants::RTMGRP_LINK))
        .context("subscribing to link events")?;
    tokio::spawn(conn);
    Ok(tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let (link, up) = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    let up = is_up(&l);
                    (l, up)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => (l, false),
                _ => continue,
            };
            let Some(name) = name_of(&link) else { continue };
            if names.contains(&name) && reports.send(Observation::Link { name, up }).is_err() {
                return;
            }
        }
    }))
}
