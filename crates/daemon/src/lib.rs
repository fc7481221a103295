//! `havipd`: runs an existing keepalived.conf's VRRP instances.
//!
//! The binary is `src/main.rs`; this library holds the daemon. Its command line ([`Args`],
//! [`command`]) lives in the `daemon-cli` crate, which the lab and the packaging tools read
//! without linking the daemon.

mod accept_mode;
mod adverts;
mod apply;
mod base_sysctls;
mod bfd_driver;
mod bfd_sockets;
mod by_vrid;
mod clock;
mod configure;
mod control;
mod dbus;
mod deadline;
mod drive;
mod dumps;
mod encoded;
mod events;
mod identity;
mod instance;
mod keepalived_flags;
mod logging;
mod mail;
mod metrics;
mod mover;
mod netlink;
mod notify;
mod notify_fifo;
mod notify_relay;
mod observe;
mod outbox;
mod packet_socket;
mod pid_file;
mod placement;
mod raw_packets;
mod receive;
mod rejection_log;
mod reload;
mod run;
mod script_user;
mod send_errors;
mod signal_gate;
mod signum;
mod snmp;
mod sockets;
mod startup;
mod state_files;
mod status;
mod strays;
mod supervisor;
mod sys;
mod systemd;
mod vrid_filter;

pub use metrics::reference as metrics_reference;
pub use run::stats_schema;

use anyhow::{Context, Result};
use clap::Parser;
use conf::reader::MemoryFiles;
use conf::{Report, Severity};
pub use daemon_cli::{Args, command};
use std::process::ExitCode;
use tracing::{error, info, warn};

/// Runs havipd with the process's arguments; the exit code is keepalived's.
pub fn main() -> ExitCode {
    let held = signal_gate::hold();
    let args = match command_line() {
        Ok(args) => args,
        Err(code) => return code,
    };
    // -G without -l: keepalived logs nowhere.
    // -t reports on standard error (or its LOG_FILE), as keepalived's does.
    let config_test = args.config_test.is_some();
    if args.log_console || config_test || !args.no_syslog {
        let console = args.log_console || config_test;
        logging::init(console, args.log_detail, args.log_facility);
    }
    let _ = (args.dont_fork, args.vrrp_only, args.no_bfd, args.all);
    let _ = (
        args.dont_release_ipvs,
        &args.checkers_pid_file,
        &args.bfd_pid_file,
    );
    // `-t` checks the interfaces inside the net_namespace, as keepalived does.
    if config_test {
        let (file, id, ns) = (
            &args.file,
            args.config_id.clone(),
            args.namespace.as_deref(),
        );
        placement::enter_namespace_to_check(file, id, ns);
    }
    if config_test {
        held.release();
        return ExitCode::from(checked(&args).0.config_test_code());
    }
    let placement = match placement::Placement::resolve(&placement::Flags {
        file: &args.file,
        config_id: args.config_id.clone(),
        state_dir: args.state_dir.as_deref(),
        pid_file: args.pid_file.as_deref(),
        vrrp_pid_file: args.vrrp_pid_file.as_deref(),
        namespace: args.namespace.as_deref(),
    }) {
        Ok(p) => p,
        Err(e) => {
            error!("{e:#}");
            return ExitCode::from(1);
        }
    };
    let supervision = supervisor::Supervision {
        dont_respawn: args.dont_respawn,
        placement: placement.clone(),
    };
    let work = |held, supervisor| run_worker(&args, &placement, held, supervisor);
    ExitCode::from(
        supervisor::run(supervision, held, &work).unwrap_or_else(|e| {
            error!("{e:#}");
            1
        }),
    )
}

/// The command line, with what `-u`, `-m` and `-t=LOG_FILE` ask done; or the exit code when
/// it ends havipd at once (a bad or refused flag, `--help`, `--version`, `--signum`), as
/// keepalived's would.
fn command_line() -> Result<Args, ExitCode> {
    // keepalived's genhash mode takes the rest of the command line as its own.
    if std::env::args_os().any(|a| a == "-T" || a == "--genhash") {
        eprintln!("havipd: {}", keepalived_flags::GENHASH);
        return Err(ExitCode::from(1));
    }
    let argv = keepalived_flags::getopt_spellings(std::env::args_os());
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // keepalived exits 1 on a bad command line, 0 for --help and --version.
            return Err(ExitCode::from(if e.use_stderr() { 1 } else { 0 }));
        }
    };
    if let Some(why) = keepalived_flags::refusal(&args) {
        eprintln!("havipd: {why}");
        return Err(ExitCode::from(1));
    }
    if let Err(e) = keepalived_flags::apply_process_flags(&args) {
        eprintln!("havipd: {e}");
        return Err(ExitCode::from(1));
    }
    if let Some(name) = &args.signum {
        return Err(match signum::number(name) {
            Some(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "havipd: unknown signal name `{name}`: {}",
                    signum::NAMES.join(", ")
                );
                ExitCode::from(1)
            }
        });
    }
    Ok(args)
}

