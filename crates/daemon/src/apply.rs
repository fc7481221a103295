//! Carrying out the node's effects: adverts on the wire, VIPs through netlink, GARP / NA
//! frames, notify scripts and FIFO lines, state files, events and metrics.

use crate::run::Daemon;
use conf::model::NotifyKind;
use node::pacing::Frame;
use node::{Effect, InstanceId};
use std::net::IpAddr;
use tracing::{debug, info, warn};
use vrrp::{Advert, Notify, Reason, State};

impl Daemon {
    /// Carries out `effects`, in order, leaving the buffer empty.
    pub async fn execute(&mut self, effects: &mut Vec<Effect>) {
        for effect in effects.drain(..) {
            match effect {
                Effect::Advert { id, advert } => self.send_advert(id, advert),
                Effect::Transition {
                    id,
                    from,
                    to,
                    reason,
                    priority,
                } => self.record_transition(id, (from, to, reason), priority),
                Effect::AddVips(id) => self.add_vips(id).await,
                Effect::RemoveVips(id) => self.remove_vips(id).await,
                Effect::Announce { id, repeat } => self.announce(id, repeat),
                Effect::Notify {
                    id,
                    notify,
                    priority,
                } => {
                    if notify == Notify::MasterRxLowerPri {
                        self.movers.elsewhere(&self.instances[id].name);
                    }
                    self.run_notify(id, notify, priority)
                }
                Effect::PriorityChanged {
                    id,
                    priority,
                    master,
                } => {
                    let name = &self.instances[id].name;
                    self.fifo.priority_changed(name, master, priority);
                }
                Effect::Dropped { id, from, reason } => {
                    debug!(instance = %self.instances[id].name, %from, ?reason, "advert ignored")
                }
                Effect::OwnerConflict { id, from } => {
                    warn!(instance = %self.instances[id].name, %from, "two routers claim to own the addresses (priority 255); ours drops to 254")
                }
                Effect::TimerLate { by, .. } => {
                    self.recorder.timer_lateness.observe(by.0 as f64 / 1e6);
                }
            }
        }
    }

    /// Sends instance `id`'s advert now, or holds it for the batch while timers fire.
    fn send_advert(&mut self, id: InstanceId, advert: Advert) {
        let inst = &mut self.instances[id];
        let sock = inst
            .channel()
            .socket([&self.sock4, &self.sock6, &self.sock_ah]);
        match (&mut self.outbox, sock) {
            (Some(out), _) => {
                if let Some(c) = crate::adverts::copies(inst, &advert) {
                    out.push((id, advert.priority, c));
                }
            }
            (None, Some(sock)) => {
                crate::adverts::send(inst, self.node.router_mut(id), sock, &advert)
            }
            (None, None) => {}
        }
    }

    /// Logs and records a transition: the transition log, the events, the metrics, the FIFOs.
    fn record_transition(
        &mut self,
        id: InstanceId,
        (from, to, reason): (State, State, Reason),
        priority: u8,
    ) {
        let inst = &mut self.instances[id];
        info!("({}) {from} -> {to}: {reason}", inst.name);
        if (from == State::Master) != (to == State::Master) {
            self.movers.master(&inst.name, to == State::Master);
        }
        if to == State::Master
            && let Some(ah) = &mut inst.ah
        {
            ah.counter().became_master();
        }
        let record = ctl::EventRecord {
            time: hostsys::clock::unix_secs(),
            instance: inst.name.clone(),
            from: from.to_string(),
            to: to.to_string(),
            reason: reason.to_string(),
            priority,
        };
        self.state.transition(&record);
        let key = (
            inst.name.clone(),
            record.from.clone(),
            record.to.clone(),
            reason.kind(),
        );
        *self.recorder.transitions.entry(key).or_default() += 1;
        self.events.push(record.clone());
        inst.last_transition = Some(record);
        self.fifo.instance(&inst.name, &to.to_string(), priority);
    }

    /// Installs instance `id`'s addresses, its accept-mode rule, routes and rules.
    async fn add_vips(&mut self, id: InstanceId) {
        let inst = &self.instances[id];
        // Every address's request in flight at once: one round of netlink messages for all
        // of them, not one round trip each.
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

    /// Removes instance `id`'s rules, routes, accept-mode rule and addresses, and drops the
    /// announcements it still had queued.
    async fn remove_vips(&mut self, id: InstanceId) {
        self.node.forget_announcements(id);
        let inst = &self.instances[id];
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

    /// Queues `repeat` rounds of GARP / NA for instance `id`'s addresses on their lanes and
    /// sends those whose turn has come.
    pub fn announce(&mut self, id: InstanceId, repeat: u32) {
        let inst = &self.instances[id];
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
                let frame = Frame {
                    ifindex,
                    bytes,
                    neighbour_advert: v.addr.is_ipv6(),
                    instance: inst.name.clone(),
                };
                self.node.pace(lane, frame);
            }
        }
        self.send_due_announcements();
    }

    /// Queues instance `id`'s notify scripts of kind `n` (and its generic `notify` script).
    fn run_notify(&mut self, id: InstanceId, n: Notify, priority: u8) {
        let inst = &self.instances[id];
        let (kind, state) = NotifyKind::on(n);
        if let Some(state) = state {
            self.mail.instance_changed(&inst.name, state);
        }
        for script in &inst.scripts {
            if script.kind == kind {
                inst.notifier.queue(script, Vec::new());
            } else if let (NotifyKind::Any, Some(state)) = (script.kind, state) {
                let args = vec![
                    "INSTANCE".into(),
                    inst.name.clone(),
                    state.into(),
                    priority.to_string(),
                ];
                inst.notifier.queue(script, args);
            }
        }
    }

    /// Sends the announcements whose turn has come (all of them unless paced).
    pub fn send_due_announcements(&mut self) {
        for f in self.node.due_announcements(self.clock.now()) {
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
