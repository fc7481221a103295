//! The event loop: packets, timers and signals in; adverts, addresses, announcements,
//! notifications and state files out. Single-threaded: one router's work never races another's.

use crate::announce;
use crate::clock::Clock;
use crate::instance::Instance;
use crate::netlink::Netlink;
use crate::packet_socket::PacketSender;
use crate::sockets::{RecvError, VrrpSocket};
use crate::state_files::StateFiles;
use anyhow::Result;
use std::net::IpAddr;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{debug, info, warn};
use vrrp::{Action, Advert, ChecksumMode, Event, Family, Notify};

/// Everything the loop drives.
pub struct Daemon {
    /// Instances.
    pub instances: Vec<Instance>,
    /// Kernel addresses.
    pub netlink: Netlink,
    /// Frame sender for GARP / NA.
    pub packets: PacketSender,
    /// State directory.
    pub state: StateFiles,
    /// Clock.
    pub clock: Clock,
    /// Packets that were not VRRP adverts for any instance, or malformed.
    pub dropped_packets: u64,
}

/// Runs until SIGTERM or SIGINT, then resigns every master and returns.
pub async fn run(
    mut d: Daemon,
    sock4: Option<VrrpSocket>,
    sock6: Option<VrrpSocket>,
) -> Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    for i in &d.instances {
        let sock = if i.family == Family::Ipv4 {
            &sock4
        } else {
            &sock6
        };
        if let Some(s) = sock
            && i.destinations.iter().any(|a| a.is_multicast())
        {
            s.join(i.family.multicast_group(), i.ifindex)?;
        }
    }
    d.remove_leftovers().await;
    let now = d.clock.now();
    for k in 0..d.instances.len() {
        let i = &mut d.instances[k];
        info!(instance = %i.name, interface = %i.ifname, source = %i.primary, vrid = i.router.config().vrid, "starting");
        if !i.link_up {
            i.router.handle(now, Event::InterfaceDown);
        }
        let actions = d.instances[k].router.handle(now, Event::Startup);
        d.apply(k, actions, &sock4, &sock6).await;
    }
    let mut buf = vec![0u8; 65536];
    loop {
        let deadline = d
            .instances
            .iter()
            .filter_map(|i| i.router.next_deadline())
            .min();
        let sleep = tokio::time::sleep_until(deadline.map_or_else(
            || tokio::time::Instant::now() + std::time::Duration::from_secs(3600),
            |t| d.clock.instant(t),
        ));
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            r = readable(&sock4) => { r?; d.drain(&sock4, &sock6, Family::Ipv4, &mut buf).await; }
            r = readable(&sock6) => { r?; d.drain(&sock4, &sock6, Family::Ipv6, &mut buf).await; }
            _ = sleep => {
                let now = d.clock.now();
                for k in 0..d.instances.len() {
                    if d.instances[k].router.next_deadline().is_some_and(|t| t <= now) {
                        let actions = d.instances[k].router.handle(now, Event::Timer);
                        d.apply(k, actions, &sock4, &sock6).await;
                    }
                }
            }
        }
    }
    info!("shutting down: masters resign with priority 0");
    let now = d.clock.now();
    for k in 0..d.instances.len() {
        let actions = d.instances[k].router.handle(now, Event::Shutdown);
        d.apply(k, actions, &sock4, &sock6).await;
    }
    Ok(())
}

async fn readable(sock: &Option<VrrpSocket>) -> std::io::Result<()> {
    match sock {
        Some(s) => {
            let mut guard = s.readable().await?;
            guard.clear_ready();
            Ok(())
        }
        None => std::future::pending().await,
    }
}

impl Daemon {
    async fn drain(
        &mut self,
        sock4: &Option<VrrpSocket>,
        sock6: &Option<VrrpSocket>,
        family: Family,
        buf: &mut [u8],
    ) {
        let Some(sock) = (if family == Family::Ipv4 { sock4 } else { sock6 }) else {
            return;
        };
        loop {
            let pkt = match sock.try_recv(buf) {
                Ok(p) => p,
                Err(RecvError::Empty) => return,
                Err(RecvError::Malformed(why)) => {
                    self.dropped_packets += 1;
                    debug!(%why, "dropped malformed packet");
                    continue;
                }
                Err(RecvError::Io(e)) => {
                    warn!(error = %e, "receive error");
                    return;
                }
            };
            let advert = match Advert::decode(&pkt.payload, &pkt.addrs) {
                Ok(d) => d.advert,
                Err(e) => {
                    self.dropped_packets += 1;
                    debug!(src = %pkt.addrs.src, error = %e, "dropped invalid VRRP packet");
                    continue;
                }
            };
            let multicast = pkt.addrs.dst.is_multicast();
            let target = self.instances.iter().position(|i| {
                i.router.config().vrid == advert.vrid
                    && Family::of(&i.primary) == family
                    && (i.ifindex == pkt.ifindex || !multicast)
            });
            let Some(k) = target else {
                self.dropped_packets += 1;
                debug!(src = %pkt.addrs.src, vrid = advert.vrid, "advert for no instance of ours");
                continue;
            };
            let now = self.clock.now();
            let actions = self.instances[k].router.handle(
                now,
                Event::Advert {
                    src: pkt.addrs.src,
                    ttl: pkt.ttl,
                    multicast,
                    advert,
                },
            );
            self.apply(k, actions, sock4, sock6).await;
        }
    }

