//! The data plane process: a switch thread inside the VPC's switch namespace reads every frame
//! of its ports (AF_PACKET) and forwards by the rules of `switch.rs`; a GARP the rules allow
//! moves forwarding there and then. The other threads stay in the host namespace to talk to the
//! control plane: one follows its changes (a long poll: pushed, not fetched), and each GARP is
//! reported from a thread of its own, started by the switch thread (a programmed delay must
//! not stall others), which then confirms the local move or takes it back.

use super::control::{Control, POLL_WAIT, PushedUpdate, Verdict};
use super::switch::{Out, Switch};
use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// How the data plane is attached.
#[derive(Clone, Debug)]
pub struct Config {
    /// Control plane base URL (`http://127.0.0.1:9180`).
    pub api: String,
    /// The control plane's secret for `/internal/*`.
    pub secret: String,
    /// The switch's namespace (`ip netns` name).
    pub netns: String,
    /// Server ports: interface name in the switch namespace, and the ENI behind it.
    pub ports: Vec<(String, String)>,
    /// The port towards the public network (EIPs), if any.
    pub public: Option<String>,
    /// Where to write counters and GARP timings (JSON: once forwarding, then every second,
    /// after each GARP is settled, and at exit).
    pub stats: Option<PathBuf>,
    /// MAC the VPC's gateway and proxy answers use.
    pub gateway_mac: [u8; 6],
    /// SCHED_FIFO priority of the forwarding thread, if any.
    pub realtime_priority: Option<u8>,
}

/// GARP timings kept in the stats (the newest).
pub const GARPS_KEPT: usize = 10_000;

/// One GARP's way through the data plane, in Unix seconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GarpTiming {
    /// The HAVIP's address.
    pub vip: String,
    /// The ENI whose port announced it.
    pub eni: String,
    /// When the switch read the frame.
    pub received: f64,
    /// When forwarding followed it (none if the rules did not allow it here).
    pub switched: Option<f64>,
    /// When the control plane answered that it stored the move.
    pub acknowledged: Option<f64>,
    /// Why the control plane refused it.
    pub refused: Option<String>,
}

/// Counters and GARP timings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Frames by outcome.
    pub counters: BTreeMap<String, u64>,
    /// The newest GARPs, oldest first.
    pub garps: VecDeque<GarpTiming>,
}

struct Report {
    eni: String,
    vip: Ipv4Addr,
    form: crate::model::GarpForm,
    generation: Option<u64>,
    timing: GarpTiming,
}

/// Now, in Unix seconds.
fn unix_now() -> f64 {
    crate::cloud::unix_now()
}

