//! `havip check`.

use crate::output::{Format, FormatArgs};
use clap::{Args as ClapArgs, ValueEnum};
use conf::effective::Effective;
use conf::host::LocalHost;
use conf::reader::Disk;
use conf::{Options, Report, Severity};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `havip check`.
#[derive(ClapArgs)]
pub struct Args {
    /// The configuration file (keepalived's default path).
    #[arg(short = 'f', long = "use-file", default_value = conf::DEFAULT_CONFIG)]
    file: PathBuf,
    /// Output format.
    #[command(flatten)]
    output: FormatArgs,
    /// Also print what each instance will do (state, priority, timers, addresses, scripts).
    #[arg(long)]
    explain: bool,
    /// Advice profile: `cloud` adds the HAVIP guide's advice, `none` only keepalived's checks.
    #[arg(long, value_enum, default_value_t = Profile::Cloud)]
    profile: Profile,
    /// Skip checks against this machine (interfaces, script files): for configs of other hosts.
    #[arg(long)]
    no_host_checks: bool,
    /// keepalived's config id (`-i`), selecting `@id` conditional lines.
    #[arg(short = 'i', long = "config-id")]
    config_id: Option<String>,
    /// havipd's mover settings file (`havipd --mover FILE`), checked against the instances.
    #[arg(long = "mover")]
    mover: Option<PathBuf>,
}

/// Advice profile.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Profile {
    /// Add the cloud (HAVIP) guide's advice.
    Cloud,
    /// keepalived's own checks only.
    None,
}

/// Runs the check and prints the report; the exit status is 0 clean, 1 warnings, 2 errors.
pub fn run(args: &Args) -> ExitCode {
    let opts = Options {
        config_id: args.config_id.clone(),
        cloud: args.profile == Profile::Cloud,
    };
    let host = LocalHost;
    let mut report = conf::check(
        &Disk,
        &args.file,
        (!args.no_host_checks).then_some(&host as &dyn conf::host::Host),
        &opts,
    );
    if let Some(mover) = &args.mover {
        let (_, diags) = conf::mover::read_for(&Disk, mover, &report.config, !args.no_host_checks);
        report.diagnostics.extend(diags);
    }
    match args.output.get() {
        Format::Text => print!("{}", text(&report, args.explain)),
        Format::Json => println!("{}", json(&report, &args.file, args.explain)),
    }
    ExitCode::from(report.exit_code() as u8)
}

fn counts(report: &Report) -> (usize, usize, usize) {
    let n = |s| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// The text report.
pub fn text(report: &Report, explain: bool) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    if explain {
        for (inst, e) in report.config.instances.iter().zip(report.effective()) {
            out.push('\n');
            match e {
                Ok(e) => out.push_str(&explain_one(&e, &inst.loc.to_string())),
                Err(err) => out.push_str(&format!(
                    "{} ({}): cannot run: {err}\n",
                    inst.name, inst.loc
                )),
            }
        }
    }
    let (e, w, i) = counts(report);
    let verdict = match report.exit_code() {
        _ if !report.runnable() => "cannot run (havipd will not start with it)",
        0 => "ok",
        1 => "runs, with warnings",
        _ => "has errors (havipd runs the rest, leaving out what they name, as keepalived does)",
    };
    out.push_str(&format!(
        "\n{} instance(s); {e} error(s), {w} warning(s), {i} note(s): {verdict}\n",
        report.config.instances.len()
    ));
    out
}

