//! The BFD driver: runs every `bfd_instance` session (the `bfd` crate's state machines) over
//! UDP, single hop (RFC 5881), and reports each session's coming Up and leaving Up to the node
//! as an [`node::Observation::Bfd`], as keepalived's BFD process tells its VRRP process.
//!
//! Received packets pass [`bfd::ControlPacket::decode`] (RFC 5880 §6.8.6), must come from the
//! session's neighbour and pass keepalived's TTL check (at least `ttl - max_hops`: 255 for IPv4
//! and 64 for IPv6 by default); packets leave with `BfdInstance::sent_ttl` (255 unless written).
//! A session that is not Up a while after the driver starts (its idle
//! interval times its multiplier) is reported down, so a reload that restarts the sessions does
//! not keep a session Up that never comes back.
//!
//! A reload that leaves every `bfd_instance` as it was keeps the driver and its sessions (the
//! neighbours see nothing, as with keepalived's BFD process); the driver tells the new node
//! what each session is. Any change restarts them all.

use crate::bfd_sockets::{self, Datagram};
use crate::clock::Clock;
use crate::observe::{Observation, Reports};
use anyhow::{Context, Result};
use bfd::{Action, ControlPacket, Event, Session, SessionConfig, State, Timestamp};
use conf::bfd::BfdInstance;
use conf::effective::Scheduling;
use conf::model::Config;
use socket2::Socket;
use std::net::IpAddr;
use std::sync::Mutex;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

/// One running session and what the node was last told about it.
struct Running {
    def: BfdInstance,
    session: Session,
    sender: Socket,
    /// Whether the node was told Up (true) or down (false); None: nothing said yet.
    reported: Option<bool>,
    /// When a session still not Up is reported down.
    settle_at: Option<Timestamp>,
}

/// The running driver of this process, kept across reloads that do not change its sessions.
struct Kept {
    defs: Vec<BfdInstance>,
    sched: Scheduling,
    thread: std::thread::JoinHandle<()>,
    /// Gives the driver the reports channel of a new configuration, and asks it to report;
    /// dropped, it stops the driver.
    rebind: mpsc::UnboundedSender<Reports>,
}

static RUNNING: Mutex<Option<Kept>> = Mutex::new(None);

/// Packets read per socket per wake-up.
const BATCH: usize = 64;

/// The sessions of `cfg`, their places in the file aside.
fn sessions_of(cfg: &Config) -> Vec<BfdInstance> {
    let mut defs: Vec<BfdInstance> = cfg.bfd_instances.values().cloned().collect();
    for d in &mut defs {
        d.loc = conf::Location {
            file: "".into(),
            line: 0,
            col: 0,
        };
    }
    defs
}

/// Runs the sessions of `cfg`'s `bfd_instance`s: keeps the running driver when they are those
/// it runs, else stops it and starts another (none without sessions). The driver is not one
/// of the reload's watchers: it outlives the reloads that keep it.
///
/// The driver has a thread of its own, as keepalived's sessions have a process of their own:
/// a long turn of the VRRP loop (a reload, a burst of transitions) never delays a BFD packet
/// past a neighbour's detection time. `bfd_rt_priority` and `bfd_priority` schedule it.
pub fn spawn(cfg: &Config, reports: &Reports) -> Result<()> {
    let defs = sessions_of(cfg);
    let sched = conf::effective::bfd_scheduling(cfg);
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = running.as_ref()
        && k.defs == defs
        && k.sched == sched
        && !k.thread.is_finished()
        && k.rebind.send(reports.clone()).is_ok()
    {
        info!(sessions = defs.len(), "BFD sessions kept");
        return Ok(());
    }
    if let Some(k) = running.take() {
        // Closing the channel ends the driver's loop; joined, its sockets are closed before
        // the next driver binds port 3784.
        drop(k.rebind);
        let _ = k.thread.join();
    }
    if defs.is_empty() {
        return Ok(());
    }
    let (rebind, rebound) = mpsc::unbounded_channel();
    let driver = prepare(cfg, reports)?;
    let thread = std::thread::Builder::new()
        .name("havipd-bfd".into())
        .spawn(move || run_thread(driver, sched, rebound))
        .context("BFD: start the sessions' thread")?;
    *running = Some(Kept {
        defs,
        sched,
        thread,
        rebind,
    });
    Ok(())
}

