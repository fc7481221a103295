//! `havip lab chaos --sim`: chaos in the simulator, one seed or a campaign of many, each seed
//! a reproducible run.

use super::chaos::{ChaosArgs, print, save};
use super::drill_cmd::setup;
use super::fail;
use crate::output::{FormatArgs, ResultsArgs};
use lab::chaos::Spec;
use lab::chaos::sim::{self, Campaign};
use lab::cluster::Cluster;
use std::process::ExitCode;

/// The servers: `--config-dir`'s, or the simulator's sync pair.
fn cluster(a: &ChaosArgs) -> anyhow::Result<Cluster> {
    if a.vpc.is_some() {
        anyhow::bail!("--vpc needs namespaces: the simulator has no VPC");
    }
    match &a.config_dir {
        Some(dir) => Ok(setup(Some(dir), None)?.cluster),
        None => Ok(sim::sync_pair()),
    }
}

/// `havip lab chaos --sim`: exit 0 when every invariant held, 1 when one broke, 2 on errors.
pub fn run(a: &ChaosArgs, out: &FormatArgs, files: &ResultsArgs) -> ExitCode {
    let cluster = match cluster(a) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match a.seed {
        Some(seed) => one(a, &cluster, seed, out, files),
        None => many(a, &cluster, out),
    }
}

/// The command that reruns `seed`.
fn rerun(a: &ChaosArgs, seed: u64) -> String {
    let mut cmd = format!(
        "havip lab chaos --sim --seed {seed} --duration {}",
        a.duration
    );
    if a.plant {
        cmd.push_str(" --plant");
    }
    if let Some(dir) = &a.config_dir {
        cmd.push_str(&format!(" --config-dir {}", dir.display()));
    }
    cmd
}

fn one(
    a: &ChaosArgs,
    cluster: &Cluster,
    seed: u64,
    out: &FormatArgs,
    files: &ResultsArgs,
) -> ExitCode {
    let spec = Spec {
        duration: a.duration,
        seed,
        plant: false,
    };
    let report = match sim::run(cluster, &spec, a.plant) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let saved = match save(&report, files) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        println!("chaos in the simulator (virtual time), seed {seed}");
        // The saved replay is for namespaces; here the seed itself replays the run.
        print(&report, &saved[..1]);
        println!("rerun: {}", rerun(a, seed));
    }
    if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn many(a: &ChaosArgs, cluster: &Cluster, out: &FormatArgs) -> ExitCode {
    eprintln!(
        "chaos campaign in the simulator: {} seeds of {} s{}",
        a.seeds,
        a.duration,
        if a.plant {
            ", sync-group bug planted"
        } else {
            ""
        }
    );
    let mut done = 0u64;
    let campaign = sim::campaign(cluster, (1, a.seeds), a.duration, a.plant, &mut |r| {
        done += 1;
        if !r.violations.is_empty() {
            eprintln!("  seed {}: {} violation(s)", r.seed, r.violations.len());
        }
        if done.is_multiple_of(100) {
            eprintln!("  {done} seeds");
        }
    });
    let campaign = match campaign {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&campaign).unwrap_or_default()
        );
    } else {
        summary(a, &campaign);
    }
    if campaign.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn summary(a: &ChaosArgs, c: &Campaign) {
    println!(
        "{} seeds, {} faults and repairs, {:.1} s ({:.1} ms a seed)",
        c.runs,
        c.faults,
        c.seconds,
        c.seconds * 1e3 / c.runs.max(1) as f64
    );
    if c.failures.is_empty() {
        println!("every invariant held in every seed");
        return;
    }
    println!("{} seed(s) broke an invariant:", c.failures.len());
    for f in c.failures.iter().take(20) {
        println!(
            "  seed {}: {} ({}) at {:.2} s: {}",
            f.seed, f.first.invariant, f.first.vip, f.offset, f.first.detail
        );
    }
    if let Some(f) = c.failures.first() {
        println!("reproduce: {}", rerun(a, f.seed));
    }
}