/// The VRRP worker, in the supervisor's forked child: its network namespace, then a runtime
/// of its own (whose threads start in that namespace), then the work.
fn run_worker(
    args: &Args,
    placement: &placement::Placement,
    held: signal_gate::Held,
    supervisor: u32,
) -> u8 {
    if let Some(ns) = placement.keys.namespace_file() {
        match sys::enter_net_namespace_file(&ns) {
            Ok(()) => info!(namespace = %ns.display(), "VRRP worker in its network namespace"),
            Err(e) => {
                error!(
                    "cannot enter the network namespace {}: {e}; not starting",
                    ns.display()
                );
                return 1;
            }
        }
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(work(args, placement, supervisor, held)),
        Err(e) => {
            error!("cannot start the VRRP worker: {e}");
            1
        }
    }
}

/// Checks the config, logging what is not fine; with the files it was read from.
fn checked(args: &Args) -> (Report, MemoryFiles) {
    let (report, source) = configure::check_on_disk(&args.file, args.config_id.clone());
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Info)
    {
        match d.severity {
            Severity::Error => error!("{d}"),
            _ => warn!("{d}"),
        }
    }
    (report, source)
}

/// The VRRP worker: listens for signals first, follows its supervisor's death, then runs the
/// checked config.
async fn work(
    args: &Args,
    placement: &placement::Placement,
    supervisor: u32,
    held: signal_gate::Held,
) -> u8 {
    let signals = match run::Signals::install() {
        Ok(s) => s,
        Err(e) => {
            error!("{e:#}");
            return 1;
        }
    };
    held.release();
    if let Err(e) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM) {
        error!("cannot follow the supervisor's death: {e}");
        return 1;
    }
    if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(supervisor) {
        error!("the supervisor (pid {supervisor}) is gone; not starting");
        return 1;
    }
    let (report, source) = checked(args);
    if !report.runnable() {
        error!(
            "{}: the configuration cannot run (see above); nothing started",
            args.file.display()
        );
        return 1;
    }
    let scheduling = conf::effective::scheduling(&report.config);
    if scheduling != conf::effective::Scheduling::default() {
        match sys::schedule_this_thread(scheduling) {
            Ok(()) => info!(?scheduling, "VRRP loop scheduled"),
            Err(e) => {
                warn!(?scheduling, error = %e, "could not schedule the VRRP loop as configured")
            }
        }
    }
    match start(args.clone(), placement.clone(), report, source, signals).await {
        Ok(()) => 0,
        Err(e) => {
            error!("{e:#}");
            1
        }
    }
}

/// The kernel's host name (keepalived's `router_id` default).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

async fn start(
    args: Args,
    placement: placement::Placement,
    report: Report,
    source: MemoryFiles,
    signals: run::Signals,
) -> Result<()> {
    let names = placement::Names::of(&report.config, placement.namespace_override.as_deref());
    if let Some(why) = placement::reload_refusal(&placement.names(), &names) {
        anyhow::bail!("the configuration changed since havipd started: {why}");
    }
    let state = state_files::StateFiles::open(&placement.state_dir)
        .with_context(|| format!("state dir {}", placement.state_dir.display()))?;
    let (control, calls) = control::listen(state.dir())?;
    let (metrics_server, scrapes) = match args.metrics_listen {
        Some(addr) => {
            let (server, rx) = metrics::serve(addr, args.metrics_token_file.as_deref()).await?;
            (Some(server), Some(rx))
        }
        None => (None, None),
    };
    let command_line = conf::snmp::CommandLine {
        all: args.snmp,
        socket: args.snmp_agent_socket.clone(),
    };
    let snmp = conf::snmp::snmp(&report.config, &host_name(), &command_line)
        .map_err(|e| warn!("{e}: no SNMP subagent"))
        .ok();
    let movers = match &args.mover {
        Some(path) => Some(mover::settings(path, &report.config)?),
        None => None,
    };
    let config = configure::runnable(&report.config);
    let movers = match &movers {
        Some(settings) => mover::targets(settings, &config)?,
        None => Vec::new(),
    };
    let dbus_config = conf::dbus::dbus_service(&report.config);
    // The check's report (its model and diagnostics) is not needed past this point.
    drop(report);
    let (reports, reports_rx) = tokio::sync::mpsc::unbounded_channel();
    let setup = run::Setup {
        file: args.file.clone(),
        config_id: args.config_id.clone(),
        handover_on_stop: args.handover_on_stop,
        names: placement.names(),
        namespace_override: placement.namespace_override.clone(),
        mover: args.mover.clone(),
    };
    let mut daemon = startup::assemble(config, source, setup, state, reports).await?;
    daemon.movers = mover::Movers::spawn(movers);
    // The supervisor holds the file locked; the worker writes its pid in it.
    if let Some(p) = &placement.vrrp_pid_file {
        let pid = format!("{}\n", std::process::id());
        std::fs::write(p, pid).with_context(|| format!("pid file {}", p.display()))?;
    }
    info!(instances = daemon.node.len(), config = %args.file.display(), "havipd started");
    let dbus_requests = daemon.dbus.channel();
    daemon.dbus.reconfigure(dbus_config, &daemon.reloads)?;
    let (snmp_agent, snmp) = snmp::start_if_enabled(snmp, daemon.events.follow());
    let inputs = run::Inputs {
        reports: reports_rx,
        calls,
        scrapes,
        dbus: dbus_requests,
        snmp,
        deadline: deadline::Deadline::new().context("the event loop's timer")?,
    };
    daemon.filter_sockets(&[])?;
    let result = run::run(daemon, inputs, signals).await;
    drop(control);
    drop(metrics_server);
    drop(snmp_agent);
    info!("havipd stopped");
    result
}