fn write_stats(path: &Option<PathBuf>, stats: &Mutex<Stats>) {
    let (Some(path), Ok(s)) = (path, stats.lock()) else {
        return;
    };
    let tmp = path.with_extension("tmp");
    if let Ok(text) = serde_json::to_string_pretty(&*s)
        && std::fs::write(&tmp, text).is_ok()
    {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// What the data plane shares between its threads.
#[derive(Clone)]
struct Shared {
    cfg: Arc<Config>,
    control: Control,
    sw: Arc<Mutex<Switch>>,
    stats: Arc<Mutex<Stats>>,
    stop: Arc<AtomicBool>,
    /// The namespace the control plane is reached from (the one the process started in).
    host_ns: Arc<std::fs::File>,
}

/// Runs until `stop` is set.
pub fn run(cfg: Config, stop: Arc<AtomicBool>) -> Result<()> {
    let control = Control::new(&cfg.api, &cfg.secret);
    let first = control
        .changes("", 0, Duration::ZERO)
        .context("the control plane")?;
    let PushedUpdate::State(cloud) = first.update else {
        return Err(anyhow!(
            "the control plane sent changes to a data plane with no state"
        ));
    };
    for (_, eni) in &cfg.ports {
        if !cloud.enis.contains_key(eni) {
            return Err(anyhow!("ENI {eni} is not known to the control plane"));
        }
    }
    let mut sw = Switch::new(cfg.gateway_mac);
    sw.load(*cloud, first.version);
    let shared = Shared {
        cfg: Arc::new(cfg),
        control,
        sw: Arc::new(Mutex::new(sw)),
        stats: Arc::new(Mutex::new(Stats::default())),
        stop,
        host_ns: Arc::new(rawlink::netns::current().context("this network namespace")?),
    };
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let switch = {
        let shared = shared.clone();
        std::thread::spawn(move || switch_thread(shared, ready_tx))
    };
    if ready_rx.recv().is_err() {
        return switch
            .join()
            .map_err(|_| anyhow!("the switch thread panicked"))?;
    }
    {
        let shared = shared.clone();
        std::thread::spawn(move || follow(shared, first.epoch, first.version));
    }
    write_stats(&shared.cfg.stats, &shared.stats);
    let mut last_stats = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) && !switch.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
        if last_stats.elapsed() >= Duration::from_secs(1) {
            last_stats = Instant::now();
            write_stats(&shared.cfg.stats, &shared.stats);
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    let result = switch
        .join()
        .map_err(|_| anyhow!("the switch thread panicked"))?;
    write_stats(&shared.cfg.stats, &shared.stats);
    result
}

/// Follows the control plane's changes by long poll until stopped.
fn follow(shared: Shared, mut epoch: String, mut version: u64) {
    let mut failing = false;
    while !shared.stop.load(Ordering::Relaxed) {
        match shared.control.changes(&epoch, version, POLL_WAIT) {
            Ok(pushed) => {
                if failing {
                    info!("following the control plane again");
                    failing = false;
                }
                let Ok(mut sw) = shared.sw.lock() else {
                    return;
                };
                match pushed.update {
                    PushedUpdate::Changes(c) => sw.apply(&c, pushed.version),
                    PushedUpdate::State(cloud) => sw.load(*cloud, pushed.version),
                }
                (epoch, version) = (pushed.epoch, pushed.version);
            }
            Err(e) => {
                if !failing {
                    warn!(error = %e, "the control plane's changes are not reaching the data plane");
                    failing = true;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// Reports a GARP until the control plane answers (or a newer move makes it moot), then
/// confirms or reverts the local move.
fn settle(shared: &Shared, mut r: Report) {
    if let Err(e) = rawlink::netns::enter_fd(&*shared.host_ns) {
        warn!(error = %e, "GARP not reported: cannot return to the host namespace");
        return;
    }
    let mut delay = Duration::from_millis(100);
    loop {
        match shared.control.report_garp(&r.eni, r.vip, r.form) {
            Ok(Verdict::Moved(version)) => {
                r.timing.acknowledged = Some(unix_now());
                if let (Some(g), Ok(mut sw)) = (r.generation, shared.sw.lock()) {
                    sw.confirmed(r.vip, g, version);
                }
                break;
            }
            Ok(Verdict::Refused(why)) => {
                info!(eni = %r.eni, vip = %r.vip, %why, "GARP refused");
                if let (Some(g), Ok(mut sw)) = (r.generation, shared.sw.lock()) {
                    sw.refused(r.vip, g);
                }
                r.timing.refused = Some(why);
                break;
            }
            Err(e) => {
                warn!(eni = %r.eni, vip = %r.vip, error = %e, "GARP not reported yet");
                let still_pending = r
                    .generation
                    .is_some_and(|g| shared.sw.lock().is_ok_and(|sw| sw.is_pending(r.vip, g)));
                if !still_pending || shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    if let Ok(mut s) = shared.stats.lock() {
        s.garps.push_back(r.timing);
        while s.garps.len() > GARPS_KEPT {
            s.garps.pop_front();
        }
    }
    write_stats(&shared.cfg.stats, &shared.stats);
}

fn switch_thread(shared: Shared, ready: mpsc::Sender<()>) -> Result<()> {
    let cfg = &shared.cfg;
    if let Some(priority) = cfg.realtime_priority {
        super::realtime::set_fifo(priority)?;
        info!(priority, "forwarding thread runs SCHED_FIFO");
    }
    rawlink::netns::enter(&cfg.netns)?;
    let index = |name: &str| {
        nix::net::if_::if_nametoindex(name)
            .map_err(|e| anyhow!("interface {name} in {}: {e}", cfg.netns))
    };
    let mut ports = Vec::new();
    for (ifname, eni) in &cfg.ports {
        ports.push((index(ifname)?, eni.clone()));
    }
    let public = cfg.public.as_deref().map(index).transpose()?;
    let rx = rawlink::Receiver::new().context("packet socket")?;
    rx.set_timeout(Duration::from_millis(20))?;
    let tx = rawlink::Sender::new().context("packet socket")?;
    if let Ok(mut s) = shared.sw.lock() {
        s.attach(&ports, public);
    }
    let _ = ready.send(());
    let started = Instant::now();
    let mut buf = vec![0u8; 65536];
    let mut last_copy = Instant::now();
    info!(ports = ports.len(), "data plane forwarding");
    while !shared.stop.load(Ordering::Relaxed) {
        let arrival = match rx.recv(&mut buf) {
            Ok(a) => a,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue;
            }
            Err(e) => return Err(e).context("receiving"),
        };
        let received = unix_now();
        let now_ms = started.elapsed().as_millis() as u64;
        let outs = match shared.sw.lock() {
            Ok(mut s) => s.handle(now_ms, arrival.ifindex, &buf[..arrival.len]),
            Err(_) => return Err(anyhow!("switch state poisoned")),
        };
        perform(&shared, &tx, outs, received);
        if last_copy.elapsed() >= Duration::from_millis(100) {
            last_copy = Instant::now();
            copy_counters(&shared.sw, &shared.stats);
        }
    }
    copy_counters(&shared.sw, &shared.stats);
    Ok(())
}

/// Does what the switch asked for a frame received at `received` (Unix seconds): sends
/// frames, and settles each GARP report on a thread of its own.
fn perform(shared: &Shared, tx: &rawlink::Sender, outs: Vec<Out>, received: f64) {
    for out in outs {
        match out {
            Out::Send { ifindex, frame } => {
                if let Err(e) = tx.send(ifindex, &frame) {
                    warn!(ifindex, error = %e, "frame not sent");
                }
            }
            Out::Report {
                eni,
                vip,
                form,
                generation,
                ..
            } => {
                let timing = GarpTiming {
                    vip: vip.to_string(),
                    eni: eni.clone(),
                    received,
                    switched: generation.map(|_| unix_now()),
                    ..GarpTiming::default()
                };
                let report = Report {
                    eni,
                    vip,
                    form,
                    generation,
                    timing,
                };
                // Straight from here: no hop through another thread's wake-up (and at
                // this thread's priority).
                let shared = shared.clone();
                std::thread::spawn(move || settle(&shared, report));
            }
        }
    }
}

fn copy_counters(sw: &Mutex<Switch>, stats: &Mutex<Stats>) {
    if let (Ok(sw), Ok(mut s)) = (sw.lock(), stats.lock()) {
        s.counters = sw
            .counters
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
    }
}
