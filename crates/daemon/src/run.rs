//! The event loop: packets, timers, tracking reports and signals in; adverts, addresses,
//! announcements, notifications and state files out. Single-threaded: one router's work never
//! races another's, and nothing in the loop waits on a script.

use crate::clock::Clock;
use crate::dumps::Dump;
use crate::instance::Instance;
use crate::netlink::Netlink;
use crate::notify_fifo::NotifyFifos;
use crate::observe::{self, Observation};
use crate::packet_socket::PacketSender;
use crate::sockets::{Channel, Received, RecvBuffer, RecvError, VrrpSocket};
use crate::state_files::StateFiles;
use node::tracking::Tracker;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use vrrp::{Advert, Event, Family, State};

/// What the daemon was started with, kept for reloads.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The configuration file.
    pub file: PathBuf,
    /// `-i`: the config id.
    pub config_id: Option<String>,
    /// `--handover-on-stop`: SIGTERM hands masters over make-before-break before stopping.
    pub handover_on_stop: bool,
    /// The `net_namespace` and `instance` it started with, which a reload may not change.
    pub names: crate::placement::Names,
    /// `-s`, which overrides the config's `net_namespace`.
    pub namespace_override: Option<String>,
    /// `vrrp_startup_delay`: until this long after the start, instances started ignore
    /// adverts and wait (see [`vrrp::Router::delay_start`]).
    pub startup_delay: vrrp::Micros,
}

/// Packets that no instance acted on, by why.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Dropped {
    /// Not a well-formed IP packet with a VRRP payload.
    pub malformed: u64,
    /// A VRRP packet that does not decode (length, version, type, checksum, ...).
    pub invalid: u64,
    /// A valid advert for a VRID / interface / family we do not run.
    pub no_instance: u64,
    /// Not read: a socket's queue was full (the kernel's count).
    pub overflow: u64,
}

impl Daemon {
    /// Every packet dropped before an instance: by the loop, and before it (the stray counters
    /// of the sockets, their full queues).
    pub fn dropped_total(&self) -> Dropped {
        let mut d = self.dropped;
        for sock in [&self.sock4, &self.sock6, &self.sock_ah]
            .into_iter()
            .flatten()
        {
            let t = sock.dropped_elsewhere();
            d.malformed += t.malformed;
            d.invalid += t.invalid;
            d.no_instance += t.no_instance;
            d.overflow += t.overflow;
        }
        d
    }
}

/// Sockets left with packets queued when their budget ran out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Backlog {
    v4: bool,
    v6: bool,
    ah: bool,
}

impl Backlog {
    fn of(&mut self, ch: Channel) -> &mut bool {
        match ch {
            Channel::V4 => &mut self.v4,
            Channel::V6 => &mut self.v6,
            Channel::Ah => &mut self.ah,
        }
    }
}

