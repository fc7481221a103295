//! Drills: the seed pair elected, the client probing the VIP (ICMP every 10 ms, TCP every
//! 50 ms), faults injected on a schedule, and what the client saw. Scenarios are data (JSON:
//! config edits and timed steps), so a new one needs no new code.

use crate::daemon::{self, Kind, Running};
use crate::faults;
use crate::probe::{self, Outage, Pinger};
use crate::seeds;
use crate::tcp::{self, Request, Worker};
use crate::timeline::{self, Mark, Span};
use crate::topology::{Topology, new_id};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A fault or repair, applied to a server (`a` is the primary, `b` the secondary).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Planned switchover: havipd's `havip maintenance on` (make-before-break); keepalived,
    /// which has none, is stopped (its operators' way: `systemctl stop`).
    Maintenance {
        /// Server.
        node: String,
    },
    /// Start the server's daemon again.
    Start {
        /// Server.
        node: String,
    },
    /// Reboot: everything in the server's namespace dies and the namespace is destroyed and
    /// rebuilt (a fresh network stack, no VIP); a later `start` step is the end of the boot.
    Reboot {
        /// Server.
        node: String,
    },
    /// Take the server's own interface down (`ip link set eth0 down`).
    LinkDown {
        /// Server.
        node: String,
    },
    /// Bring it back up.
    LinkUp {
        /// Server.
        node: String,
    },
    /// Drop VRRP (IP protocol 112) to and from the server; data still flows (split brain).
    Partition {
        /// Server.
        node: String,
    },
    /// Let VRRP through again.
    Heal {
        /// Server.
        node: String,
    },
    /// Drop this share of the server's packets, both ways.
    Loss {
        /// Server.
        node: String,
        /// Percent, 1-100.
        percent: u8,
    },
    /// Delay the server's outgoing packets (tc netem).
    Delay {
        /// Server.
        node: String,
        /// Milliseconds.
        ms: u32,
    },
    /// Remove loss and delay.
    Clear {
        /// Server.
        node: String,
    },
    /// Make the server's health check (the seeds' `checkhaproxy` track script) fail.
    FailCheck {
        /// Server.
        node: String,
    },
    /// Make it pass again.
    PassCheck {
        /// Server.
        node: String,
    },
    /// The attacker (`x`) forges adverts from its own address at this priority, with the
    /// seed's password, and takes the VIP.
    Forge {
        /// The attacker, `x`.
        node: String,
        /// Priority claimed (255: the address owner).
        priority: u8,
        /// A stolen `auth_hmac` key (`hex:...`) to sign with, id 1.
        #[serde(default)]
        key: Option<String>,
        /// The attacker's clock offset in seconds (with `key`).
        #[serde(default)]
        clock_offset: i64,
        /// Send from this server's address instead of the attacker's own (a unicast group
        /// only hears its peers).
        #[serde(default)]
        spoof: Option<String>,
    },
    /// Record the adverts a server sends, at its switch port.
    Capture {
        /// Server.
        node: String,
    },
    /// The attacker (`x`) replays what was captured, over and over.
    Replay {
        /// The attacker, `x`.
        node: String,
    },
}

impl Action {
    /// The server it applies to.
    pub fn node(&self) -> &str {
        match self {
            Action::Cut { node }
            | Action::Restore { node }
            | Action::Kill { node }
            | Action::Stop { node }
            | Action::Start { node }
            | Action::Maintenance { node }
            | Action::Reboot { node }
            | Action::LinkDown { node }
            | Action::LinkUp { node }
            | Action::Partition { node }
            | Action::Heal { node }
            | Action::Loss { node, .. }
            | Action::Delay { node, .. }
            | Action::Clear { node }
            | Action::FailCheck { node }
            | Action::PassCheck { node }
            | Action::Forge { node, .. }
            | Action::Capture { node }
            | Action::Replay { node } => node,
        }
    }

