//! `havip lab chaos`: faults drawn by seed, invariants checked, a violation saved as a scenario
//! that replays it; with `--sim`, campaigns of many seeds in the simulator.

use super::drill_cmd::setup;
use super::{end_tick, fail, progress};
use crate::output::{FormatArgs, ResultsArgs};
use clap::Args;
use lab::chaos::{self, Report, Spec};
use lab::daemon::Kind;
use std::path::PathBuf;
use std::process::ExitCode;

/// `havip lab chaos` arguments.
#[derive(Args)]
pub struct ChaosArgs {
    /// Seconds of chaos; the last takeover bound and a second are left quiet so the end shows
    /// the settled cluster.
    #[arg(long, default_value_t = 60.0, value_parser = duration)]
    pub duration: f64,
    /// The generator's seed (default: drawn from the clock and printed): the same seed,
    /// duration and configs draw the same faults.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Shake these keepalived.conf files (one server each) instead of the seed pair.
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Inside the HAVIP VPC, on BACKEND: `userspace` (the default) or `ovn`.
    #[arg(long, value_name = "BACKEND", num_args = 0..=1, default_missing_value = "userspace")]
    pub vpc: Option<lab::vpc::Backend>,
    /// Daemon on every server.
    #[arg(long, default_value = "havipd")]
    pub daemon: Kind,
    /// Plant a violation (every VIP added by hand on every server, mid-run; with `--sim`, a
    /// sync-group bug in every node) to see the checker catch it.
    #[arg(long)]
    pub plant: bool,
    /// In the simulator (virtual time, no root): a campaign of `--seeds` seeds on the
    /// simulator's sync pair (or `--config-dir`), or the one `--seed`.
    #[arg(long)]
    pub sim: bool,
    /// With `--sim` and no `--seed`: how many seeds the campaign runs (from 1).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
}

fn duration(s: &str) -> Result<f64, String> {
    let d: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if (1.0..=3600.0).contains(&d) {
        Ok(d)
    } else {
        Err(format!("{d} s: give 1 to 3600 seconds"))
    }
}

/// `havip lab chaos`: exit 0 when every invariant held, 1 when one broke, 2 on errors.
pub fn run(a: &ChaosArgs, out: &FormatArgs, files: &ResultsArgs) -> ExitCode {
    if a.sim {
        return super::chaos_sim::run(a, out, files);
    }
    let seed = a
        .seed
        .unwrap_or_else(|| hostsys::clock::since_epoch().as_secs());
    let spec = Spec {
        duration: a.duration,
        seed,
        plant: a.plant,
    };
    let setup = match setup(a.config_dir.as_deref(), a.vpc) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    eprintln!("chaos with {} for {} s, seed {seed}", a.daemon, a.duration);
    let report = chaos::run(&setup, &spec, a.daemon, &progress);
    end_tick();
    let report = match report {
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
        print(&report, &saved);
    }
    if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Writes the report, and the replay of a violation; returns their paths.
pub(super) fn save(report: &Report, files: &ResultsArgs) -> anyhow::Result<Vec<PathBuf>> {
    let mut saved = Vec::new();
    let path = files.file(&format!("chaos-{}.json", report.seed))?;
    std::fs::write(&path, serde_json::to_string_pretty(report)?)?;
    saved.push(path);
    if let Some(replay) = report.replay() {
        let path = files.file(&format!("{}.json", replay.name))?;
        std::fs::write(&path, serde_json::to_string_pretty(&[replay])?)?;
        saved.push(path);
    }
    Ok(saved)
}

pub(super) fn print(report: &Report, saved: &[PathBuf]) {
    let r = &report.result;
    println!(
        "{} faults and repairs in {:.0} s; worst outage {:.1} ms over {} VIP(s)",
        r.faults.len(),
        r.end - r.start,
        r.worst_outage_ms(),
        r.vips.len()
    );
    for m in &r.faults {
        println!("  {:>7.2} s  {}", m.time - r.start, m.label);
    }
    if report.violations.is_empty() {
        println!("every invariant held");
    }
    for v in &report.violations {
        println!(
            "VIOLATION {} at {:.2} s for {:.2} s ({}): {}",
            v.invariant,
            v.from - r.start,
            v.seconds,
            v.vip,
            v.detail
        );
    }
    println!("report: {}", saved[0].display());
    if let (Some(path), Some(replay)) = (saved.get(1), report.replay()) {
        println!(
            "replay: havip lab drill {} --scenario-file {}",
            replay.name,
            path.display()
        );
    }
}
