//! The event loop: packets, timers, tracking reports and signals in; adverts, addresses,
//! announcements, notifications and state files out. Single-threaded: one router's work never
//! races another's, and nothing in the loop waits on a script.

use crate::clock::Clock;
use crate::instance::Instance;
use crate::netlink::Netlink;
use crate::notify_fifo::NotifyFifos;
use crate::observe::{self, Observation};
use crate::packet_socket::PacketSender;
use crate::signum::Dump;
use crate::sockets::{Channel, RecvBuffer, VrrpSocket};
use crate::state_files::StateFiles;
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::{info, warn};
use vrrp::{Event, State};

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
    /// `--mover FILE`, read again on reload.
    pub mover: Option<PathBuf>,
}

/// Packets that no instance acted on, by why.
#[derive(Clone, Copy, Debug, Default, Serialize, schemars::JsonSchema)]
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
    pub(crate) fn of(&mut self, ch: Channel) -> &mut bool {
        match ch {
            Channel::V4 => &mut self.v4,
            Channel::V6 => &mut self.v6,
            Channel::Ah => &mut self.ah,
        }
    }
}

/// Everything the loop drives.
pub struct Daemon {
    /// The instances' routers, sync groups, tracking and announcement lanes: what decides.
    pub node: node::Node,
    /// What the daemon needs to carry out each instance's effects (by the node's ids).
    pub instances: node::ById<Instance>,
    /// The instances of each VRID (the receive path's look-up), built with `instances`.
    pub by_vrid: crate::by_vrid::ByVrid,
    /// The effects being carried out (kept between events: no allocation per advert).
    pub effects: Vec<node::Effect>,
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
    pub outbox: Option<Vec<crate::adverts::Queued>>,
    /// `notify_fifo` and `vrrp_notify_fifo`, as configured.
    pub fifo: NotifyFifos,
    /// E-mail alerts (`smtp_alert`), queued for the mail thread.
    pub mail: crate::mail::Mailer,
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
    /// Counts reloads, for the D-Bus service (a watch: sending never waits).
    pub reloads: tokio::sync::watch::Sender<u64>,
    /// keepalived's D-Bus service, if `enable_dbus`.
    pub dbus: crate::dbus::Dbus,
    /// The VIP movers (`--mover`), fed the instances' states.
    pub movers: crate::mover::Movers,
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
    /// The D-Bus service's requests (none come without `enable_dbus`).
    pub dbus: mpsc::Receiver<crate::dbus::Request>,
    /// The SNMP subagent's row requests, if a MIB is enabled.
    pub snmp: Option<mpsc::Receiver<crate::snmp::Query>>,
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
    for id in d.node.ids() {
        d.start_instance(id).await?;
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
    for id in d.node.ids() {
        d.stop_instance(id).await;
    }
    crate::base_sysctls::restore_except(&Default::default());
    d.write_stats();
    let tasks = std::mem::take(&mut d.notify_tasks);
    let mail = std::mem::take(&mut d.mail);
    drop(d);
    // Let queued notify scripts (notify_stop) finish, within their time-out, and the last
    // e-mail alerts (`Stopping`) go out, within theirs. The daemon (and with it every queue's
    // sender) is gone: each worker ends after its queue.
    let scripts = tokio::time::timeout(
        crate::notify::SCRIPT_TIMEOUT,
        futures::future::join_all(tasks),
    );
    let _ = futures::join!(scripts, mail.finish());
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
        let deadline = self.node.next_deadline();
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
            Some(scrape) = next_of(&mut inputs.scrapes) => self.answer_scrape(scrape).await,
            Some(request) = inputs.dbus.recv() => self.answer_dbus(request).await,
            Some(q) = next_of(&mut inputs.snmp) => {
                let _ = q.reply.send(self.snmp_rows());
            }
            r = timer => { r?; self.fire_due_timers().await }
        }
        Ok(true)
    }

    /// Sends the announcements and runs the router timers that are due, all at one instant;
    /// the adverts they send go together at the end.
    async fn fire_due_timers(&mut self) {
        self.drive(|n, now, fx| n.expire_tracking(now, fx)).await;
        self.send_due_announcements();
        self.outbox = Some(Vec::new());
        self.drive(|n, now, fx| n.fire_timers(now, fx)).await;
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
        for id in self.node.ids() {
            if self.node.router(id).state() == State::Master {
                self.handle(id, Event::Maintenance(true)).await;
            }
        }
        if self.node.handing_over() {
            info!("stopping after the handover to a successor (SIGTERM again to stop now)");
        }
        while self.node.handing_over() {
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

/// One instance in `stats.json`.
#[derive(Serialize, schemars::JsonSchema)]
struct InstanceStats<'a> {
    /// Current state (`MASTER`, `BACKUP`, `FAULT`, `INIT`, `STOP`).
    state: String,
    /// Effective priority (after tracking).
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

/// `stats.json`, written on SIGUSR2 and at exit.
#[derive(Serialize, schemars::JsonSchema)]
struct StatsFile<'a> {
    /// Packets no instance acted on, by why.
    dropped: Dropped,
    /// Each instance's counters, by name.
    instances: std::collections::BTreeMap<&'a str, InstanceStats<'a>>,
}

/// The JSON Schema of `stats.json` (`docs/schemas/stats.schema.json`).
pub fn stats_schema() -> schemars::Schema {
    schemars::schema_for!(StatsFile<'static>)
}

impl Daemon {
    /// Writes `stats.json` in the state directory (on SIGUSR2 and at exit).
    pub fn write_stats(&mut self) {
        let file = StatsFile {
            dropped: self.dropped_total(),
            instances: self
                .instances
                .enumerate()
                .map(|(id, i)| {
                    let r = self.node.router(id);
                    (
                        i.name.as_str(),
                        InstanceStats {
                            state: r.state().to_string(),
                            priority: r.effective_priority(),
                            counters: r.stats(),
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