/// Everything the loop drives.
pub struct Daemon {
    /// Instances.
    pub instances: Vec<Instance>,
    /// What tracked objects say about each instance (same order as `instances`).
    pub tracker: Tracker,
    /// Kernel addresses.
    pub netlink: Netlink,
    /// Frame sender for GARP / NA.
    pub packets: PacketSender,
    /// State directory.
    pub state: StateFiles,
    /// Clock.
    pub clock: Clock,
    /// IPv4 VRRP socket, if an instance needs it.
    pub sock4: Option<VrrpSocket>,
    /// IPv6 VRRP socket, if an instance needs it.
    pub sock6: Option<VrrpSocket>,
    /// The AH socket, if an instance runs `auth_type AH`.
    pub sock_ah: Option<VrrpSocket>,
    /// Packets dropped before reaching an instance.
    pub dropped: Dropped,
    /// Sockets with packets still to read.
    pub backlog: Backlog,
    /// Adverts held while timers fire together, sent at once after them (`None`: send now).
    pub outbox: Option<Vec<crate::outbox::Queued>>,
    /// `notify_fifo` and `vrrp_notify_fifo`, as configured.
    pub fifo: NotifyFifos,
    /// The firewall drop rule of masters without accept mode.
    pub accept_mode: crate::accept_mode::AcceptMode,
    /// Interfaces instances wait for (`dynamic_interfaces`).
    pub awaited: Vec<String>,
    /// For reloads.
    pub setup: Setup,
    /// The files of the configuration running, as checked: parsed again to resolve its
    /// interfaces when they are re-created (the model itself is not kept: about 2 KiB per
    /// instance, against a few hundred bytes of text).
    pub source: conf::reader::MemoryFiles,
    /// Watchers of tracked objects (replaced on reload).
    pub watchers: Vec<tokio::task::JoinHandle<()>>,
    /// Notify script workers, awaited at exit.
    pub notify_tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Where watchers report.
    pub reports: observe::Reports,
    /// Announcements waiting for their turn (`vrrp_garp_interval`, `garp_group`).
    pub pacer: node::pacing::Pacer,
    /// Sync group members still to follow a transition.
    pub(crate) sync_pending: Vec<(usize, State)>,
    /// Transitions, for the control socket.
    pub events: crate::events::Events,
    /// Unix time the daemon started.
    pub started: f64,
    /// The service manager (notifications, watchdog).
    pub systemd: crate::systemd::Systemd,
    /// What the metrics need beyond the instances' counters.
    pub recorder: crate::metrics::Recorder,
    /// Where keepalived-compatible dumps go.
    pub dumps: conf::dump_files::DumpFiles,
}

/// The signals the loop listens to.
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    usr1: tokio::signal::unix::Signal,
    usr2: tokio::signal::unix::Signal,
    json: tokio::signal::unix::Signal,
}

/// Inputs other than packets, timers and signals.
pub struct Inputs {
    /// Watchers' reports.
    pub reports: mpsc::UnboundedReceiver<Observation>,
    /// Control socket requests.
    pub calls: mpsc::Receiver<crate::control::Call>,
    /// Metrics scrapes, if `--metrics-listen` is on.
    pub scrapes: Option<mpsc::Receiver<crate::metrics::Scrape>>,
    /// The timer of the routers' and the pacer's deadlines.
    pub deadline: crate::deadline::Deadline,
}

/// The next item of an optional receiver, or never.
async fn next_of<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs until SIGTERM or SIGINT, then resigns every master (or, with `handover_on_stop`,
/// hands each over make-before-break first) and returns.
pub async fn run(mut d: Daemon, mut inputs: Inputs, mut signals: Signals) -> Result<()> {
    d.remove_leftovers().await;
    for k in 0..d.instances.len() {
        d.start_instance(k).await?;
    }
    d.systemd.ready(d.instances.len());
    crate::sys::release_free_heap();
    let mut buf = RecvBuffer::default();
    while d.wake(&mut signals, &mut inputs, &mut buf).await? {}
    d.systemd.stopping();
    if d.setup.handover_on_stop {
        d.hand_over_before_stop(&mut signals, &mut inputs, &mut buf)
            .await?;
    }
    info!("shutting down: masters resign with priority 0");
    for w in d.watchers.drain(..) {
        w.abort();
    }
    for k in 0..d.instances.len() {
        d.stop_instance(k).await;
    }
    crate::base_sysctls::restore_except(&Default::default());
    d.write_stats();
    let tasks = std::mem::take(&mut d.notify_tasks);
    drop(d);
    // Let queued notify scripts (notify_stop) finish, within their time-out. The daemon (and
    // with it every queue's sender) is gone: each worker ends after its queue.
    let _ = tokio::time::timeout(
        crate::notify::SCRIPT_TIMEOUT,
        futures::future::join_all(tasks),
    )
    .await;
    Ok(())
}

impl Signals {
    /// Listens for every signal havipd answers to. Called before anything else is set up: from
    /// then on a signal waits for the loop instead of killing the process.
    pub fn install() -> Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
            json: signal(SignalKind::from_raw(crate::signum::json()))?,
        })
    }
}

