//! Drills: the seed pair (or the servers of a config directory) elected, the client probing
//! every VIP (ICMP every 10 ms, TCP every 50 ms), faults injected on a schedule, and what the
//! client saw.

mod db;
mod owner;
mod result;
mod scenario;
mod service;
mod stage;

pub use result::{ApiCall, BindingMove, DbOutcome, DrillResult, VipResult, VpcOutcome};
pub use scenario::{
    Action, BUILTIN, CENTRAL, Edit, GATEWAY, NB, SB, Scenario, Step, edited, scenario, scenarios,
};

use crate::cluster::Cluster;
use crate::daemon::{Kind, Running};
use crate::probe::{self, Pinger};
use crate::tcp;
use crate::timeline::{self, Mark};
use crate::topology::{Topology, holds_in, new_id};
use anyhow::{Result, bail};
use stage::Drill;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hostsys::clock::unix_secs as now;

/// The label of a pair of daemons: one name when both are the same.
pub fn pair_label(kinds: [Kind; 2]) -> String {
    if kinds[0] == kinds[1] {
        kinds[0].to_string()
    } else {
        format!("{}+{}", kinds[0], kinds[1])
    }
}

/// The lab a drill builds: its id and what runs in it.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Lab id (its namespaces are `hvl<id>...`, its scratch directory the topology's).
    pub id: String,
    /// Servers, configs, VIPs.
    pub cluster: Cluster,
    /// Inside the HAVIP VPC on this backend (control plane, its network, a HAVIP per VIP, an
    /// EIP), not on a bridge.
    pub vpc: Option<crate::vpc::Backend>,
    /// On OVN: BFD between the chassis every this many ms ([`crate::ovn::Fabric::set_bfd`]);
    /// none: OVN's default.
    pub ovn_bfd_ms: Option<u32>,
    /// On OVN: the northbound and southbound databases each a Raft cluster of three members
    /// (machines of their own), not single servers.
    pub ovn_db_cluster: bool,
    /// In the VPC without a HAVIP: the VIP a secondary private IP of the primary's ENI, moved
    /// by the cloud's API only (havipd's mover, keepalived's `notify_master` script; see
    /// [`crate::mover`]).
    pub mover: bool,
    /// The cloud's bad days switched on for each run (`POST /internal/faults`).
    pub api_faults: vpc::faults::Faults,
    /// How long after a VPC run the owner check looks for the right owner (by default 5 s
    /// plus 4 times the API's added latency).
    pub owner_grace: Option<Duration>,
}

impl Setup {
    /// The seed pair.
    pub fn seed() -> Setup {
        Setup {
            id: new_id(),
            cluster: Cluster::seed(),
            vpc: None,
            ovn_bfd_ms: None,
            ovn_db_cluster: false,
            mover: false,
            api_faults: Default::default(),
            owner_grace: None,
        }
    }

    /// The configs of `dir`, one server each (see [`crate::placement`]).
    pub fn from_dir(dir: &std::path::Path) -> Result<Setup> {
        let id = new_id();
        let cluster = crate::placement::place(dir, &Topology::dir_for(&id))?;
        Ok(Setup {
            id,
            cluster,
            vpc: None,
            ovn_bfd_ms: None,
            ovn_db_cluster: false,
            mover: false,
            api_faults: Default::default(),
            owner_grace: None,
        })
    }

    /// The server names scenarios may use: the labels, and for a config directory also the
    /// built-in scenarios' roles `a` (the first VIP's master once elected) and `b` (another
    /// server).
    pub fn server_names(&self) -> Vec<String> {
        let mut names = self.cluster.labels();
        for role in ["a", "b"] {
            if !names.iter().any(|n| n == role) {
                names.push(role.to_string());
            }
        }
        names
    }
}

/// Runs `scenario` on the seed pair with `kinds` (primary, secondary), in a fresh lab that is
/// removed afterwards. `progress` gets a line per phase; `tick` gets (elapsed, duration) while
/// probing.
pub fn run(
    scenario: &Scenario,
    kinds: [Kind; 2],
    progress: &dyn Fn(&str),
    tick: &dyn Fn(f64, f64),
) -> Result<DrillResult> {
    run_on(&Setup::seed(), scenario, kinds, progress, tick)
}