    /// Whether the step belongs to an attack (it needs the attacker host `x`, or a capture).
    pub fn is_attack(&self) -> bool {
        matches!(
            self,
            Action::Forge { .. } | Action::Capture { .. } | Action::Replay { .. }
        )
    }

    /// Short label for reports.
    pub fn label(&self) -> String {
        let n = self.node();
        match self {
            Action::Cut { .. } => format!("cut {n}"),
            Action::Restore { .. } => format!("restore {n}"),
            Action::Kill { .. } => format!("kill -9 {n}"),
            Action::Stop { .. } => format!("stop {n}"),
            Action::Start { .. } => format!("start {n}"),
            Action::Maintenance { .. } => format!("maintenance on {n}"),
            Action::Reboot { .. } => format!("reboot {n}"),
            Action::LinkDown { .. } => format!("{n} eth0 down"),
            Action::LinkUp { .. } => format!("{n} eth0 up"),
            Action::Partition { .. } => format!("VRRP cut at {n}"),
            Action::Heal { .. } => format!("VRRP back at {n}"),
            Action::Loss { percent, .. } => format!("{percent}% loss at {n}"),
            Action::Delay { ms, .. } => format!("{ms} ms delay at {n}"),
            Action::Clear { .. } => format!("clear {n}"),
            Action::FailCheck { .. } => format!("check fails on {n}"),
            Action::PassCheck { .. } => format!("check passes on {n}"),
            Action::Forge {
                priority,
                key,
                clock_offset,
                spoof,
                ..
            } => {
                let from = spoof.as_ref().map_or(String::new(), |s| format!(" as {s}"));
                match key {
                    Some(_) => format!(
                        "{n} forges priority {priority}{from}, signed, clock {clock_offset:+} s"
                    ),
                    None => format!("{n} forges priority {priority}{from}"),
                }
            }
            Action::Capture { .. } => format!("capture {n}'s adverts"),
            Action::Replay { .. } => format!("{n} replays them"),
        }
    }
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

/// A change to both seed configs: the line whose text (no-break spaces read as spaces,
/// trimmed) starts with `line` is replaced by `with` (`{dir}` and `{node}` are filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// Start of the line to replace.
    pub line: String,
    /// Replacement (may be empty or several lines).
    pub with: String,
}

/// A drill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Name (`havip lab drill NAME`).
    pub name: String,
    /// What it reproduces.
    pub description: String,
    /// Changes to the seed configs.
    #[serde(default)]
    pub edits: Vec<Edit>,
    /// Faults and repairs.
    pub steps: Vec<Step>,
    /// How long to probe, in seconds.
    pub duration: f64,
    /// Extra havipd flags (its opt-ins, e.g. `--handover-on-stop`); keepalived has none.
    #[serde(default)]
    pub havipd_args: Vec<String>,
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

