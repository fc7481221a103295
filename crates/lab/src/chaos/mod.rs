//! `havip lab chaos`: faults drawn from the scenario vocabulary by a seeded generator, played
//! as one drill, and the run checked against the cluster's invariants
//! ([`invariants`]). The same seed, duration and lab draw the same faults; a violation is
//! saved as a scenario file that replays the run up to it.

pub mod invariants;
pub mod sim;

use crate::cluster::Cluster;
use crate::daemon::Kind;
use crate::drill::{self, Action, DrillResult, Scenario, Setup, Step};
use anyhow::{Result, anyhow};
use invariants::{Event, Timing, Violation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// What to run.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Seconds of chaos (faults stop early enough for the cluster to settle before the end).
    pub duration: f64,
    /// The generator's seed.
    pub seed: u64,
    /// Add a planted violation (every VIP added by hand on every server, mid-run), to show
    /// the checker catches what it should.
    pub plant: bool,
}

/// A chaos run: the faults played, what was measured, what broke.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The drawn scenario (replayable with `--scenario-file`).
    pub scenario: Scenario,
    /// Each VIP's timing bounds.
    pub timing: Vec<(String, Timing)>,
    /// The run.
    pub result: DrillResult,
    /// Broken invariants, in time order.
    pub violations: Vec<Violation>,
}

/// A repair for each fault the generator draws.
const PAIRS: &[(&str, &str)] = &[
    ("cut", "restore"),
    ("kill", "start"),
    ("stop", "start"),
    ("link_down", "link_up"),
    ("partition", "heal"),
    ("fail_check", "pass_check"),
];

fn action(name: &str, node: &str) -> Result<Action> {
    serde_json::from_value(serde_json::json!({"action": name, "node": node}))
        .map_err(|e| anyhow!("action {name}: {e}"))
}

/// The timing of each VIP's instance: its advert interval and the largest
/// Master_Down_Interval over the servers that run it.
pub fn timing(cluster: &Cluster) -> Vec<(String, Timing)> {
    cluster
        .vips
        .iter()
        .map(|vip| {
            let (mut advert, mut master_down) = (0.0f64, 0.0f64);
            for m in &cluster.members {
                let report = conf::check_text(&m.config, &conf::Options::default());
                for i in report
                    .config
                    .instances
                    .iter()
                    .filter(|i| i.name == vip.instance)
                {
                    let a = i.advert_int_us() as f64 / 1e6;
                    let skew = (256.0 - f64::from(i.priority())) / 256.0 * a;
                    advert = advert.max(a);
                    master_down = master_down.max(3.0 * a + skew);
                }
            }
            (
                vip.addr.to_string(),
                Timing::from_protocol(advert, master_down),
            )
        })
        .collect()
}

/// Draws the faults: each on a server while at least one other stays untouched, held for one
/// to three takeover bounds, then repaired; one partition at a time; nothing in the last
/// stretch, so the end shows the settled cluster. `fail_check` only where the configs define
/// a check.
pub fn draw(cluster: &Cluster, spec: &Spec) -> Result<Scenario> {
    let bound = timing(cluster)
        .iter()
        .map(|(_, t)| t.takeover)
        .fold(1.0, f64::max);
    let servers = cluster.labels();
    let checks = cluster.members.iter().any(|m| {
        !conf::check_text(&m.config, &conf::Options::default())
            .config
            .scripts
            .is_empty()
    });
    let pairs: Vec<&(&str, &str)> = PAIRS
        .iter()
        .filter(|(f, _)| checks || *f != "fail_check")
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let settle = bound + 1.0;
    let last = spec.duration - settle;
    if last < 1.0 + bound {
        return Err(anyhow!(
            "--duration {} s is too short: these configs need {:.1} s to take over, so chaos needs at least {:.0} s",
            spec.duration,
            bound,
            (1.0 + 2.0 * bound + 1.0).ceil()
        ));
    }
    let plant_at = spec.plant.then_some(spec.duration / 2.0);
    let mut busy_until = vec![0.0f64; servers.len()];
    let mut partition_until = 0.0f64;
    let mut steps = Vec::new();
    let mut t = 1.0;
    while t < last {
        let hold = bound * rng.random_range(1.0..3.0);
        let repair = (t + hold).min(last);
        let planted = plant_at.is_some_and(|p| t < p + settle && repair > p - 0.5);
        let free: Vec<usize> = (0..servers.len()).filter(|k| busy_until[*k] <= t).collect();
        if free.len() >= 2 && !planted {
            let k = free[rng.random_range(0..free.len())];
            let (fault, fix) = *pairs[rng.random_range(0..pairs.len())];
            if fault != "partition" || partition_until <= t {
                steps.push(Step {
                    at: round(t),
                    action: action(fault, &servers[k])?,
                });
                steps.push(Step {
                    at: round(repair),
                    action: action(fix, &servers[k])?,
                });
                busy_until[k] = repair + bound;
                if fault == "partition" {
                    partition_until = repair + bound;
                }
            }
        }
        t += bound * rng.random_range(0.3..1.0);
    }
    if let Some(p) = plant_at {
        for s in &servers {
            steps.push(Step {
                at: round(p),
                action: action("claim", s)?,
            });
        }
    }
    steps.sort_by(|x, y| x.at.total_cmp(&y.at));
    Ok(Scenario {
        name: format!("chaos-{}", spec.seed),
        description: format!(
            "Faults drawn with seed {} over {} s{}",
            spec.seed,
            spec.duration,
            if spec.plant {
                ", with a planted violation"
            } else {
                ""
            }
        ),
        edits: Vec::new(),
        keepalived_edits: None,
        steps,
        duration: spec.duration,
        havipd_args: Vec::new(),
    })
}