/// Runs `scenario` in the lab of `setup`: the first server runs `kinds[0]`, the others
/// `kinds[1]`.
pub fn run_on(
    setup: &Setup,
    scenario: &Scenario,
    kinds: [Kind; 2],
    progress: &dyn Fn(&str),
    tick: &dyn Fn(f64, f64),
) -> Result<DrillResult> {
    let mut d = prepare(setup, scenario, kinds)?;
    d.once(progress, tick)
}

/// Runs `scenario` `times` times for each pair of `pairs`, in one lab built once and reset
/// between runs (daemons stopped, faults undone, the VIPs removed). The pairs take turns, so a
/// slow spell of the machine falls on each alike. `each` gets every result as it comes (with
/// the run's index); the first failure stops the series.
pub fn repeat(
    setup: &Setup,
    scenario: &Scenario,
    pairs: &[[Kind; 2]],
    times: usize,
    progress: &dyn Fn(&str),
    each: &mut dyn FnMut(usize, &DrillResult),
) -> Result<Vec<DrillResult>> {
    let Some(first) = pairs.first() else {
        return Ok(Vec::new());
    };
    let mut d = prepare(setup, scenario, *first)?;
    let mut results = Vec::with_capacity(times * pairs.len());
    for run in 0..times {
        for kinds in pairs {
            d.kinds = *kinds;
            let r = d.once(progress, &|_, _| {});
            d.reset();
            let r =
                r.map_err(|e| e.context(format!("run {} with {}", run + 1, pair_label(*kinds))))?;
            each(results.len(), &r);
            results.push(r);
        }
    }
    Ok(results)
}

/// A lab for `scenario`: the topology, the attacker if a step needs one, the services.
fn prepare<'a>(setup: &Setup, scenario: &'a Scenario, kinds: [Kind; 2]) -> Result<Drill<'a>> {
    let cluster = setup.cluster.clone();
    let attacked = scenario.steps.iter().any(|s| s.action.is_attack());
    if attacked && !cluster.is_seed() {
        bail!(
            "scenario `{}` has an attacker on the wire: attack steps run on the seed pair only",
            scenario.name
        );
    }
    refuse_ovn_options(setup, scenario)?;
    if setup.vpc == Some(crate::vpc::Backend::Ovn) {
        refuse_off_switch_steps(scenario)?;
    } else if let Some(step) = scenario.steps.iter().find(|s| s.action.needs_ovn()) {
        bail!(
            "scenario `{}`: `{}` acts on an OVN chassis; it runs with --vpc ovn",
            scenario.name,
            step.action.label()
        );
    }
    if setup.mover && (setup.vpc != Some(crate::vpc::Backend::Userspace) || !cluster.is_seed()) {
        bail!("--mover runs the seed pair in the VPC on havip's own switch (--vpc userspace)");
    }
    let hosts: Vec<_> = cluster.members.iter().map(|m| m.host.clone()).collect();
    let (topo, plane, fabric) = build(setup, &hosts)?;
    let n = hosts.len();
    let movers = match &plane {
        Some(p) if setup.mover => Some(crate::mover::Movers::set_up(
            &topo,
            p,
            &cluster.vips[0].addr.to_string(),
        )?),
        _ => None,
    };
    let mut d = Drill {
        movers,
        api_faults: setup.api_faults,
        owner_grace: setup.owner_grace,
        topo,
        plane,
        fabric,
        powered_off: Vec::new(),
        db_cut: Vec::new(),
        gateway_at_start: String::new(),
        kinds,
        scenario,
        cluster,
        roles: Vec::new(),
        daemons: (0..n).map(|_| None).collect(),
        services: (0..n).map(|_| None).collect(),
        attacker: crate::attack::Attacker::default(),
        x: None,
        tracked: Vec::new(),
        offline: vec![false; n],
    };
    if scenario.steps.iter().any(|s| s.action.is_service()) {
        for k in 0..n {
            let name = d.topo.servers[k].name.clone();
            let mut service = service::Service::new(&d.topo.dir, &name)?;
            service.start()?;
            d.tracked.push(service);
        }
    }
    if attacked {
        d.x = Some(
            d.topo
                .add_on_subnet(crate::attack::ATTACKER, crate::attack::ATTACKER_ADDR)?,
        );
    }
    for k in 0..n {
        let s = d.topo.servers[k].clone();
        d.services[k] = Some(tcp::serve(&s.ns, &s.label)?);
    }
    Ok(d)
}