impl Daemon {
    /// Waits for the next input and handles it; `false` when asked to stop.
    async fn wake(
        &mut self,
        sig: &mut Signals,
        inputs: &mut Inputs,
        buf: &mut RecvBuffer,
    ) -> Result<bool> {
        let deadline = self
            .instances
            .iter()
            .filter_map(|i| i.router.next_deadline())
            .chain(self.pacer.next_deadline())
            .chain(self.tracker.next_deadline())
            .min();
        // Due timers come first: adverts keep their schedule whatever else is queued.
        if deadline.is_some_and(|t| t <= self.clock.now()) {
            self.fire_due_timers().await;
            return Ok(true);
        }
        let at = deadline.map_or_else(
            || std::time::Instant::now() + std::time::Duration::from_secs(3600),
            |t| self.clock.instant(t),
        );
        let timer = inputs.deadline.until(at);
        tokio::select! {
            _ = sig.term.recv() => return Ok(false),
            _ = sig.int.recv() => return Ok(false),
            _ = sig.hup.recv() => { self.reload().await; }
            _ = crate::systemd::until(self.systemd.next_ping()) => self.systemd.ping(),
            _ = sig.usr1.recv() => self.dump(Dump::Data).await,
            _ = sig.usr2.recv() => {
                self.write_stats();
                self.dump(Dump::Stats).await;
            }
            _ = sig.json.recv() => self.dump(Dump::Json).await,
            r = readable(&self.sock4), if !self.backlog.v4 => { r?; self.drain(Channel::V4, buf).await; }
            r = readable(&self.sock6), if !self.backlog.v6 => { r?; self.drain(Channel::V6, buf).await; }
            r = readable(&self.sock_ah), if !self.backlog.ah => { r?; self.drain(Channel::Ah, buf).await; }
            _ = std::future::ready(()), if self.backlog.v4 => self.drain(Channel::V4, buf).await,
            _ = std::future::ready(()), if self.backlog.v6 => self.drain(Channel::V6, buf).await,
            _ = std::future::ready(()), if self.backlog.ah => self.drain(Channel::Ah, buf).await,
            Some(obs) = inputs.reports.recv() => self.observe(obs).await,
            Some(call) = inputs.calls.recv() => {
                let answer = self.answer(call.request).await;
                // The client may have gone; nothing to do then.
                let _ = call.answer.send(answer);
            }
            Some(scrape) = next_of(&mut inputs.scrapes) => {
                let text = self.metrics_text().await;
                let _ = scrape.reply.send(text);
            }
            r = timer => { r?; self.fire_due_timers().await }
        }
        Ok(true)
    }

    /// Sends the announcements and runs the router timers that are due, all at one instant;
    /// the adverts they send go together at the end.
    async fn fire_due_timers(&mut self) {
        if self.tracker.expire(self.clock.now()) {
            self.retrack_all().await;
        }
        self.send_due_announcements();
        self.outbox = Some(Vec::new());
        let now = self.clock.now();
        for k in 0..self.instances.len() {
            let due = self.instances[k]
                .router
                .next_deadline()
                .filter(|t| *t <= now);
            if let Some(t) = due {
                let late = (now - t).0 as f64 / 1e6;
                self.recorder.timer_lateness.observe(late);
                self.handle_at(k, now, Event::Timer).await;
            }
        }
        let queued = self.outbox.take().unwrap_or_default();
        self.flush_outbox(queued);
    }