    /// Carries out a router's actions, in order.
    pub async fn apply(
        &mut self,
        k: usize,
        actions: Vec<Action>,
        sock4: &Option<VrrpSocket>,
        sock6: &Option<VrrpSocket>,
    ) {
        for action in actions {
            let inst = &self.instances[k];
            match action {
                Action::SendAdvert(advert) => {
                    let sock = if inst.family == Family::Ipv4 {
                        sock4
                    } else {
                        sock6
                    };
                    let Some(sock) = sock else { continue };
                    for &dst in &inst.destinations {
                        let addrs = vrrp::PacketAddrs {
                            src: inst.primary,
                            dst,
                        };
                        match advert.encode(&addrs, ChecksumMode::PseudoHeader) {
                            Ok(bytes) => {
                                if let Err(e) = sock.send(&bytes, inst.primary, dst, inst.ifindex) {
                                    debug!(instance = %inst.name, %dst, error = %e, "advert not sent");
                                }
                            }
                            Err(e) => {
                                warn!(instance = %inst.name, error = %e, "advert not encodable")
                            }
                        }
                    }
                }
                Action::Transition { from, to, reason } => {
                    info!("({}) {from} -> {to}: {reason}", inst.name);
                    if let Err(e) = self.state.transition(
                        &inst.name,
                        from,
                        to,
                        &reason,
                        inst.router.effective_priority(),
                    ) {
                        warn!(instance = %inst.name, error = %e, "state file not written");
                    }
                }
                Action::AddVips => {
                    for (v, index) in inst.vips.iter().chain(&inst.excluded) {
                        if let Err(e) = self
                            .netlink
                            .add_address(*index, v.addr, v.prefix, v.label.as_deref())
                            .await
                        {
                            warn!(instance = %inst.name, error = %e, "VIP not added");
                        }
                    }
                }
                Action::RemoveVips => {
                    for (v, index) in inst.vips.iter().chain(&inst.excluded) {
                        if let Err(e) = self.netlink.del_address(*index, v.addr).await {
                            warn!(instance = %inst.name, error = %e, "VIP not removed");
                        }
                    }
                }
                Action::Announce { repeat } => {
                    for _ in 0..repeat {
                        for (v, index) in inst.vips.iter().chain(&inst.excluded) {
                            let frame = match v.addr {
                                IpAddr::V4(a) => announce::garp(inst.mac, a),
                                IpAddr::V6(a) => announce::unsolicited_na(inst.mac, a, false),
                            };
                            if let Err(e) = self.packets.send(*index, &frame) {
                                debug!(instance = %inst.name, vip = %v.addr, error = %e, "announcement not sent");
                            }
                        }
                    }
                }
                Action::Notify(n) => {
                    let (kind, state) = match n {
                        Notify::Master => ("notify_master", "MASTER"),
                        Notify::Backup => ("notify_backup", "BACKUP"),
                        Notify::Fault => ("notify_fault", "FAULT"),
                        Notify::Stop => ("notify_stop", "STOP"),
                        Notify::MasterRxLowerPri => ("notify_master_rx_lower_pri", ""),
                    };
                    for (k2, cmd) in &inst.scripts {
                        if k2 == kind {
                            inst.notifier.queue(cmd, Vec::new());
                        } else if k2 == "notify" && !state.is_empty() {
                            let prio = inst.router.effective_priority().to_string();
                            inst.notifier.queue(
                                cmd,
                                vec!["INSTANCE".into(), inst.name.clone(), state.into(), prio],
                            );
                        }
                    }
                }
                Action::Dropped { from, reason } => {
                    debug!(instance = %inst.name, %from, ?reason, "advert ignored")
                }
                Action::OwnerConflict { from } => {
                    warn!(instance = %inst.name, %from, "two routers claim to own the addresses (priority 255); ours drops to 254")
                }
            }
        }
    }

    /// Removes VIPs left on the interfaces by a previous run that crashed: at start every
    /// instance is a backup (owners re-add theirs at once).
    async fn remove_leftovers(&mut self) {
        for inst in &self.instances {
            for (v, index) in inst.vips.iter().chain(&inst.excluded) {
                match self.netlink.del_address(*index, v.addr).await {
                    Ok(true) => {
                        warn!(instance = %inst.name, vip = %v.addr, "removed a VIP left by a previous run")
                    }
                    Ok(false) => {}
                    Err(e) => {
                        warn!(instance = %inst.name, vip = %v.addr, error = %e, "could not check for a leftover VIP")
                    }
                }
            }
        }
    }
}