/// A seed config with the scenario's edits, for server `node` with scratch dir `dir`.
pub fn edited(text: &str, edits: &[Edit], node: &str, dir: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let plain = line.replace('\u{a0}', " ");
        match edits.iter().find(|e| plain.trim().starts_with(&e.line)) {
            Some(e) => {
                out.push_str(&e.with.replace("{dir}", dir).replace("{node}", node));
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// What one drill run measured.
#[derive(Clone, Debug, Serialize)]
pub struct DrillResult {
    /// The lab's id (its namespaces are named `hvl<id>...`; gone when the drill returns).
    pub lab_id: String,
    /// `namespaces` or `simulator` (virtual time).
    pub backend: String,
    /// Scenario name.
    pub scenario: String,
    /// Daemons on the servers: `havipd`, `keepalived`, or `havipd+keepalived` (primary first).
    pub daemon: String,
    /// Start and end of probing (Unix seconds; virtual seconds in the simulator).
    pub start: f64,
    /// End of probing.
    pub end: f64,
    /// Gaps in the client's ICMP replies.
    pub outages: Vec<Outage>,
    /// TCP requests sent and how each went.
    pub requests: Vec<Request>,
    /// Seconds from the first fault until the secondary holds the VIP (if it took it).
    pub time_to_new_master: Option<f64>,
    /// Who held the VIP when.
    pub holders: Vec<Span>,
    /// Stretches with two holders.
    pub split_brain: Vec<Span>,
    /// Faults and repairs.
    pub faults: Vec<Mark>,
    /// ICMP probes answered.
    pub answered: usize,
    /// havipd's transition log lines (JSON objects with the server added), if it ran.
    pub transitions: Vec<serde_json::Value>,
    /// Who held the VIP at the end.
    pub final_holder: Option<String>,
    /// Seconds the attacker (`x`) held the VIP while no server did.
    pub stolen_seconds: f64,
    /// havipd's `auth_hmac` rejections at the end, per server (counters by reason).
    pub auth_rejections: std::collections::BTreeMap<String, serde_json::Value>,
}

impl DrillResult {
    /// The longest outage, in ms (0 if none).
    pub fn worst_outage_ms(&self) -> f64 {
        self.outages.iter().map(Outage::ms).fold(0.0, f64::max)
    }

    /// Total split-brain time, in ms.
    pub fn dual_master_ms(&self) -> f64 {
        self.split_brain
            .iter()
            .map(|s| (s.to - s.from) * 1000.0)
            .fold(0.0, |a, b| a + b)
    }

    /// TCP requests that got no answer.
    pub fn lost_requests(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| r.answered_by.is_none())
            .count()
    }

    /// Holder changes.
    pub fn transitions(&self) -> usize {
        timeline::changes(&self.holders)
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The running pieces of a drill.
struct Drill<'a> {
    topo: Topology,
    kinds: [Kind; 2],
    scenario: &'a Scenario,
    daemons: Vec<Option<Running>>,
    services: Vec<Option<Worker<()>>>,
    attacker: crate::attack::Attacker,
    x: Option<crate::topology::Node>,
}

impl Drill<'_> {
    fn attacker_node(&self, node: &str) -> Result<crate::topology::Node> {
        match &self.x {
            Some(x) if x.name == node => Ok(x.clone()),
            _ => Err(anyhow!(
                "`{node}` is not the attacker; forge and replay steps run on `x`"
            )),
        }
    }

    fn apply_attack(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::Forge {
                node,
                priority,
                key,
                clock_offset,
                spoof,
            } => {
                let x = self.attacker_node(node)?;
                let source = match spoof {
                    Some(server) => self.topo.servers[self.index(server)?].addr.parse()?,
                    None => x.addr.parse()?,
                };
                let seed = crate::sim::router_config(&self.config(0))?;
                let advert = vrrp::Advert {
                    version: seed.version,
                    vrid: seed.vrid,
                    priority: *priority,
                    interval: seed.advert_interval,
                    auth: seed.auth,
                    addresses: seed.virtual_addresses.clone(),
                };
                let signed = match key {
                    Some(k) => Some((
                        1,
                        conf::build::auth_hmac::decode(k).map_err(|e| anyhow!("forge key: {e}"))?,
                        *clock_offset,
                    )),
                    None => None,
                };
                let forgery = crate::attack::Forgery {
                    advert,
                    signed,
                    source,
                };
                self.attacker.forge(&self.topo, &x, forgery, seeds::VIP)
            }
            Action::Capture { node } => {
                let k = self.index(node)?;
                let server = self.topo.servers[k].clone();
                self.attacker.capture(&self.topo, &server)
            }
            Action::Replay { node } => {
                let x = self.attacker_node(node)?;
                self.attacker.replay(&x)
            }
            _ => Ok(()),
        }
    }

    /// havipd's auth_hmac counters, after a SIGUSR2 asks it to write them.
    fn auth_rejections(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut out = std::collections::BTreeMap::new();
        for (k, dmn) in self.daemons.iter().enumerate() {
            let Some(dmn) = dmn.as_ref().filter(|d| d.kind == Kind::Havipd) else {
                continue;
            };
            if dmn.signal("USR2").is_err() {
                continue;
            }
            std::thread::sleep(Duration::from_millis(300));
            let stats: serde_json::Value =
                std::fs::read_to_string(dmn.state_dir.join("stats.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
            let Some(instances) = stats["instances"].as_object() else {
                continue;
            };
            for (name, counters) in instances {
                let auth: serde_json::Map<String, serde_json::Value> = counters
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(c, _)| c.starts_with("auth_ext_"))
                    .map(|(c, v)| (c.clone(), v.clone()))
                    .collect();
                if !auth.is_empty() {
                    let server = &self.topo.servers[k].name;
                    out.insert(format!("{server}/{name}"), serde_json::Value::Object(auth));
                }
            }
        }
        out
    }
    fn config(&self, k: usize) -> String {
        let seed = if k == 0 {
            seeds::PRIMARY
        } else {
            seeds::SECONDARY
        };
        let node = &self.topo.servers[k].name;
        edited(
            seed,
            &self.scenario.edits,
            node,
            &self.topo.dir.display().to_string(),
        )
    }

    fn start_daemon(&mut self, k: usize) -> Result<()> {
        let server = self.topo.servers[k].clone();
        let config = self.config(k);
        self.daemons[k] = Some(daemon::start_with(
            self.kinds[k],
            &self.topo,
            &server,
            &config,
            &self.scenario.havipd_args,
        )?);
        Ok(())
    }

    /// havipd: maintenance on through its control socket; keepalived: stopped.
    fn maintenance(&mut self, k: usize) -> Result<()> {
        let Some(d) = self.daemons[k].as_mut() else {
            bail!("no daemon runs on {}", self.topo.servers[k].name);
        };
        if d.kind != Kind::Havipd {
            let node = self.topo.servers[k].name.clone();
            return self.apply(&Action::Stop { node });
        }
        let socket = d.state_dir.join(ctl::SOCKET_NAME);
        let request = ctl::Request::Maintenance {
            on: true,
            instance: None,
        };
        match ctl::Client::one(&socket, &request)? {
            ctl::Reply::Done { .. } => Ok(()),
            other => bail!("havipd refused maintenance: {other:?}"),
        }
    }

    fn index(&self, node: &str) -> Result<usize> {
        self.topo
            .servers
            .iter()
            .position(|s| s.name == node)
            .ok_or_else(|| anyhow!("no server `{node}` (servers are a and b)"))
    }

    fn apply(&mut self, action: &Action) -> Result<()> {
        if action.is_attack() {
            return self.apply_attack(action);
        }
        let k = self.index(action.node())?;
        let server = self.topo.servers[k].clone();
        let ns = server.ns.as_str();
        let check_flag = self.topo.dir.join(format!("{}.fail", server.name));
        match action {
            Action::Cut { .. } => self.topo.cable(&server, false),
            Action::Restore { .. } => self.topo.cable(&server, true),
            Action::Kill { .. } | Action::Stop { .. } => {
                let sig = if matches!(action, Action::Kill { .. }) {
                    "KILL"
                } else {
                    "TERM"
                };
                if let Some(d) = self.daemons[k].as_mut() {
                    d.signal(sig)?;
                    d.wait_exit(Duration::from_secs(10));
                }
                if sig == "KILL" {
                    // keepalived's VRRP child outlives its parent's SIGKILL; a crash takes both.
                    faults::kill_all_in(ns, &[std::process::id()]);
                }
                Ok(())
            }
            Action::Start { .. } => self.start_daemon(k),
            Action::Maintenance { .. } => self.maintenance(k),
            Action::Reboot { .. } => {
                self.services[k] = None;
                self.daemons[k] = None;
                self.topo.rebuild(&server)?;
                self.services[k] = Some(tcp::serve(ns, &server.name)?);
                Ok(())
            }
            Action::LinkDown { .. } => faults::link(ns, false),
            Action::LinkUp { .. } => faults::link(ns, true),
            Action::Partition { .. } => faults::drop_vrrp(ns, true),
            Action::Heal { .. } => faults::drop_vrrp(ns, false),
            Action::Loss { percent, .. } => faults::loss(ns, *percent),
            Action::Delay { ms, .. } => faults::delay(ns, *ms),
            Action::Clear { .. } => faults::clear(ns),
            Action::FailCheck { .. } => std::fs::write(&check_flag, "")
                .with_context(|| format!("writing {}", check_flag.display())),
            Action::PassCheck { .. } => {
                let _ = std::fs::remove_file(&check_flag);
                Ok(())
            }
            Action::Forge { .. } | Action::Capture { .. } | Action::Replay { .. } => {
                self.apply_attack(action)
            }
        }
    }
}

/// The label of a pair of daemons: one name when both are the same.
pub fn pair_label(kinds: [Kind; 2]) -> String {
    if kinds[0] == kinds[1] {
        kinds[0].to_string()
    } else {
        format!("{}+{}", kinds[0], kinds[1])
    }
}

/// Runs `scenario` with `kinds` (primary, secondary), in a fresh lab that is removed
/// afterwards. `progress` gets a line per phase; `tick` gets (elapsed, duration) while probing.
pub fn run(
    scenario: &Scenario,
    kinds: [Kind; 2],
    progress: &dyn Fn(&str),
    tick: &dyn Fn(f64, f64),
) -> Result<DrillResult> {
    let topo = Topology::up(&new_id(), 2)?;
    let mut d = Drill {
        topo,
        kinds,
        scenario,
        daemons: vec![None, None],
        services: vec![None, None],
        attacker: crate::attack::Attacker::default(),
        x: None,
    };
    if scenario.steps.iter().any(|s| s.action.is_attack()) {
        d.x = Some(
            d.topo
                .add_on_subnet(crate::attack::ATTACKER, crate::attack::ATTACKER_ADDR)?,
        );
    }
    for k in 0..2 {
        let s = d.topo.servers[k].clone();
        d.services[k] = Some(tcp::serve(&s.ns, &s.name)?);
    }
    progress(&format!(
        "starting {} on the primary, {} on the secondary",
        kinds[0], kinds[1]
    ));
    d.start_daemon(0)?;
    std::thread::sleep(Duration::from_millis(500));
    d.start_daemon(1)?;
    let primary = d.topo.servers[0].clone();
    if !wait(Duration::from_secs(15), || {
        d.topo.holds(&primary, seeds::VIP)
    }) {
        let log = d.daemons[0]
            .as_ref()
            .map(Running::log_text)
            .unwrap_or_default();
        bail!("the primary never took the VIP {}:\n{log}", seeds::VIP);
    }
    let pinger = Pinger::start(&d.topo.client.ns, seeds::VIP)?;
    if !wait(Duration::from_secs(5), || !pinger.replies().is_empty()) {
        bail!("the client gets no answer from the VIP {}", seeds::VIP);
    }
    let tcp_probe = tcp::probe(&d.topo.client.ns, seeds::VIP)?;
    let samples = Arc::new(Mutex::new(Vec::<(f64, Vec<bool>)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        let nss: Vec<String> = d
            .topo
            .servers
            .iter()
            .chain(d.x.as_ref())
            .map(|s| s.ns.clone())
            .collect();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let holds = nss
                    .iter()
                    .map(|ns| {
                        crate::shell::sh_in(ns, "ip -o addr show dev eth0")
                            .is_ok_and(|o| o.contains(&format!(" {}/", seeds::VIP)))
                    })
                    .collect();
                if let Ok(mut v) = samples.lock() {
                    v.push((now(), holds));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let start = Instant::now();
    let start_time = now();
    let mut faults_marks = Vec::new();
    let mut steps = scenario.steps.clone();
    steps.sort_by(|x, y| x.at.total_cmp(&y.at));
    let mut next = 0;
    let mut outcome = Ok(());
    loop {
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= scenario.duration {
            break;
        }
        tick(elapsed, scenario.duration);
        while next < steps.len() && steps[next].at <= elapsed {
            let step = &steps[next];
            faults_marks.push(Mark {
                time: now(),
                label: step.action.label(),
            });
            if let Err(e) = d.apply(&step.action) {
                outcome = Err(e.context(format!("step at {} s: {}", step.at, step.action.label())));
            }
            next += 1;
        }
        if outcome.is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let end_time = now();
    let attacked = d.attacker.finish();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let replies = pinger.stop();
    let requests = tcp_probe.stop().unwrap_or_default();
    outcome?;
    attacked?;
    let mut transitions = Vec::new();
    for (k, dmn) in d.daemons.iter().enumerate() {
        let Some(dmn) = dmn else { continue };
        let text =
            std::fs::read_to_string(dmn.state_dir.join("transitions.jsonl")).unwrap_or_default();
        for line in text.lines() {
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) {
                v["server"] = serde_json::Value::from(d.topo.servers[k].name.clone());
                transitions.push(v);
            }
        }
    }
    let samples = samples.lock().map(|v| v.clone()).unwrap_or_default();
    let servers_only: Vec<(f64, Vec<bool>)> = samples
        .iter()
        .map(|(t, h)| (*t, h.iter().take(2).copied().collect()))
        .collect();
    let holders = timeline::spans(&servers_only, &["a", "b"], end_time);
    let stolen_seconds = timeline::spans(&samples, &["a", "b", crate::attack::ATTACKER], end_time)
        .iter()
        .filter(|s| s.holders == [crate::attack::ATTACKER])
        .map(|s| s.to - s.from)
        .sum();
    let auth_rejections = d.auth_rejections();
    // Recording adverts is no fault: the clock starts at the first step that is one.
    let first_fault = faults_marks
        .iter()
        .zip(steps.iter())
        .find(|(_, s)| !matches!(s.action, Action::Capture { .. }))
        .map(|(m, _)| m.time);
    let time_to_new_master = first_fault.and_then(|t0| {
        samples
            .iter()
            .find(|(t, h)| *t >= t0 && h.get(1) == Some(&true))
            .map(|(t, _)| t - t0)
    });
    let final_holder = holders.last().map(|s| match s.holders.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        _ => "both".to_string(),
    });
    Ok(DrillResult {
        lab_id: d.topo.id.clone(),
        backend: "namespaces".into(),
        scenario: scenario.name.clone(),
        daemon: pair_label(kinds),
        start: start_time,
        end: end_time,
        outages: probe::outages_until(&replies, end_time),
        requests,
        time_to_new_master,
        split_brain: timeline::split_brain(&holders),
        holders,
        faults: faults_marks,
        answered: replies.len(),
        transitions,
        final_holder,
        stolen_seconds,
        auth_rejections,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_passes_the_scenario_file_check() {
        let all = crate::scenario_file::parse(BUILTIN, &crate::scenario_file::SEED)
            .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
        assert_eq!(all, scenarios().expect("scenarios.json"));
        assert!(all.len() >= 10, "{}", all.len());
        assert!(scenario("nope").is_err());
    }

    #[test]
    fn edits_replace_whole_lines_whatever_their_spaces() {
        let text = "a\n\u{a0}\u{a0}  nopreempt      # comment\nb\n";
        let e = [Edit {
            line: "nopreempt".into(),
            with: "    # preempt {node} {dir}".into(),
        }];
        assert_eq!(edited(text, &e, "a", "/d"), "a\n    # preempt a /d\nb\n");
    }
}
