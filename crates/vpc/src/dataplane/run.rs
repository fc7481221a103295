//! The data plane process: a switch thread inside the VPC's switch namespace reads every frame
//! of its ports (AF_PACKET) and forwards by the rules of `switch.rs`; the main thread stays in
//! the host namespace to talk to the control plane: it refreshes the switch's view of the
//! state and reports GARPs, each in its own thread (a programmed delay must not stall others).

use super::switch::{Out, Switch};
use crate::cloud::{Change, Cloud};
use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
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
    /// Where to write counters and GARP latencies (JSON, every second and at exit).
    pub stats: Option<PathBuf>,
    /// MAC the VPC's gateway and proxy answers use.
    pub gateway_mac: [u8; 6],
}

struct Report {
    eni: String,
    vip: Ipv4Addr,
    form: &'static str,
    mac: [u8; 6],
    since: Instant,
}

/// The switch's resolved ports (interface index, ENI) and public interface.
type ResolvedPorts = (Vec<(u32, String)>, Option<u32>);

/// Counters and GARP-to-binding latencies.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Frames by outcome.
    pub counters: BTreeMap<String, u64>,
    /// Milliseconds from a GARP frame to its acknowledged binding, in order.
    pub garp_to_binding_ms: Vec<f64>,
    /// GARPs the control plane refused, with why.
    pub refused: Vec<String>,
}

/// The control plane's state, as `/internal/state` gives it.
pub fn fetch_state(api: &str, secret: &str) -> Result<Cloud> {
    let text = ureq::get(&format!("{api}/internal/state"))
        .set("Authorization", &format!("Bearer {secret}"))
        .timeout(Duration::from_secs(5))
        .call()
        .map_err(|e| anyhow!("{api}/internal/state: {e}"))?
        .into_string()?;
    let v: Value = serde_json::from_str(&text)?;
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let mut changes = Vec::new();
    for x in list("Vpcs") {
        changes.push(Change::Vpc(serde_json::from_value(x)?));
    }
    for x in list("Subnets") {
        changes.push(Change::Subnet(serde_json::from_value(x)?));
    }
    for x in list("NetworkInterfaces") {
        changes.push(Change::Eni(serde_json::from_value(x)?));
    }
    for x in list("Addresses") {
        changes.push(Change::Address(serde_json::from_value(x)?));
    }
    for x in list("HaVips") {
        changes.push(Change::HaVip(serde_json::from_value(x)?));
    }
    let mut cloud = Cloud::default();
    cloud.apply(&changes);
    Ok(cloud)
}

fn report_garp(api: &str, secret: &str, r: &Report) -> Result<Option<String>> {
    let body = json!({"NetworkInterfaceId": r.eni, "Vip": r.vip.to_string(), "Form": r.form});
    let text = ureq::post(&format!("{api}/internal/garp"))
        .set("Authorization", &format!("Bearer {secret}"))
        .timeout(Duration::from_secs(120))
        .send_string(&body.to_string())
        .map_err(|e| anyhow!("{api}/internal/garp: {e}"))?
        .into_string()?;
    let v: Value = serde_json::from_str(&text)?;
    if v["Moved"] == true {
        Ok(None)
    } else {
        Ok(Some(v["Reason"].as_str().unwrap_or("refused").to_string()))
    }
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

/// Runs until `stop` is set.
pub fn run(cfg: Config, stop: Arc<AtomicBool>) -> Result<()> {
    let first = fetch_state(&cfg.api, &cfg.secret).context("the control plane")?;
    for (_, eni) in &cfg.ports {
        if !first.enis.contains_key(eni) {
            return Err(anyhow!("ENI {eni} is not known to the control plane"));
        }
    }
    let (to_main, reports) = mpsc::channel::<Report>();
    let stats = Arc::new(Mutex::new(Stats::default()));
    // The switch is shared: the forwarding thread locks it per frame, this thread applies the
    // control plane's answers to it the moment they arrive.
    let sw = Arc::new(Mutex::new(Switch::new(cfg.gateway_mac)));
    let (ports_tx, ports_rx) = mpsc::channel::<ResolvedPorts>();
    let switch = {
        let (cfg, stop, stats, sw) = (cfg.clone(), stop.clone(), stats.clone(), sw.clone());
        std::thread::spawn(move || switch_thread(cfg, first, sw, ports_tx, to_main, stop, stats))
    };
    let Ok((ports, public)) = ports_rx.recv() else {
        return switch
            .join()
            .map_err(|_| anyhow!("the switch thread panicked"))?;
    };
    let mut last_sync = Instant::now();
    let mut last_stats = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match reports.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => {
                let (api, sw, stats) = (cfg.api.clone(), sw.clone(), stats.clone());
                let secret = cfg.secret.clone();
                std::thread::spawn(move || match report_garp(&api, &secret, &r) {
                    Ok(None) => {
                        if let Ok(mut s) = sw.lock() {
                            s.moved(r.vip, &r.eni, r.mac);
                        }
                        if let Ok(mut s) = stats.lock() {
                            s.garp_to_binding_ms
                                .push(r.since.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                    Ok(Some(why)) => {
                        info!(eni = %r.eni, vip = %r.vip, %why, "GARP refused");
                        if let Ok(mut s) = stats.lock() {
                            s.refused.push(why);
                        }
                    }
                    Err(e) => warn!(error = %e, "GARP not reported"),
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if last_sync.elapsed() >= Duration::from_millis(200) {
            last_sync = Instant::now();
            match fetch_state(&cfg.api, &cfg.secret) {
                Ok(c) => {
                    if let Ok(mut s) = sw.lock() {
                        s.sync(&c, &ports, public);
                    }
                }
                Err(e) => warn!(error = %e, "state not refreshed"),
            }
        }
        if last_stats.elapsed() >= Duration::from_secs(1) {
            last_stats = Instant::now();
            write_stats(&cfg.stats, &stats);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let result = switch
        .join()
        .map_err(|_| anyhow!("the switch thread panicked"))?;
    write_stats(&cfg.stats, &stats);
    result
}

fn switch_thread(
    cfg: Config,
    first: Cloud,
    sw: Arc<Mutex<Switch>>,
    ports_tx: mpsc::Sender<ResolvedPorts>,
    to_main: mpsc::Sender<Report>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<Stats>>,
) -> Result<()> {
    let path = format!("/run/netns/{}", cfg.netns);
    let ns = std::fs::File::open(&path).with_context(|| format!("opening {path}"))?;
    nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
        .with_context(|| format!("entering namespace {}", cfg.netns))?;
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
    if let Ok(mut s) = sw.lock() {
        s.sync(&first, &ports, public);
    }
    let _ = ports_tx.send((ports.clone(), public));
    let started = Instant::now();
    let mut buf = vec![0u8; 65536];
    let mut last_copy = Instant::now();
    info!(ports = ports.len(), "data plane forwarding");
    while !stop.load(Ordering::Relaxed) {
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
        let now_ms = started.elapsed().as_millis() as u64;
        let outs = match sw.lock() {
            Ok(mut s) => s.handle(now_ms, arrival.ifindex, &buf[..arrival.len]),
            Err(_) => return Err(anyhow!("switch state poisoned")),
        };
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
                    mac,
                } => {
                    let _ = to_main.send(Report {
                        eni,
                        vip,
                        form,
                        mac,
                        since: Instant::now(),
                    });
                }
            }
        }
        if last_copy.elapsed() >= Duration::from_millis(100) {
            last_copy = Instant::now();
            copy_counters(&sw, &stats);
        }
    }
    copy_counters(&sw, &stats);
    Ok(())
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