    /// `--handover-on-stop`: every master hands over as in maintenance, and the daemon keeps
    /// running until each has released its addresses to a successor. Bounded by the routers'
    /// own timers: with no successor, Master_Down_Interval brings the instance back to MASTER,
    /// and it then resigns as usual. A second SIGTERM stops at once.
    async fn hand_over_before_stop(
        &mut self,
        sig: &mut Signals,
        inputs: &mut Inputs,
        buf: &mut RecvBuffer,
    ) -> Result<()> {
        for k in 0..self.instances.len() {
            if self.instances[k].router.state() == State::Master {
                self.handle(k, Event::Maintenance(true)).await;
            }
        }
        let handing_over = |d: &Daemon| d.instances.iter().any(|i| i.router.handing_over());
        if handing_over(self) {
            info!("stopping after the handover to a successor (SIGTERM again to stop now)");
        }
        while handing_over(self) {
            if !self.wake(sig, inputs, buf).await? {
                break;
            }
        }
        Ok(())
    }
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

#[derive(Serialize)]
struct InstanceStats<'a> {
    state: String,
    priority: u8,
    #[serde(flatten)]
    counters: &'a vrrp::Stats,
    #[serde(flatten)]
    auth: Option<&'a vrrp::auth_hmac::AuthStats>,
    #[serde(flatten)]
    ah: Option<&'a vrrp::ah::AhStats>,
    #[serde(flatten)]
    send_errors: &'a crate::send_errors::SendErrors,
    /// Notify scripts not queued because the same one was waiting.
    notify_coalesced: u64,
    /// Notify scripts dropped from a full queue.
    notify_dropped: u64,
}

#[derive(Serialize)]
struct StatsFile<'a> {
    dropped: Dropped,
    instances: std::collections::BTreeMap<&'a str, InstanceStats<'a>>,
}

impl Daemon {
    /// Runs one event through instance `k`'s router, carries out its actions and lets its sync
    /// group follow.
    pub async fn handle(&mut self, k: usize, event: Event) {
        let now = self.clock.now();
        self.handle_at(k, now, event).await;
    }

    /// As [`Daemon::handle`], at a given time: timers that fire together are handled at the
    /// same instant, so the work of one does not push the others' schedules (their adverts stay
    /// in step and the loop wakes once for all of them).
    pub async fn handle_at(&mut self, k: usize, now: vrrp::Timestamp, event: Event) {
        let actions = self.instances[k].router.handle(now, event);
        self.carry_out(k, actions).await;
    }

    /// Carries out instance `k`'s actions and lets its sync group follow.
    pub async fn carry_out(&mut self, k: usize, actions: Vec<vrrp::Action>) {
        self.apply(k, actions).await;
        while let Some((m, to)) = self.sync_pending.pop() {
            let now = self.clock.now();
            let actions = self.instances[m].router.handle(now, Event::SyncGroup(to));
            self.apply(m, actions).await;
        }
    }

    /// Joins the multicast group (on the VMAC too), tells the router what tracking says, and starts it.
    pub async fn start_instance(&mut self, k: usize) -> Result<()> {
        let i = &self.instances[k];
        if let Some(s) = self.socket_of(i) {
            // Adverts sent from a VMAC with our own VMAC's MAC are handed by the kernel to our
            // VMAC, not to its base: listen on both.
            for group in i.destinations.iter().filter(|a| a.is_multicast()) {
                for index in std::iter::once(i.ifindex).chain(i.vmac.as_ref().map(|v| v.index)) {
                    s.join(*group, index)
                        .with_context(|| format!("({}) joining the VRRP group {group}", i.name))?;
                }
            }
        }
        info!(instance = %i.name, interface = %i.ifname, source = %i.primary, vrid = i.router.config().vrid, "starting");
        let verdict = self.tracker.verdict(k);
        let i = &mut self.instances[k];
        let now = self.clock.now();
        i.router
            .handle(now, Event::PriorityChange(verdict.priority));
        if verdict.link_down {
            i.router.handle(now, Event::InterfaceDown);
        }
        if verdict.fault {
            i.router.handle(now, Event::TrackFault(true));
        }
        i.verdict = verdict;
        // An instance started within the start-up delay (at start or by a reload) waits out
        // what is left of it.
        let until = vrrp::Timestamp(self.setup.startup_delay.0);
        if now < until {
            i.router.delay_start(until - now);
        }
        self.handle(k, Event::Startup).await;
        Ok(())
    }

    /// Stops instance `k`: a master resigns, VIPs go, notify_stop runs, its VMAC is deleted.
    pub async fn stop_instance(&mut self, k: usize) {
        self.handle(k, Event::Shutdown).await;
        if let Some(v) = &self.instances[k].vmac
            && let Err(e) = self.netlink.del_link(v.index).await
        {
            warn!(instance = %self.instances[k].name, vmac = %v.name, error = %e, "VMAC interface not removed");
        }
    }