fn round(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

/// Draws, plays and checks one chaos run with `kind` on every server.
pub fn run(setup: &Setup, spec: &Spec, kind: Kind, progress: &dyn Fn(&str)) -> Result<Report> {
    let scenario = draw(&setup.cluster, spec)?;
    let result = drill::run_on(setup, &scenario, [kind; 2], progress, &|_, _| {})?;
    Ok(checked(setup, spec.seed, scenario, result))
}

/// Checks a played chaos scenario.
pub fn checked(setup: &Setup, seed: u64, scenario: Scenario, result: DrillResult) -> Report {
    checked_on(&setup.cluster, seed, scenario, result)
}

/// The VIPs of each sync group of the cluster's configs that has two or more of them.
pub fn sync_groups(cluster: &Cluster) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for m in &cluster.members {
        let report = conf::check_text(&m.config, &conf::Options::default());
        for g in &report.config.sync_groups {
            let vips: Vec<String> = cluster
                .vips
                .iter()
                .filter(|v| g.members.iter().any(|i| i.name == v.instance))
                .map(|v| v.addr.to_string())
                .collect();
            if vips.len() >= 2 && !groups.contains(&vips) {
                groups.push(vips);
            }
        }
    }
    groups
}

/// Checks a chaos scenario played on `cluster` (in namespaces or in the simulator).
pub fn checked_on(cluster: &Cluster, seed: u64, scenario: Scenario, result: DrillResult) -> Report {
    let servers = cluster.labels();
    let mut sorted = scenario.steps.clone();
    sorted.sort_by(|x, y| x.at.total_cmp(&y.at));
    let events: Vec<Event> = sorted
        .iter()
        .zip(&result.faults)
        .map(|(s, m)| Event {
            time: m.time,
            action: s.action.clone(),
        })
        .collect();
    let timing = timing(cluster);
    let mut violations: Vec<Violation> = result
        .vips
        .iter()
        .zip(&timing)
        .flat_map(|(v, (_, t))| {
            let unanswered: Vec<(f64, f64)> = v.outages.iter().map(|o| (o.start, o.end)).collect();
            let seen = invariants::Seen {
                vip: &v.vip,
                spans: &v.holders,
                unanswered: &unanswered,
            };
            invariants::check(seen, &servers, &events, *t, (result.start, result.end))
        })
        .collect();
    for group in sync_groups(cluster) {
        let members: Vec<invariants::Member> = group
            .iter()
            .filter_map(|addr| result.vips.iter().find(|v| v.vip == *addr))
            .map(|v| invariants::Member {
                vip: &v.vip,
                spans: &v.holders,
            })
            .collect();
        let t = timing
            .iter()
            .filter(|(addr, _)| group.contains(addr))
            .map(|(_, t)| *t)
            .max_by(|x, y| x.takeover.total_cmp(&y.takeover));
        if let Some(t) = t {
            violations.extend(invariants::check_group(
                &members,
                &servers,
                &events,
                t,
                (result.start, result.end),
            ));
        }
    }
    violations.sort_by(|a, b| a.from.total_cmp(&b.from));
    Report {
        seed,
        scenario,
        timing,
        result,
        violations,
    }
}

impl Report {
    /// The scenario that replays the run up to its first violation (and a takeover bound
    /// past it), or none.
    pub fn replay(&self) -> Option<Scenario> {
        let first = self.violations.first()?;
        let offset = first.from - self.result.start;
        let bound = self
            .timing
            .iter()
            .map(|(_, t)| t.takeover)
            .fold(1.0, f64::max);
        let mut s = self.scenario.clone();
        s.name = format!("chaos-{}-{}", self.seed, first.invariant);
        s.description = format!(
            "Replays chaos seed {} up to its {} violation at {:.2} s: {}",
            self.seed, first.invariant, offset, first.detail
        );
        s.steps.retain(|step| step.at <= offset);
        s.duration = round((offset + bound + 1.0).min(self.scenario.duration));
        Some(s)
    }
}