/// The BFD thread: scheduled as the config asks, a runtime of its own, the driver's loop.
fn run_thread(driver: Driver, sched: Scheduling, rebound: mpsc::UnboundedReceiver<Reports>) {
    if let Err(e) = crate::sys::schedule_this_thread(sched) {
        warn!(error = %e, ?sched, "BFD: bfd_rt_priority/bfd_priority not applied");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            error!("BFD sessions stay down: no runtime for their thread: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let want = |v6: bool| {
            driver
                .sessions
                .iter()
                .any(|s| s.def.neighbor.is_ipv6() == v6)
        };
        // Port 3784 taken (another BFD daemon on the host): the sessions stay down, havipd runs on.
        let (v4, v6) = match (receiver(want(false), false), receiver(want(true), true)) {
            (Ok(v4), Ok(v6)) => (v4, v6),
            (Err(e), _) | (_, Err(e)) => {
                error!("BFD sessions stay down: {e:#}");
                (None, None)
            }
        };
        info!(sessions = driver.sessions.len(), "BFD sessions starting");
        driver.run(v4, v6, rebound).await;
    });
}

/// The driver of `cfg`'s sessions, each with its sending socket; not started.
fn prepare(cfg: &Config, reports: &Reports) -> Result<Driver> {
    let clock = Clock::new();
    let now = clock.now();
    let mut sessions = Vec::new();
    let mut used = Vec::new();
    for def in cfg.bfd_instances.values() {
        // A session that cannot have a socket (a link-local neighbour names no interface) is
        // not run: it stays down for the instances that track it, and havipd runs on.
        let sender = match bfd_sockets::sender(def.neighbor, def.source, def.sent_ttl()) {
            Ok(sender) => sender,
            Err(e) => {
                error!(bfd_instance = %def.name, neighbor = %def.neighbor, "no socket for the session, which stays down: {e}");
                continue;
            }
        };
        let local_discr = unique_discriminator(&used)?;
        used.push(local_discr);
        let sc = SessionConfig {
            local_discr,
            min_rx_us: def.min_rx_us,
            min_tx_us: def.min_tx_us,
            idle_tx_us: def.idle_tx_us,
            multiplier: def.multiplier,
            passive: def.passive,
            jitter_seed: u64::from(bfd_sockets::random_u32()?) << 1 | 1,
        };
        let settle = vrrp::Micros(u64::from(def.idle_tx_us) * u64::from(def.multiplier));
        sessions.push(Running {
            def: def.clone(),
            session: Session::new(sc, now),
            sender,
            reported: None,
            settle_at: Some(now + settle),
        });
    }
    Ok(Driver {
        clock,
        sessions,
        reports: reports.clone(),
    })
}

fn receiver(wanted: bool, ipv6: bool) -> Result<Option<AsyncFd<Socket>>> {
    if !wanted {
        return Ok(None);
    }
    let s = bfd_sockets::receiver(ipv6).context("BFD: bind UDP port 3784")?;
    Ok(Some(crate::sys::async_socket(s)?))
}

fn unique_discriminator(used: &[u32]) -> Result<u32> {
    loop {
        let d = bfd_sockets::random_u32()?;
        if d != 0 && !used.contains(&d) {
            return Ok(d);
        }
    }
}

struct Driver {
    clock: Clock,
    sessions: Vec<Running>,
    reports: Reports,
}

impl Driver {
    async fn run(
        mut self,
        v4: Option<AsyncFd<Socket>>,
        v6: Option<AsyncFd<Socket>>,
        mut rebound: mpsc::UnboundedReceiver<Reports>,
    ) {
        let mut buf = [0u8; 512];
        loop {
            let deadline = self.next_deadline();
            let sleep = async {
                match deadline {
                    Some(t) => tokio::time::sleep_until(self.clock.instant(t).into()).await,
                    None => std::future::pending().await,
                }
            };
            // When timers fall due, queued packets go first: after a stall, a packet that
            // arrived in time must not lose to the detection timer.
            tokio::select! {
                r = readable(&v4) => self.drain(r, &mut buf),
                r = readable(&v6) => self.drain(r, &mut buf),
                () = sleep => {
                    for s in v4.iter().chain(&v6) {
                        self.receive_queued(s.get_ref(), &mut buf);
                    }
                    self.fire();
                }
                r = rebound.recv() => match r {
                    Some(reports) => self.rebind(reports),
                    // The driver was replaced or havipd is stopping.
                    None => return,
                },
            }
        }
    }

    /// A reload kept the sessions: the new node hears what each one is.
    fn rebind(&mut self, reports: Reports) {
        self.reports = reports;
        for k in 0..self.sessions.len() {
            if self.sessions[k].reported.is_some() {
                let up = self.sessions[k].session.state() == State::Up;
                self.report(k, up);
            }
        }
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.sessions
            .iter()
            .flat_map(|r| [r.session.next_deadline(), r.settle_at])
            .flatten()
            .min()
    }