    /// Takes a watcher's report into account and tells the routers what changed.
    async fn observe(&mut self, obs: Observation) {
        let changed = match &obs {
            Observation::Link { name, up, index } => {
                if let Some(index) = index
                    && (self.awaited.contains(name)
                        || self
                            .instances
                            .iter()
                            .any(|i| i.uses_other_index(name, *index)))
                {
                    self.relink(name, *index).await;
                }
                let changed = self.tracker.set_link(name, *up);
                if changed {
                    info!(interface = %name, up, "link state changed");
                }
                changed
            }
            Observation::Address { name, index } => {
                if self.awaited.contains(name)
                    || self
                        .instances
                        .iter()
                        .any(|i| i.uses_other_index(name, *index))
                {
                    self.relink(name, *index).await;
                }
                false
            }
            Observation::Script { name, success } => {
                let changed = self.tracker.script_result(name, *success);
                if changed {
                    let ok = self.tracker.script_ok(name).unwrap_or(true);
                    info!(script = %name, "script is now {}", if ok { "OK" } else { "failing" });
                }
                changed
            }
            Observation::File { name, value } => self.tracker.set_file(name, *value),
            Observation::Process { source, crossing } => {
                let now = self.clock.now();
                let changed = self.tracker.process_crossing(now, *source, crossing);
                if changed {
                    info!(process = %crossing.name, "tracked process quorum {}", if crossing.in_quorum { "gained" } else { "lost" });
                }
                changed
            }
        };
        if changed {
            self.retrack_all().await;
        }
    }

    /// Tells every instance what tracking says now.
    async fn retrack_all(&mut self) {
        for k in 0..self.instances.len() {
            self.retrack(k).await;
        }
    }

    /// Feeds instance `k` the differences between what tracking says now and what it last said.
    pub async fn retrack(&mut self, k: usize) {
        let new = self.tracker.verdict(k);
        let old = self.instances[k].verdict;
        self.instances[k].verdict = new;
        if new.priority != old.priority {
            info!(instance = %self.instances[k].name, from = old.priority, to = new.priority, "effective priority changed");
            let before = self.instances[k].router.effective_priority();
            self.handle(k, Event::PriorityChange(new.priority)).await;
            self.report_priority(k, before);
        }
        if new.link_down != old.link_down {
            let e = if new.link_down {
                Event::InterfaceDown
            } else {
                Event::InterfaceUp
            };
            self.handle(k, e).await;
        }
        if new.fault != old.fault {
            self.handle(k, Event::TrackFault(new.fault)).await;
        }
    }

    async fn drain(&mut self, ch: Channel, batch: &mut RecvBuffer) {
        *self.backlog.of(ch) = true;
        let sock = match ch {
            Channel::V4 => &self.sock4,
            Channel::V6 => &self.sock6,
            Channel::Ah => &self.sock_ah,
        };
        let Some(sock) = sock else { return };
        let packets = match sock.recv_some(batch) {
            Ok(p) => p,
            Err(RecvError::Empty) => {
                *self.backlog.of(ch) = false;
                return;
            }
            Err(RecvError::Io(e)) => {
                warn!(error = %e, "receive error");
                *self.backlog.of(ch) = false;
                return;
            }
            Err(RecvError::Malformed(why)) => {
                debug!(%why, "dropped a batch");
                return;
            }
        };
        // A batch shorter than the budget emptied the queue.
        if packets.len() < crate::sockets::BATCH {
            *self.backlog.of(ch) = false;
        }
        for pkt in packets {
            self.receive(ch.family(), pkt).await;
        }
    }

