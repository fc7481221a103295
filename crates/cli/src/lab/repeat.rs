//! `havip lab drill --repeat N`: a series of runs in one lab, reported as distributions.

use lab::daemon::Kind;
use lab::drill::{self, DrillResult, Scenario};
use lab::spread::{Quantiles, Summary};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Where a series' results go.
pub struct Outputs<'a> {
    /// The CDF picture.
    pub svg: &'a Path,
    /// Every run as a CSV row, if asked.
    pub csv: Option<&'a Path>,
    /// JSON (runs and summaries) instead of tables.
    pub json: bool,
}

/// Runs the series in each lab of `setups` (one after the other) and prints them together.
pub fn run(
    setups: &[drill::Setup],
    sc: &Scenario,
    pairs: &[[Kind; 2]],
    times: usize,
    out: &Outputs,
) -> ExitCode {
    let labels: Vec<String> = pairs.iter().map(|p| drill::pair_label(*p)).collect();
    eprintln!(
        "drill {} x{times} with {}: {}",
        sc.name,
        labels.join(" and "),
        sc.description
    );
    let total = times * pairs.len() * setups.len();
    let started = Instant::now();
    let mut results = Vec::new();
    for setup in setups {
        let done = results.len();
        let mut each = |i: usize, r: &DrillResult| progress_line(done + i + 1, total, started, r);
        match drill::repeat(setup, sc, pairs, times, &|_| {}, &mut each) {
            Ok(r) => results.extend(r),
            Err(e) => {
                finish_progress();
                eprintln!("havip lab: {e:#}");
                return ExitCode::from(2);
            }
        }
    }
    finish_progress();
    let summaries = lab::spread::summarize(&results);
    if let Err(e) = write_files(&results, out) {
        eprintln!("havip lab: {e:#}");
        return ExitCode::from(2);
    }
    if out.json {
        let doc = serde_json::json!({ "summary": summaries, "runs": results });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        // A scenario acting on OVN chassis only leaves the servers alone: no takeover due.
        let takeover_due = !sc.steps.iter().all(|s| s.action.needs_ovn());
        print_summaries(&summaries, takeover_due);
        println!("CDFs: {}", out.svg.display());
        if let Some(csv) = out.csv {
            println!("runs: {}", csv.display());
        }
    }
    ExitCode::SUCCESS
}

fn write_files(results: &[DrillResult], out: &Outputs) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::write(out.svg, lab::cdf_svg::render(results))
        .with_context(|| format!("writing {}", out.svg.display()))?;
    if let Some(csv) = out.csv {
        std::fs::write(csv, lab::spread::csv(results))
            .with_context(|| format!("writing {}", csv.display()))?;
    }
    Ok(())
}

/// `[####....] 7/20 havipd 812 ms, ETA 1m05s` on standard error (a line per run when it is
/// not a terminal).
fn progress_line(done: usize, total: usize, started: Instant, r: &DrillResult) {
    let per_run = started.elapsed().as_secs_f64() / done as f64;
    let eta = (per_run * (total - done) as f64).round() as u64;
    let width = 30;
    let filled = done * width / total;
    let eip = match r.vpc.as_ref().filter(|v| !v.eip.is_empty()) {
        Some(v) => format!(" (EIP {:.0} ms)", v.worst_eip_outage_ms()),
        None => String::new(),
    };
    let line = format!(
        "[{}{}] {done}/{total} {} {:.0} ms{eip}, ETA {}m{:02}s",
        "#".repeat(filled),
        ".".repeat(width - filled),
        r.daemon,
        r.worst_outage_ms(),
        eta / 60,
        eta % 60
    );
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r  {line}");
    } else {
        eprintln!("  {line}");
    }
}

fn finish_progress() {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
    }
}

fn cells(q: &Option<Quantiles>, scale: f64) -> String {
    match q {
        Some(q) => format!(
            "{:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            q.p50 * scale,
            q.p90 * scale,
            q.p99 * scale,
            q.max * scale
        ),
        None => format!("{:>9} {:>9} {:>9} {:>9}", "-", "-", "-", "-"),
    }
}

fn print_summaries(summaries: &[Summary], takeover_due: bool) {
    println!(
        "{:<20} {:<14} {:>9} {:>9} {:>9} {:>9}",
        "daemon", "measure", "p50", "p90", "p99", "max"
    );
    for s in summaries {
        let rows = [
            ("outage ms", &s.outage_ms, 1.0),
            ("takeover ms", &s.takeover_s, 1000.0),
            ("lost tcp", &s.lost_tcp, 1.0),
            ("split ms", &s.split_ms, 1.0),
        ];
        for (name, q, scale) in rows {
            println!("{:<20} {:<14} {}", s.daemon, name, cells(q, scale));
        }
        if s.eip_outage_ms.is_some() {
            let name = "EIP outage ms";
            println!(
                "{:<20} {:<14} {}",
                s.daemon,
                name,
                cells(&s.eip_outage_ms, 1.0)
            );
        }
        if s.owner_checked > 0 {
            println!(
                "{}: final owner right (the VRRP master's ENI only, forwarded to it) in {} of {} runs",
                s.daemon, s.owner_correct, s.owner_checked
            );
        }
        if takeover_due && s.no_takeover > 0 {
            println!(
                "{}: the secondary never took over in {} of {} runs",
                s.daemon, s.no_takeover, s.runs
            );
        }
    }
    if let [a, b, ..] = summaries
        && let (Some(qa), Some(qb)) = (&a.outage_ms, &b.outage_ms)
        && qb.p50 > 0.0
    {
        println!(
            "outage p50 ratio {}/{}: {:.3}, p99 ratio {:.3}",
            a.daemon,
            b.daemon,
            qa.p50 / qb.p50,
            if qb.p99 > 0.0 {
                qa.p99 / qb.p99
            } else {
                f64::NAN
            }
        );
    }
}