/// The topology of `setup` with `hosts`, and in a VPC its planes and OVN fabric.
pub(crate) type Built = (
    Topology,
    Option<crate::vpc::Plane>,
    Option<crate::ovn::Fabric>,
);

pub(crate) fn build(setup: &Setup, hosts: &[crate::topology::HostSpec]) -> Result<Built> {
    let cluster = &setup.cluster;
    let Some(backend) = setup.vpc else {
        let topo = Topology::up_hosts(&setup.id, hosts, &cluster.client, true)?;
        return Ok((topo, None, None));
    };
    let vips = ipv4_vips(cluster)?;
    let mut topo = Topology::up_hosts(&setup.id, hosts, &cluster.client, false)?;
    let fabric = crate::vpc::fabric_for(&setup.id, backend, setup.ovn_db_cluster)?;
    if let (Some(f), Some(ms)) = (&fabric, setup.ovn_bfd_ms) {
        f.set_bfd(ms)?;
    }
    let mode = if setup.mover {
        crate::vpc::Vip::PlainIp
    } else {
        crate::vpc::Vip::HaVip
    };
    let plane = crate::vpc::Plane::start_on(&mut topo, &vips, mode, 0.0, fabric.as_ref())?;
    Ok((topo, Some(plane), fabric))
}

/// OVN's options without `--vpc ovn`, and steps on a database cluster without one.
fn refuse_ovn_options(setup: &Setup, scenario: &Scenario) -> Result<()> {
    let on_ovn = setup.vpc == Some(crate::vpc::Backend::Ovn);
    if setup.ovn_bfd_ms.is_some() && !on_ovn {
        bail!("a BFD timing is OVN's: it goes with --vpc ovn");
    }
    if setup.ovn_db_cluster && !on_ovn {
        bail!("--ovn-db-cluster clusters OVN's databases: it goes with --vpc ovn");
    }
    if let Some(step) = scenario.steps.iter().find(|s| s.action.needs_db_cluster())
        && !setup.ovn_db_cluster
    {
        bail!(
            "scenario `{}`: `{}` cuts a member of a database cluster; it runs with --vpc ovn \
             --ovn-db-cluster",
            scenario.name,
            step.action.label()
        );
    }
    Ok(())
}

/// On OVN the servers' ports live in the chassis: steps that need them on the lab's own switch
/// (an attacker beside them, a reboot that rebuilds the host) are refused before anything runs.
fn refuse_off_switch_steps(scenario: &Scenario) -> Result<()> {
    let refused = scenario
        .steps
        .iter()
        .find(|s| s.action.is_attack() || matches!(s.action, Action::Reboot { .. }));
    if let Some(step) = refused {
        bail!(
            "scenario `{}`: `{}` needs the servers on the lab's own switch; it does not run with --vpc ovn",
            scenario.name,
            step.action.label()
        );
    }
    Ok(())
}

/// The VIPs of a cluster for the VPC, whose data plane is IPv4.
pub(crate) fn ipv4_vips(cluster: &Cluster) -> Result<Vec<std::net::Ipv4Addr>> {
    cluster
        .vips
        .iter()
        .map(|v| match v.addr {
            std::net::IpAddr::V4(a) => Ok(a),
            std::net::IpAddr::V6(a) => Err(anyhow::anyhow!(
                "--vpc: the VPC's data plane is IPv4, and {a} ({}) is IPv6",
                v.instance
            )),
        })
        .collect()
}