    /// Hands one received packet to its instance, or counts why it was dropped.
    async fn receive(&mut self, family: Family, pkt: Result<Received, RecvError>) {
        {
            let pkt = match pkt {
                Ok(p) => p,
                Err(RecvError::Malformed(why)) => {
                    self.dropped.malformed += 1;
                    debug!(%why, "dropped malformed packet");
                    return;
                }
                Err(RecvError::Io(e)) => {
                    warn!(error = %e, "receive error");
                    return;
                }
                Err(RecvError::Empty) => return,
            };
            let (mut advert, trailer) = match Advert::decode_with_trailer(&pkt.payload, &pkt.addrs)
            {
                Ok((d, t)) => (d.advert, t.copied()),
                Err(e) => {
                    self.dropped.invalid += 1;
                    debug!(src = %pkt.addrs.src, error = %e, "dropped invalid VRRP packet");
                    return;
                }
            };
            let multicast = pkt.addrs.dst.is_multicast();
            // By VRID, family and arrival interface: as keepalived's sockets bound to their
            // interface (SO_BINDTODEVICE), an advert that came in elsewhere is not ours; one in
            // AH is only for an AH instance (keepalived has no AH socket for the others); and
            // multicast only to the instance's group, as its socket bound to that group.
            let target = self.instances.iter().position(|i| {
                i.router.config().vrid == advert.vrid
                    && Family::of(&i.primary) == family
                    && (pkt.ah_packet.is_none() || i.ah.is_some())
                    && (i.ifindex == pkt.ifindex
                        || i.vmac.as_ref().is_some_and(|v| v.index == pkt.ifindex))
                    && (!multicast || i.destinations.contains(&pkt.addrs.dst))
            });
            let Some(k) = target else {
                self.dropped.no_instance += 1;
                debug!(src = %pkt.addrs.src, vrid = advert.vrid, "advert for no instance of ours");
                return;
            };
            let Some(ah_seq) =
                crate::adverts::sort_ah(&mut self.instances[k], &pkt, multicast, &mut advert)
            else {
                return;
            };
            let message = &pkt.payload[..pkt.payload.len() - trailer.map_or(0, |t| t.len())];
            let inst = &mut self.instances[k];
            let admitted = crate::adverts::admit(
                inst,
                pkt.addrs.src,
                pkt.ttl,
                multicast,
                &advert,
                message,
                trailer.as_ref(),
            );
            if !admitted {
                if inst.auth.is_none() {
                    self.dropped.invalid += 1;
                    debug!(src = %pkt.addrs.src, "dropped an advert with a trailer: no auth_hmac here");
                }
                return;
            }
            let arrived = tokio::time::Instant::now();
            if let Some(prev) = self.instances[k].last_advert {
                let gap = (arrived - prev).as_secs_f64();
                let name = &self.instances[k].name;
                match self.recorder.advert_gaps.get_mut(name) {
                    Some(h) => h.observe(gap),
                    None => {
                        let mut h = crate::metrics::Histogram::default();
                        h.observe(gap);
                        self.recorder.advert_gaps.insert(name.clone(), h);
                    }
                }
            }
            self.instances[k].last_advert = Some(arrived);
            let event = Event::Advert {
                src: pkt.addrs.src,
                ttl: pkt.ttl,
                multicast,
                advert,
            };
            match ah_seq {
                Some(seq) => self.handle_ah_advert(k, event, seq).await,
                None => self.handle(k, event).await,
            }
        }
    }

    /// Writes `stats.json` in the state directory (on SIGUSR2 and at exit).
    pub fn write_stats(&mut self) {
        let file = StatsFile {
            dropped: self.dropped_total(),
            instances: self
                .instances
                .iter()
                .map(|i| {
                    (
                        i.name.as_str(),
                        InstanceStats {
                            state: i.router.state().to_string(),
                            priority: i.router.effective_priority(),
                            counters: i.router.stats(),
                            auth: i.auth.as_ref().map(|a| a.stats()),
                            ah: i.ah.as_ref().map(|a| a.stats()),
                            send_errors: &i.send_errors,
                            notify_coalesced: i.notifier.counts().0,
                            notify_dropped: i.notifier.counts().1,
                        },
                    )
                })
                .collect(),
        };
        self.state.write_json("stats.json", &file);
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