fn explain_one(e: &Effective, at: &str) -> String {
    let r = &e.router;
    let state = match e.state {
        conf::model::InitialState::Master => "MASTER",
        conf::model::InitialState::Backup => "BACKUP",
    };
    let source = if r.primary_address.is_unspecified() {
        "the interface's address".to_string()
    } else {
        r.primary_address.to_string()
    };
    let peers = if r.unicast_peers.is_empty() {
        format!(
            "multicast {}",
            vrrp::Family::of(&r.primary_address).multicast_group()
        )
    } else {
        format!(
            "unicast to {}",
            r.unicast_peers
                .iter()
                .map(|p| p.addr.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let g = &r.garp;
    let mut s = format!("{} ({at})\n", e.name);
    s += &format!(
        "  state {state}, priority {}, {}, {}, vrid {}, interface {}\n",
        r.priority,
        if r.preempt { "preempt" } else { "nopreempt" },
        r.version,
        r.vrid,
        e.interface.as_deref().unwrap_or("-")
    );
    s += &format!(
        "  advert_int {}: backup takes over after {} without adverts, {} after a resignation\n",
        r.advert_interval, e.master_down, e.skew
    );
    if !r.preempt_delay.is_zero() {
        s += &format!("  preempt_delay {}\n", r.preempt_delay);
    }
    s += &format!("  adverts from {source}, {peers}\n");
    s += &format!(
        "  VIPs {}\n",
        r.virtual_addresses
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    s += &format!(
        "  auth {}\n",
        match r.auth {
            vrrp::Auth::Pass(_) => "PASS",
            vrrp::Auth::Ah => "AH",
            vrrp::Auth::None => "none",
        }
    );
    s += &format!(
        "  GARP: {} on becoming master, {} more after {}{}\n",
        g.master_repeat,
        g.master_repeat,
        g.master_delay,
        if g.master_refresh.is_zero() {
            String::new()
        } else {
            format!(
                ", {} every {} while master",
                g.master_refresh_repeat, g.master_refresh
            )
        }
    );
    let tracked: Vec<String> = e
        .track_scripts
        .iter()
        .cloned()
        .chain(e.track_processes.iter().map(process_line))
        .collect();
    s += &format!(
        "  tracks: {}\n",
        if tracked.is_empty() {
            "nothing".to_string()
        } else {
            tracked.join(", ")
        }
    );
    for (k, cmd) in &e.notify {
        let user = match (&cmd.user, &cmd.group) {
            (Some(u), Some(g)) => format!(" (as {u}:{g})"),
            (Some(u), None) => format!(" (as {u})"),
            _ => String::new(),
        };
        s += &format!("  {k}: {}{user}\n", cmd.command);
    }
    s
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: String,
    exit: i32,
    /// Whether havipd starts with the config.
    runs: bool,
    summary: Summary,
    diagnostics: &'a [conf::Diagnostic],
    #[serde(skip_serializing_if = "Option::is_none")]
    instances: Option<Vec<JsonInstance>>,
}

#[derive(Serialize)]
struct Summary {
    instances: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
}

#[derive(Serialize)]
struct JsonInstance {
    name: String,
    runnable: bool,
    error: Option<String>,
    effective: Option<Effective>,
    master_down_us: Option<u64>,
    skew_us: Option<u64>,
}

/// The JSON report.
pub fn json(report: &Report, file: &std::path::Path, explain: bool) -> String {
    let (errors, warnings, notes) = counts(report);
    let instances = explain.then(|| {
        report
            .config
            .instances
            .iter()
            .zip(report.effective())
            .map(|(i, e)| match e {
                Ok(e) => JsonInstance {
                    name: i.name.clone(),
                    runnable: true,
                    error: None,
                    master_down_us: Some(e.master_down.0),
                    skew_us: Some(e.skew.0),
                    effective: Some(e),
                },
                Err(err) => JsonInstance {
                    name: i.name.clone(),
                    runnable: false,
                    error: Some(err),
                    effective: None,
                    master_down_us: None,
                    skew_us: None,
                },
            })
            .collect()
    });
    let r = JsonReport {
        file: file.display().to_string(),
        exit: report.exit_code(),
        runs: report.runnable(),
        summary: Summary {
            instances: report.config.instances.len(),
            errors,
            warnings,
            notes,
        },
        diagnostics: &report.diagnostics,
        instances,
    };
    serde_json::to_string_pretty(&r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// A tracked process for `--explain`: what is matched, how many must run, what failing does.
fn process_line(p: &conf::effective::TrackedProcess) -> String {
    let what = if p.full_command {
        "command line"
    } else {
        "command name"
    };
    let count = match p.quorum_max {
        Some(0) => "none running".to_string(),
        Some(max) => format!("{}-{max} running", p.quorum),
        None => format!("at least {} running", p.quorum),
    };
    let effect = match (p.weight, p.reverse) {
        (0, false) => "else FAULT".to_string(),
        (0, true) => "FAULT while it holds (reverse)".to_string(),
        (w, r) => format!("weight {w}{}", if r { " reverse" } else { "" }),
    };
    format!(
        "process {} ({what} `{}`, {count}, {effect})",
        p.name, p.process
    )
}
