//! Drills: the seed pair elected, the client probing the VIP, faults injected on a schedule,
//! and what the client saw. Scenarios are data (JSON), so a new one needs no new code.

use crate::daemon::{self, Kind, Running};
use crate::probe::{self, Outage, Pinger};
use crate::seeds;
use crate::topology::{Node, Topology, new_id};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A fault or repair, applied to a server (`a` is the primary, `b` the secondary).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Cut the server's cable at the switch (a server crash, as the network sees it).
    Cut {
        /// Server.
        node: String,
    },
    /// Reconnect the cable.
    Restore {
        /// Server.
        node: String,
    },
    /// Kill the daemon with SIGKILL (it cannot resign; its VIPs stay behind).
    Kill {
        /// Server.
        node: String,
    },
    /// Stop the daemon with SIGTERM (it resigns).
    Stop {
        /// Server.
        node: String,
    },
    /// Start the server's daemon again.
    Start {
        /// Server.
        node: String,
    },
}

/// A step of a scenario: an action at a time after the probes start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Seconds after the start of probing.
    pub at: f64,
    /// What happens.
    #[serde(flatten)]
    pub action: Action,
}

/// A drill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Name (`havip lab drill NAME`).
    pub name: String,
    /// What it reproduces.
    pub description: String,
    /// Faults and repairs.
    pub steps: Vec<Step>,
    /// How long to probe, in seconds.
    pub duration: f64,
}

/// The built-in scenarios.
pub const BUILTIN: &str = include_str!("../scenarios.json");

/// Every built-in scenario.
pub fn scenarios() -> Result<Vec<Scenario>> {
    serde_json::from_str(BUILTIN).context("built-in scenarios")
}

/// A built-in scenario by name.
pub fn scenario(name: &str) -> Result<Scenario> {
    let all = scenarios()?;
    let names: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    all.into_iter().find(|s| s.name == name).ok_or_else(|| {
        anyhow!(
            "no scenario `{name}`; the scenarios are: {}",
            names.join(", ")
        )
    })
}

/// What one drill run measured.
#[derive(Clone, Debug, Serialize)]
pub struct DrillResult {
    /// The lab's id (its namespaces are named `hvl<id>...`; gone when the drill returns).
    pub lab_id: String,
    /// Scenario name.
    pub scenario: String,
    /// Daemon on the servers.
    pub daemon: Kind,
    /// Gaps in the client's replies.
    pub outages: Vec<Outage>,
    /// Seconds from the first fault until the secondary holds the VIP (if it took it).
    pub time_to_new_master: Option<f64>,
    /// Total time both servers held the VIP, in ms.
    pub dual_master_ms: f64,
    /// Probes sent and answered.
    pub answered: usize,
    /// Who held the VIP at the end.
    pub final_holder: Option<String>,
}

