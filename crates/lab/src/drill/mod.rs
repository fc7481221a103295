//! Drills: the seed pair elected, the client probing the VIP (ICMP every 10 ms, TCP every
//! 50 ms), faults injected on a schedule, and what the client saw.

mod result;
mod scenario;
mod stage;

pub use result::DrillResult;
pub use scenario::{Action, BUILTIN, Edit, Scenario, Step, edited, scenario, scenarios};

use crate::daemon::{Kind, Running};
use crate::probe::{self, Pinger};
use crate::seeds;
use crate::tcp;
use crate::timeline::{self, Mark};
use crate::topology::{Topology, new_id};
use anyhow::{Result, bail};
use stage::Drill;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
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
    let mut d = prepare(scenario, kinds)?;
    d.once(progress, tick)
}

/// Runs `scenario` `times` times for each pair of `pairs`, in one lab built once and reset
/// between runs (daemons stopped, faults undone, the VIP removed). The pairs take turns, so a
/// slow spell of the machine falls on each alike. `each` gets every result as it comes (with
/// the run's index); the first failure stops the series.
pub fn repeat(
    scenario: &Scenario,
    pairs: &[[Kind; 2]],
    times: usize,
    progress: &dyn Fn(&str),
    each: &mut dyn FnMut(usize, &DrillResult),
) -> Result<Vec<DrillResult>> {
    let Some(first) = pairs.first() else {
        return Ok(Vec::new());
    };
    let mut d = prepare(scenario, *first)?;
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
fn prepare(scenario: &Scenario, kinds: [Kind; 2]) -> Result<Drill<'_>> {
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
    Ok(d)
}

/// When, and which hosts held the VIP then (servers in order, then the attacker).
type Sample = (f64, Vec<bool>);

/// Who holds the VIP, sampled every 10 ms from the servers' (and the attacker's) interfaces.
struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(namespaces: Vec<String>) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let holds = namespaces
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
    /// Starts the pair (primary first) and waits until the client reaches the VIP.
    fn elect(&mut self, progress: &dyn Fn(&str)) -> Result<Pinger> {
        progress(&format!(
            "starting {} on the primary, {} on the secondary",
            self.kinds[0], self.kinds[1]
        ));
        self.start_daemon(0)?;
        std::thread::sleep(Duration::from_millis(500));
        self.start_daemon(1)?;
        let primary = self.topo.servers[0].clone();
        if !wait(Duration::from_secs(15), || {
            self.topo.holds(&primary, seeds::VIP)
        }) {
            let log = self.daemons[0]
                .as_ref()
                .map(Running::log_text)
                .unwrap_or_default();
            bail!("the primary never took the VIP {}:\n{log}", seeds::VIP);
        }
        let pinger = Pinger::start(&self.topo.client.ns, seeds::VIP)?;
        if !wait(Duration::from_secs(5), || !pinger.replies().is_empty()) {
            bail!("the client gets no answer from the VIP {}", seeds::VIP);
        }
        Ok(pinger)
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
        let pinger = self.elect(progress)?;
        let tcp_probe = tcp::probe(&self.topo.client.ns, seeds::VIP)?;
        let namespaces = self
            .topo
            .servers
            .iter()
            .chain(self.x.as_ref())
            .map(|s| s.ns.clone())
            .collect();
        let sampler = Sampler::start(namespaces);
        let start_time = now();
        let played = self.play(tick);
        let end_time = now();
        let attacked = self.attacker.finish();
        let samples = sampler.stop();
        let replies = pinger.stop();
        let requests = tcp_probe.stop().unwrap_or_default();
        let marks = played?;
        attacked?;
        let probes = Probes {
            start: start_time,
            end: end_time,
            samples,
            replies,
            requests,
        };
        Ok(self.measure(probes, marks))
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
                    v["server"] = serde_json::Value::from(self.topo.servers[k].name.clone());
                    out.push(v);
                }
            }
        }
        out
    }

    /// What the probes saw, as a result.
    fn measure(&self, p: Probes, marks: Vec<(Mark, Action)>) -> DrillResult {
        let servers_only: Vec<Sample> = p
            .samples
            .iter()
            .map(|(t, h)| (*t, h.iter().take(2).copied().collect()))
            .collect();
        let holders = timeline::spans(&servers_only, &["a", "b"], p.end);
        let attacker = crate::attack::ATTACKER;
        let stolen_seconds = timeline::spans(&p.samples, &["a", "b", attacker], p.end)
            .iter()
            .filter(|s| s.holders == [attacker])
            .map(|s| s.to - s.from)
            .sum();
        // Recording adverts is no fault: the clock starts at the first step that is one.
        let first_fault = marks
            .iter()
            .find(|(_, a)| !matches!(a, Action::Capture { .. }))
            .map(|(m, _)| m.time);
        let time_to_new_master = first_fault.and_then(|t0| {
            p.samples
                .iter()
                .find(|(t, h)| *t >= t0 && h.get(1) == Some(&true))
                .map(|(t, _)| t - t0)
        });
        let final_holder = holders.last().map(|s| match s.holders.as_slice() {
            [] => "none".to_string(),
            [one] => one.clone(),
            _ => "both".to_string(),
        });
        DrillResult {
            lab_id: self.topo.id.clone(),
            backend: "namespaces".into(),
            scenario: self.scenario.name.clone(),
            daemon: pair_label(self.kinds),
            start: p.start,
            end: p.end,
            outages: probe::outages_until(&p.replies, p.end),
            answered: p.replies.len(),
            requests: p.requests,
            time_to_new_master,
            split_brain: timeline::split_brain(&holders),
            holders,
            faults: marks.into_iter().map(|(m, _)| m).collect(),
            transitions: self.transitions(),
            final_holder,
            stolen_seconds,
            auth_rejections: self.auth_rejections(),
        }
    }
}

/// What a run's probes recorded.
struct Probes {
    start: f64,
    end: f64,
    samples: Vec<Sample>,
    replies: Vec<probe::Reply>,
    requests: Vec<tcp::Request>,
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
