//! `havip lab bench`: CPU and memory of havipd and keepalived side by side, repeated.

use super::{fail, progress};
use crate::output::FormatArgs;
use lab::bench::{self, BenchResult, BenchSpec, Ratios};
use lab::daemon::Kind;
use serde::Serialize;
use std::process::ExitCode;

/// What `--format json` prints.
#[derive(Serialize)]
struct Report {
    spec: BenchSpec,
    /// Each run: havipd's figures, then the other daemon's, and their ratios.
    runs: Vec<(BenchResult, BenchResult, Ratios)>,
    /// The median of the runs' ratios.
    median: Ratios,
}

/// `havip lab bench`.
pub fn run(spec: BenchSpec, runs: u32, vs: Option<Kind>, out: &FormatArgs) -> ExitCode {
    let other = vs.unwrap_or(if spec.auth_hmac {
        Kind::Keepalived24
    } else {
        Kind::Keepalived
    });
    if spec.auth_hmac && other == Kind::Keepalived {
        return fail(anyhow::anyhow!(
            "--auth-hmac needs keepalived 2.4 to compare with: Debian's keepalived 2.2.7 has no auth_hmac (use --vs keepalived-2.4)"
        ));
    }
    if spec.features.any() && other == Kind::Keepalived24 {
        return fail(anyhow::anyhow!(
            "--with needs Debian's keepalived 2.2.7 to compare with: the keepalived 2.4.3 test build has no SNMP or D-Bus"
        ));
    }
    if runs == 0 {
        return fail(anyhow::anyhow!("--runs must be at least 1"));
    }
    let mut report = Report {
        spec,
        runs: Vec::new(),
        median: Ratios::default(),
    };
    for n in 1..=runs {
        progress(&format!("run {n} of {runs}"));
        let ours = match bench::run(&spec, Kind::Havipd, &progress) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let theirs = match bench::run(&spec, other, &progress) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let ratios = Ratios::of(&ours, &theirs);
        // Said as each run ends: a later run that reaches no steady state fails the bench,
        // and the runs before it are not lost.
        progress(&format!(
            "run {n}: CPU % master {:.2} / {:.2}, backup {:.2} / {:.2} (ratios {:.3}, {:.3}); PSS KiB master {} / {}, backup {} / {}",
            ours.master_cpu_pct,
            theirs.master_cpu_pct,
            ours.backup_cpu_pct,
            theirs.backup_cpu_pct,
            ratios.master_cpu,
            ratios.backup_cpu,
            ours.master_pss_kib,
            theirs.master_pss_kib,
            ours.backup_pss_kib,
            theirs.backup_pss_kib
        ));
        report.runs.push((ours, theirs, ratios));
    }
    let all: Vec<Ratios> = report.runs.iter().map(|(_, _, r)| *r).collect();
    report.median = Ratios::median(&all);
    if out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_text(&report);
    }
    ExitCode::SUCCESS
}

fn print_text(report: &Report) {
    let spec = &report.spec;
    println!(
        "{} instances, advert_int {} s, {} s window{}{}{}, {} run(s); memory is PSS summed over each daemon's processes",
        spec.instances,
        spec.advert_int,
        spec.window,
        if spec.auth_hmac { ", auth_hmac" } else { "" },
        if spec.features.any() {
            format!(
                ", with {} (live before and after the window)",
                spec.features
            )
        } else {
            String::new()
        },
        spec.rt_priority
            .map(|p| format!(", vrrp_rt_priority {p}"))
            .unwrap_or_default(),
        report.runs.len()
    );
    println!(
        "{:<4} {:<15} {:>12} {:>12} {:>14} {:>14}",
        "run", "daemon", "master CPU%", "backup CPU%", "master PSS KiB", "backup PSS KiB"
    );
    for (n, (ours, theirs, _)) in report.runs.iter().enumerate() {
        for r in [ours, theirs] {
            println!(
                "{:<4} {:<15} {:>12.2} {:>12.2} {:>14} {:>14}",
                n + 1,
                r.daemon.to_string(),
                r.master_cpu_pct,
                r.backup_cpu_pct,
                r.master_pss_kib,
                r.backup_pss_kib
            );
        }
    }
    let m = &report.median;
    println!(
        "havipd/other, median of {} runs: master CPU {:.2}, backup CPU {:.2}, master PSS {:.2}, backup PSS {:.2}",
        report.runs.len(),
        m.master_cpu,
        m.backup_cpu,
        m.master_pss,
        m.backup_pss
    );
}

/// `havip lab bench --find-capacity`: the most instances havipd and the other daemon each run
/// at `advert_int` on one core with their adverts within 1 ms of schedule.
pub fn capacity(advert_int: f64, window: f64, vs: Option<Kind>, out: &FormatArgs) -> ExitCode {
    if !(0.01..=255.0).contains(&advert_int) {
        return fail(anyhow::anyhow!(
            "--advert-int must be 0.01-255 seconds, not {advert_int}"
        ));
    }
    let mut found = Vec::new();
    for kind in [Kind::Havipd, vs.unwrap_or(Kind::Keepalived)] {
        match lab::capacity::find(kind, advert_int, window, 10, &progress) {
            Ok(c) => found.push(c),
            Err(e) => return fail(e),
        }
    }
    if out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "instances at advert_int {advert_int} s on one core with at most 1% of adverts more than 1 ms late ({window} s windows)"
    );
    for c in &found {
        let most = if c.instances == lab::capacity::MAX_INSTANCES {
            format!("at least {}", c.instances)
        } else {
            c.instances.to_string()
        };
        let tried: Vec<String> = c
            .steps
            .iter()
            .map(|s| format!("{}: {}/{} late", s.instances, s.slip.late, s.slip.adverts))
            .collect();
        println!(
            "{:<15} {most:<16} ({})",
            c.daemon.to_string(),
            tried.join(", ")
        );
    }
    ExitCode::SUCCESS
}
