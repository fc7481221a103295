//! Carrying out a router's actions: adverts on the wire, VIPs through netlink, GARP / NA
//! frames, notify scripts and FIFO lines, state files, and the sync group's follow-ups.

use node::pacing::Frame;
use crate::run::Daemon;
use std::net::IpAddr;
use tracing::{debug, info, warn};
use vrrp::{Action, Notify, Reason, State};

impl Daemon {
    /// Carries out instance `k`'s actions, in order.
    pub async fn apply(&mut self, k: usize, actions: Vec<Action>) {
        for action in actions {
            let inst = &self.instances[k];
            match action {
                Action::SendAdvert(advert) => {
                    let sock =
                        crate::outbox::socket_for(inst, [&self.sock4, &self.sock6, &self.sock_ah]);
                    match (&mut self.outbox, sock) {
                        (Some(out), _) => {
                            if let Some(c) = crate::adverts::copies(&mut self.instances[k], &advert)
                            {
                                out.push((k, advert.priority, c));
                            }
                        }
                        (None, Some(sock)) => {
                            crate::adverts::send(&mut self.instances[k], sock, &advert)
                        }
                        (None, None) => {}
                    }
                }
                Action::Transition { from, to, reason } => {
                    info!("({}) {from} -> {to}: {reason}", inst.name);
                    if to == State::Master
                        && let Some(ah) = &mut self.instances[k].ah
                    {
                        ah.counter().became_master();
                    }
                    let inst = &self.instances[k];
                    let priority = inst.router.effective_priority();
                    let record = ctl::EventRecord {
                        time: crate::state_files::unix_now(),
                        instance: inst.name.clone(),
                        from: from.to_string(),
                        to: to.to_string(),
                        reason: reason.to_string(),
                        priority,
                    };
                    self.state.transition(&record);
                    *self
                        .recorder
                        .transitions
                        .entry((
                            inst.name.clone(),
                            record.from.clone(),
                            record.to.clone(),
                            reason.kind(),
                        ))
                        .or_default() += 1;
                    self.events.push(record.clone());
                    self.instances[k].last_transition = Some(record);
                    let inst = &self.instances[k];
                    self.fifo.instance(&inst.name, &to.to_string(), priority);
                    if reason != Reason::SyncGroup && matches!(to, State::Master | State::Backup) {
                        for m in self.tracker.group_peers(k) {
                            self.sync_pending.push((m, to));
                        }
                    }
                }
                Action::AddVips => {
                    // Every address's request in flight at once: one round of netlink
                    // messages for all of them, not one round trip each.
                    let added = futures::future::join_all(
                        inst.vips
                            .iter()
                            .chain(&inst.excluded)
                            .map(|(v, index)| self.netlink.add_address(*index, v)),
                    )
                    .await;
                    for e in added.into_iter().filter_map(Result::err) {
                        warn!(instance = %inst.name, error = %e, "VIP not added");
                    }
                    let addrs = crate::accept_mode::addresses(inst);
                    self.accept_mode.master(&inst.name, addrs).await;
                    for (r, index) in &inst.routes {
                        if let Err(e) = self.netlink.add_route(r, *index).await {
                            warn!(instance = %inst.name, error = %format!("{e:#}"), "virtual route not added");
                        }
                    }
                    for r in &inst.rules {
                        if let Err(e) = self.netlink.add_rule(r).await {
                            warn!(instance = %inst.name, error = %format!("{e:#}"), "virtual rule not added");
                        }
                    }
                }
                Action::RemoveVips => {
                    self.pacer.forget(&inst.name);
                    let addrs = crate::accept_mode::addresses(inst);
                    self.accept_mode.released(&inst.name, addrs).await;
                    for r in &inst.rules {
                        if let Err(e) = self.netlink.del_rule(r).await {
                            warn!(instance = %inst.name, error = %format!("{e:#}"), "virtual rule not removed");
                        }
                    }
                    for (r, index) in &inst.routes {
                        if let Err(e) = self.netlink.del_route(r, *index).await {
                            warn!(instance = %inst.name, error = %format!("{e:#}"), "virtual route not removed");
                        }
                    }
                    let removed = futures::future::join_all(
                        inst.vips
                            .iter()
                            .chain(&inst.excluded)
                            .map(|(v, index)| self.netlink.del_address(*index, v.addr)),
                    )
                    .await;
                    for e in removed.into_iter().filter_map(Result::err) {
                        warn!(instance = %inst.name, error = %e, "VIP not removed");
                    }
                }
                Action::Announce { repeat } => {
                    let (mac, vmac_index) = inst.announce_from();
                    for _ in 0..repeat {
                        for (v, index) in inst.vips.iter().chain(&inst.excluded) {
                            let bytes = match v.addr {
                                IpAddr::V4(a) => rawlink::frames::garp(mac, a),
                                IpAddr::V6(a) => rawlink::frames::unsolicited_na(mac, a, false),
                            };
                            // VIPs on the instance's interface leave by its VMAC, if any.
                            let (ifindex, lane) = match &v.dev {
                                Some(dev) => (*index, dev.as_str()),
                                None => (vmac_index, inst.ifname.as_str()),
                            };
                            self.pacer.push(
                                lane,
                                Frame {
                                    ifindex,
                                    bytes,
                                    neighbour_advert: v.addr.is_ipv6(),
                                    instance: inst.name.clone(),
                                },
                            );
                        }
                    }
                    self.send_due_announcements();
                }
                Action::Notify(n) => {
                    let (kind, state) = match n {
                        Notify::Master => ("notify_master", "MASTER"),
                        Notify::Backup => ("notify_backup", "BACKUP"),
                        Notify::Fault => ("notify_fault", "FAULT"),
                        Notify::Stop => ("notify_stop", "STOP"),
                        Notify::MasterRxLowerPri => ("notify_master_rx_lower_pri", ""),
                    };
                    for script in &inst.scripts {
                        if script.kind == kind {
                            inst.notifier.queue(script, Vec::new());
                        } else if script.kind == "notify" && !state.is_empty() {
                            let prio = inst.router.effective_priority().to_string();
                            inst.notifier.queue(
                                script,
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

    /// Sends the announcements whose turn has come (all of them unless paced).
    pub fn send_due_announcements(&mut self) {
        for f in self.pacer.due(self.clock.now()) {
            if let Err(e) = self.packets.send(f.ifindex, &f.bytes) {
                let kind = if f.neighbour_advert {
                    crate::send_errors::Kind::Na
                } else {
                    crate::send_errors::Kind::Garp
                };
                if let Some(inst) = self.instances.iter_mut().find(|i| i.name == f.instance) {
                    let to = format!("interface {}", f.ifindex);
                    inst.send_errors.failed(&inst.name, kind, &to, &e);
                }
            }
        }
    }
}