impl DrillResult {
    /// The longest outage, in ms (0 if none).
    pub fn worst_outage_ms(&self) -> f64 {
        self.outages.iter().map(Outage::ms).fold(0.0, f64::max)
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn config_for(node: &Node) -> &'static str {
    if node.name == "a" {
        seeds::PRIMARY
    } else {
        seeds::SECONDARY
    }
}

/// Runs `scenario` with `kind` on both servers, in a fresh lab that is removed afterwards.
pub fn run(scenario: &Scenario, kind: Kind, progress: &dyn Fn(&str)) -> Result<DrillResult> {
    let topo = Topology::up(&new_id(), 2)?;
    let mut daemons: Vec<Option<Running>> = vec![None, None];
    progress(&format!("starting {kind} on the primary and the secondary"));
    daemons[0] = Some(daemon::start(
        kind,
        &topo,
        &topo.servers[0],
        seeds::PRIMARY,
    )?);
    std::thread::sleep(Duration::from_millis(500));
    daemons[1] = Some(daemon::start(
        kind,
        &topo,
        &topo.servers[1],
        seeds::SECONDARY,
    )?);
    let primary = topo.servers[0].clone();
    let elected = wait(Duration::from_secs(15), || topo.holds(&primary, seeds::VIP));
    if !elected {
        let log = daemons[0]
            .as_ref()
            .map(Running::log_text)
            .unwrap_or_default();
        bail!("the primary never took the VIP {}:\n{log}", seeds::VIP);
    }
    let pinger = Pinger::start(&topo.client.ns, seeds::VIP)?;
    let answered = wait(Duration::from_secs(5), || !pinger.replies().is_empty());
    if !answered {
        bail!("the client gets no answer from the VIP {}", seeds::VIP);
    }
    let holders = Arc::new(Mutex::new(Vec::<(f64, [bool; 2])>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (holders, stop) = (holders.clone(), stop.clone());
        let servers = topo.servers.clone();
        let (ns0, ns1) = (servers[0].ns.clone(), servers[1].ns.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let h = |ns: &str| {
                    crate::shell::sh_in(ns, "ip -o addr show dev eth0")
                        .is_ok_and(|o| o.contains(&format!(" {}/", seeds::VIP)))
                };
                let sample = [h(&ns0), h(&ns1)];
                if let Ok(mut v) = holders.lock() {
                    v.push((now(), sample));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let start = Instant::now();
    let mut first_fault: Option<f64> = None;
    for step in &scenario.steps {
        let due = start + Duration::from_secs_f64(step.at);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        first_fault.get_or_insert_with(now);
        progress(&format!("t={:.1}s {:?}", step.at, step.action));
        apply(&topo, &mut daemons, kind, &step.action)?;
    }
    let end = start + Duration::from_secs_f64(scenario.duration);
    std::thread::sleep(end.saturating_duration_since(Instant::now()));
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let replies = pinger.stop();
    let samples = holders.lock().map(|v| v.clone()).unwrap_or_default();
    let dual_master_ms = samples
        .windows(2)
        .filter(|w| w[0].1[0] && w[0].1[1])
        .map(|w| (w[1].0 - w[0].0) * 1000.0)
        .fold(0.0, |a, b| a + b);
    let time_to_new_master = first_fault.and_then(|t0| {
        samples
            .iter()
            .find(|(t, h)| *t >= t0 && h[1])
            .map(|(t, _)| t - t0)
    });
    let final_holder = samples.last().and_then(|(_, h)| match h {
        [true, false] => Some("a".to_string()),
        [false, true] => Some("b".to_string()),
        [true, true] => Some("both".to_string()),
        _ => None,
    });
    Ok(DrillResult {
        lab_id: topo.id.clone(),
        scenario: scenario.name.clone(),
        daemon: kind,
        outages: probe::outages(&replies),
        time_to_new_master,
        dual_master_ms,
        answered: replies.len(),
        final_holder,
    })
}

fn apply(
    topo: &Topology,
    daemons: &mut [Option<Running>],
    kind: Kind,
    action: &Action,
) -> Result<()> {
    let index = |node: &str| {
        topo.servers
            .iter()
            .position(|s| s.name == node)
            .ok_or_else(|| anyhow!("no server `{node}` (servers are a and b)"))
    };
    match action {
        Action::Cut { node } => topo.cable(&topo.servers[index(node)?], false),
        Action::Restore { node } => topo.cable(&topo.servers[index(node)?], true),
        Action::Kill { node } | Action::Stop { node } => {
            let k = index(node)?;
            let sig = if matches!(action, Action::Kill { .. }) {
                "KILL"
            } else {
                "TERM"
            };
            if let Some(d) = daemons[k].as_mut() {
                d.signal(sig)?;
                d.wait_exit(Duration::from_secs(10));
            }
            if sig == "KILL" {
                // keepalived's VRRP child outlives its parent's SIGKILL; a crash takes both.
                let _ = crate::shell::sh(&format!(
                    "for p in $(ip netns pids {}); do kill -9 $p; done",
                    topo.servers[k].ns
                ));
            }
            Ok(())
        }
        Action::Start { node } => {
            let k = index(node)?;
            let server = topo.servers[k].clone();
            daemons[k] = Some(daemon::start(kind, topo, &server, config_for(&server))?);
            Ok(())
        }
    }
}

fn wait(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