/// When, and which hosts held each VIP then (`[vip][host]`: servers in order, then the
/// attacker).
type Sample = (f64, Vec<Vec<bool>>);

/// Who holds the VIPs, sampled every 10 ms from the servers' (and the attacker's) addresses.
struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(namespaces: Vec<String>, vips: Vec<String>) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let shown: Vec<String> = namespaces
                        .iter()
                        .map(|ns| crate::shell::sh_in(ns, "ip -o addr show").unwrap_or_default())
                        .collect();
                    let holds = vips
                        .iter()
                        .map(|v| shown.iter().map(|out| holds_in(out, v)).collect())
                        .collect();
                    if let Ok(mut v) = samples.lock() {
                        v.push((now(), holds));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        Sampler {
            samples,
            stop,
            thread,
        }
    }

    fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.samples.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drill<'_> {
    fn vip_texts(&self) -> Vec<String> {
        self.cluster
            .vips
            .iter()
            .map(|v| v.addr.to_string())
            .collect()
    }

    /// The servers holding `vip` now.
    fn holders_of(&self, vip: &str) -> Vec<usize> {
        (0..self.topo.servers.len())
            .filter(|k| self.topo.holds(&self.topo.servers[*k], vip))
            .collect()
    }

    /// Starts the daemons (the first server first) and waits until each VIP has one holder
    /// and the client reaches it; then the roles `a` and `b` are known.
    fn elect(&mut self, progress: &dyn Fn(&str)) -> Result<Vec<Pinger>> {
        progress(&format!(
            "starting {} on the primary, {} on the other servers",
            self.kinds[0], self.kinds[1]
        ));
        for k in 0..self.topo.servers.len() {
            self.start_daemon(k)?;
            if k == 0 {
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        let vips = self.vip_texts();
        if !wait(Duration::from_secs(15), || {
            vips.iter().all(|v| self.holders_of(v).len() == 1)
        }) {
            let log = self.daemons[0]
                .as_ref()
                .map(Running::log_text)
                .unwrap_or_default();
            bail!(
                "the VIPs {} never had one holder each:\n{log}",
                vips.join(", ")
            );
        }
        let first = self.holders_of(&vips[0]).first().copied().unwrap_or(0);
        let second = (0..self.topo.servers.len())
            .find(|k| *k != first)
            .unwrap_or(first);
        self.roles = vec![first, second];
        let mut pingers = Vec::new();
        for v in &vips {
            let pinger = Pinger::start(&self.topo.client.ns, v)?;
            if !wait(Duration::from_secs(5), || !pinger.replies().is_empty()) {
                bail!("the client gets no answer from the VIP {v}");
            }
            pingers.push(pinger);
        }
        if let Some((ns, eip)) = self.eip_probe() {
            let pinger = Pinger::start(&ns, &eip)?;
            if !wait(Duration::from_secs(5), || !pinger.replies().is_empty()) {
                bail!("the public host gets no answer from the EIP {eip}");
            }
            pingers.push(pinger);
        }
        Ok(pingers)
    }

    /// Where the EIP is probed from, and the EIP (in a VPC).
    fn eip_probe(&self) -> Option<(String, String)> {
        let plane = self.plane.as_ref()?;
        Some((plane.public.ns.clone(), plane.eip.clone()?))
    }
    /// Applies the steps on their schedule until the duration is over; the marks of the steps
    /// applied, sorted by time.
    fn play(&mut self, tick: &dyn Fn(f64, f64)) -> Result<Vec<(Mark, Action)>> {
        let mut steps = self.scenario.steps.clone();
        steps.sort_by(|x, y| x.at.total_cmp(&y.at));
        let start = Instant::now();
        let mut marks = Vec::new();
        let mut next = 0;
        loop {
            let elapsed = start.elapsed().as_secs_f64();
            if elapsed >= self.scenario.duration {
                return Ok(marks);
            }
            tick(elapsed, self.scenario.duration);
            while next < steps.len() && steps[next].at <= elapsed {
                let step = &steps[next];
                let mark = Mark {
                    time: now(),
                    label: step.action.label(),
                };
                marks.push((mark, step.action.clone()));
                self.apply(&step.action).map_err(|e| {
                    e.context(format!("step at {} s: {}", step.at, step.action.label()))
                })?;
                next += 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One run: elect, probe, play the steps, measure.
    fn once(&mut self, progress: &dyn Fn(&str), tick: &dyn Fn(f64, f64)) -> Result<DrillResult> {
        self.prepare_cloud()?;
        let pingers = self.elect(progress)?;
        let vips = self.vip_texts();
        let tcp_probes = vips
            .iter()
            .map(|v| tcp::probe(&self.topo.client.ns, v))
            .collect::<Result<Vec<_>>>()?;
        let namespaces = self
            .topo
            .servers
            .iter()
            .chain(self.x.as_ref())
            .map(|s| s.ns.clone())
            .collect();
        let sampler = Sampler::start(namespaces, vips);
        self.gateway_at_start = self.gateway_name();
        let db_probes = self.db_probes()?;
        let start_time = now();
        let played = self.play(tick);
        let end_time = now();
        let attacked = self.attacker.finish();
        let samples = sampler.stop();
        let mut replies: Vec<Vec<probe::Reply>> = pingers.into_iter().map(Pinger::stop).collect();
        let eip_replies = match self.eip_probe() {
            Some(_) => replies.pop(),
            None => None,
        };
        let requests = tcp_probes
            .into_iter()
            .map(|p| p.stop().unwrap_or_default())
            .collect();
        let marks = played?;
        attacked?;
        let db_marks = marks.clone();
        let probes = Probes {
            start: start_time,
            end: end_time,
            samples,
            replies,
            requests,
        };
        let mut result = self.measure(probes, marks);
        if self.plane.is_some() {
            let mut vpc = self.vpc_outcome(&result, eip_replies)?;
            if let Some(probes) = db_probes {
                probes.finish(self.db_cut.clone(), &db_marks, &mut vpc)?;
            }
            result.vpc = Some(vpc);
            result.owner = Some(self.check_owner()?);
        }
        Ok(result)
    }

    /// havipd's transition log lines, with the server added.
    fn transitions(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for (k, dmn) in self.daemons.iter().enumerate() {
            let Some(dmn) = dmn else { continue };
            let text = std::fs::read_to_string(dmn.state_dir.join("transitions.jsonl"))
                .unwrap_or_default();
            for line in text.lines() {
                if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) {
                    v["server"] = serde_json::Value::from(self.topo.servers[k].label.clone());
                    out.push(v);
                }
            }
        }
        out
    }

    /// What the probes saw, as a result: every VIP measured apart, then summed up.
    fn measure(&self, p: Probes, marks: Vec<(Mark, Action)>) -> DrillResult {
        let labels: Vec<String> = self.topo.servers.iter().map(|s| s.label.clone()).collect();
        let mut names: Vec<&str> = labels.iter().map(String::as_str).collect();
        let servers = names.len();
        let attacker = crate::attack::ATTACKER;
        names.push(attacker);
        // Recording adverts is no fault: the clock starts at the first step that is one.
        let first_fault = marks
            .iter()
            .find(|(_, a)| !matches!(a, Action::Capture { .. }))
            .map(|(m, _)| m.time);
        let mut vips = Vec::new();
        let mut stolen_seconds = 0.0;
        let mut takeovers = Vec::new();
        for (i, vip) in self.cluster.vips.iter().enumerate() {
            let of_vip: Vec<(f64, Vec<bool>)> =
                p.samples.iter().map(|(t, h)| (*t, h[i].clone())).collect();
            let servers_only: Vec<(f64, Vec<bool>)> = of_vip
                .iter()
                .map(|(t, h)| (*t, h.iter().take(servers).copied().collect()))
                .collect();
            let holders = timeline::spans(&servers_only, &names[..servers], p.end);
            stolen_seconds += timeline::spans(&of_vip, &names, p.end)
                .iter()
                .filter(|s| s.holders == [attacker])
                .map(|s| s.to - s.from)
                .sum::<f64>();
            takeovers.extend(first_fault.and_then(|t0| takeover(&servers_only, t0)));
            vips.push(VipResult::new(
                vip,
                probe::outages_until(&p.replies[i], p.end),
                p.replies[i].len(),
                p.requests[i].clone(),
                holders,
            ));
        }
        DrillResult {
            lab_id: self.topo.id.clone(),
            backend: "namespaces".into(),
            scenario: self.scenario.name.clone(),
            daemon: self.label(),
            start: p.start,
            end: p.end,
            time_to_new_master: takeovers.into_iter().reduce(f64::min),
            faults: marks.into_iter().map(|(m, _)| m).collect(),
            transitions: self.transitions(),
            stolen_seconds,
            auth_rejections: self.auth_rejections(),
            ..DrillResult::from_vips(vips)
        }
    }
}

impl Drill<'_> {
    /// What the VPC saw: the public side's outages through the EIP (if it was probed), and the
    /// control plane's binding moves during the run (from its history) with the first one's
    /// delay after the first fault.
    fn vpc_outcome(
        &self,
        r: &DrillResult,
        eip_replies: Option<Vec<probe::Reply>>,
    ) -> Result<VpcOutcome> {
        let plane = self
            .plane
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no VPC"))?;
        let owner = |eni: &str| {
            plane
                .enis
                .iter()
                .position(|e| e == eni)
                .and_then(|k| self.topo.servers.get(k))
                .map_or(String::new(), |s| s.label.clone())
        };
        let moves: Vec<BindingMove> = plane
            .history()?
            .into_iter()
            .filter(|e| e.unix_time >= r.start && e.unix_time <= r.end)
            // The lab's HAVIPs (not those an API stream makes and deletes).
            .filter(|e| plane.havips.contains(&e.ha_vip_id))
            .map(|e| BindingMove {
                time: e.unix_time,
                havip: e.ha_vip_id,
                server: owner(&e.network_interface_id),
                reason: e.reason,
            })
            .collect();
        let first_fault = r.faults.first().map(|m| m.time);
        let binding_move =
            first_fault.and_then(|t0| moves.iter().find(|m| m.time >= t0).map(|m| m.time - t0));
        let eip = match &eip_replies {
            Some(_) => plane.eip.clone().unwrap_or_default(),
            None => String::new(),
        };
        let eip_replies = eip_replies.unwrap_or_default();
        let gateway = self
            .fabric
            .as_ref()
            .map(|_| [self.gateway_at_start.clone(), self.gateway_name()]);
        // A lab without a HAVIP (the mover's) has no binding for the API to report.
        let api_binding = match plane.havips.is_empty() {
            true => String::new(),
            false => owner(&plane.bound_eni(0)?),
        };
        let ovn_binding = match (&self.fabric, plane.havips.first()) {
            (Some(f), Some(port)) => Some(owner(&f.virtual_parent(port)?)),
            _ => None,
        };
        Ok(VpcOutcome {
            api_binding,
            ovn_binding,
            eip,
            eip_outages: probe::outages_until(&eip_replies, r.end),
            eip_answered: eip_replies.len(),
            binding_moves: moves,
            binding_move,
            gateway,
            db: None,
        })
    }
}

/// Seconds from `t0` until a server that did not hold the VIP at `t0` holds it.
fn takeover(samples: &[(f64, Vec<bool>)], t0: f64) -> Option<f64> {
    let before = samples
        .iter()
        .take_while(|(t, _)| *t < t0)
        .last()
        .map(|(_, h)| h.clone())
        .unwrap_or_default();
    samples
        .iter()
        .filter(|(t, _)| *t >= t0)
        .find(|(_, h)| {
            h.iter()
                .enumerate()
                .any(|(k, on)| *on && !before.get(k).copied().unwrap_or(false))
        })
        .map(|(t, _)| t - t0)
}

/// What a run's probes recorded (replies and requests per VIP).
struct Probes {
    start: f64,
    end: f64,
    samples: Vec<Sample>,
    replies: Vec<Vec<probe::Reply>>,
    requests: Vec<Vec<tcp::Request>>,
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