    /// Runs the timers that are due.
    fn fire(&mut self) {
        let now = self.clock.now();
        for k in 0..self.sessions.len() {
            let r = &mut self.sessions[k];
            if r.settle_at.is_some_and(|t| t <= now) {
                r.settle_at = None;
                if r.reported.is_none() && r.session.state() != State::Up {
                    self.report(k, false);
                }
            }
            if self.sessions[k]
                .session
                .next_deadline()
                .is_some_and(|t| t <= now)
            {
                let actions = self.sessions[k].session.handle(now, Event::Timer);
                self.apply(k, actions);
            }
        }
    }

    /// Reads the packets queued on `s` (at most [`BATCH`]), readiness aside.
    fn receive_queued(&mut self, s: &Socket, buf: &mut [u8]) {
        for _ in 0..BATCH {
            let Ok(Some(d)) = bfd_sockets::recv(s, buf) else {
                return;
            };
            self.receive(&d, &buf[..d.len]);
        }
    }

    /// Reads every queued packet of a readable socket.
    fn drain(
        &mut self,
        guard: Option<tokio::io::unix::AsyncFdReadyGuard<'_, Socket>>,
        buf: &mut [u8],
    ) {
        let Some(mut guard) = guard else {
            return;
        };
        // At most a batch per wake-up: a flood does not starve the timers.
        for _ in 0..BATCH {
            match bfd_sockets::recv(guard.get_inner(), buf) {
                Ok(Some(d)) => self.receive(&d, &buf[..d.len]),
                Ok(None) => {
                    guard.clear_ready();
                    return;
                }
                Err(e) => {
                    warn!(error = %e, "BFD: receive failed");
                    guard.clear_ready();
                    return;
                }
            }
        }
    }

    fn receive(&mut self, d: &Datagram, payload: &[u8]) {
        let p = match ControlPacket::decode(payload) {
            Ok(p) => p,
            Err(e) => {
                debug!(from = %d.from, error = %e, "BFD: packet discarded");
                return;
            }
        };
        let Some(k) = self.session_for(&p, d.from) else {
            debug!(from = %d.from, your_discr = p.your_discr, "BFD: no session for packet");
            return;
        };
        let def = &self.sessions[k].def;
        if let Some(ttl) = d.ttl.filter(|t| !def.accepts_ttl(*t)) {
            debug!(bfd = %def.name, ttl, "BFD: packet discarded: TTL below {}", i16::from(def.ttl) - def.max_hops);
            return;
        }
        let now = self.clock.now();
        let actions = self.sessions[k].session.handle(now, Event::Packet(p));
        self.apply(k, actions);
    }

    /// The session a packet is for: by Your Discriminator, else by neighbour (RFC 5880
    /// §6.8.6); either way it must come from the session's neighbour.
    fn session_for(&self, p: &ControlPacket, from: IpAddr) -> Option<usize> {
        self.sessions.iter().position(|r| {
            r.def.neighbor == from && (p.your_discr == 0 || p.your_discr == r.session.local_discr())
        })
    }

    fn apply(&mut self, k: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send(p) => {
                    let r = &self.sessions[k];
                    if let Err(e) = r.sender.send(&p.encode()) {
                        debug!(bfd = %r.def.name, error = %e, "BFD: send failed");
                    }
                }
                Action::StateChange { from, to, diag } => {
                    let name = &self.sessions[k].def.name;
                    info!(bfd = %name, %from, %to, ?diag, "BFD session {from} -> {to}");
                    // keepalived (`bfd_state_fall`) and RFC 5880 §6.8.16: a neighbour taken
                    // down administratively is no path failure; its clients are not told.
                    let admin = self.sessions[k].session.remote_state() == State::AdminDown;
                    if to == State::Up {
                        self.report(k, true);
                    } else if !admin
                        && (from == State::Up || self.sessions[k].reported == Some(true))
                    {
                        self.report(k, false);
                    }
                }
            }
        }
    }

    fn report(&mut self, k: usize, up: bool) {
        let r = &mut self.sessions[k];
        r.reported = Some(up);
        let obs = node::Observation::Bfd {
            name: r.def.name.clone(),
            up,
        };
        let _ = self.reports.send(Observation::Tracked(obs));
    }
}

async fn readable(
    s: &Option<AsyncFd<Socket>>,
) -> Option<tokio::io::unix::AsyncFdReadyGuard<'_, Socket>> {
    match s {
        Some(s) => s.readable().await.ok(),
        None => std::future::pending().await,
    }
}
