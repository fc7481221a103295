//! `havipd`: runs an existing keepalived.conf's VRRP instances.
//!
//! The binary is `src/main.rs`; this library holds the daemon so that its command line
//! ([`command`]) can also be read by the packaging tools (man page, completions).

mod accept_mode;
mod adverts;
mod apply;
mod base_sysctls;
mod clock;
mod configure;
mod control;
mod deadline;
mod drive;
mod dumps;
mod events;
mod identity;
mod instance;
mod keepalived_flags;
mod logging;
mod metrics;
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
use std::path::PathBuf;
use std::process::ExitCode;
use tracing::{error, info, warn};

/// Command line, compatible with keepalived's common flags.
#[derive(Clone, Parser)]
#[command(
    name = "havipd",
    version,
    disable_version_flag = true,
    args_override_self = true,
    about = "keepalived-compatible VRRP daemon",
    long_about = "keepalived-compatible VRRP daemon.\n\n\
        havipd runs the vrrp_instance, vrrp_sync_group, vrrp_script and track blocks of an \
        existing keepalived.conf: VRRPv2 and VRRPv3 over IPv4 and IPv6, multicast or unicast, \
        virtual addresses and routes through netlink, gratuitous ARP and unsolicited neighbour \
        advertisements, notify scripts and auth_hmac. It stays in the foreground and logs to the \
        journal under systemd, to syslog otherwise, or to standard error with -l. The process \
        started runs the VRRP work in a child it restarts if it dies; if the parent dies, even \
        by SIGKILL, the child resigns its masters and removes its addresses. `havip \
        status`, `havip events`, `havip reload` and `havip maintenance` talk to it over its \
        control socket."
)]
pub struct Args {
    /// Configuration file.
    #[arg(short = 'f', long = "use-file", default_value = conf::DEFAULT_CONFIG)]
    file: PathBuf,
    /// Stay in the foreground (havipd never daemonizes; accepted for keepalived compatibility).
    #[arg(short = 'n', long = "dont-fork")]
    dont_fork: bool,
    /// Log to the console (standard error).
    #[arg(short = 'l', long = "log-console")]
    log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    log_detail: bool,
    /// Syslog facility, 0-7 or local0-local7, user or daemon (the default), used when neither
    /// the console (-l) nor the journal takes the log.
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY", value_parser = keepalived_flags::parse_facility)]
    log_facility: Option<keepalived_flags::LogFacility>,
    /// Do not log via syslog (nor the journal): with -l to the console only, else nowhere.
    #[arg(short = 'G', long = "no-syslog")]
    no_syslog: bool,
    /// umask for the files havipd creates (numeric: 022, 0x12, 18).
    #[arg(short = 'u', long = "umask", value_name = "MASK", value_parser = keepalived_flags::parse_umask)]
    umask: Option<u32>,
    /// Lift the core size limit, so that a crash dumps core.
    #[arg(short = 'm', long = "core-dump")]
    core_dump: bool,
    /// Check the configuration and exit with keepalived 2.2.7's code: 0 nothing to report,
    /// 4 cannot run, 5 configuration errors, 6 scripts without script security. With
    /// =LOG_FILE the report is appended to LOG_FILE instead of standard error.
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1, require_equals = true)]
    config_test: Option<Option<String>>,
    /// Pid file.
    #[arg(short = 'p', long = "pid")]
    pid_file: Option<PathBuf>,
    /// The VRRP worker's pid file.
    #[arg(short = 'r', long = "vrrp_pid")]
    vrrp_pid_file: Option<PathBuf>,
    /// keepalived's checker pid file (havipd runs no checker; accepted for compatibility).
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    checkers_pid_file: Option<PathBuf>,
    /// keepalived's BFD pid file (havipd runs no BFD; accepted for compatibility).
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    bfd_pid_file: Option<PathBuf>,
    /// Run the VRRP work in the network namespace NAME (`/run/netns/NAME`), overriding the
    /// config's `net_namespace`.
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    namespace: Option<String>,
    /// Do not restart a VRRP worker that died: stop havipd instead.
    #[arg(short = 'R', long = "dont-respawn")]
    dont_respawn: bool,
    /// Run only the VRRP side (havipd has nothing else; accepted for compatibility).
    #[arg(short = 'P', long = "vrrp")]
    vrrp_only: bool,
    /// Do not run BFD (havipd runs none; accepted for compatibility).
    #[arg(short = 'B', long = "no_bfd")]
    no_bfd: bool,
    /// Run every child even without configuration for it. havipd's one child, the VRRP
    /// worker, runs whenever the config has a vrrp_instance; without one havipd does not start
    /// (no-vrrp-instance), where keepalived's VRRP child would wait idle for a reload.
    #[arg(long = "all")]
    all: bool,
    /// Leave the IPVS topology on stop (havipd sets up none; accepted for compatibility).
    #[arg(short = 'I', long = "dont-release-ipvs")]
    dont_release_ipvs: bool,
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// keepalived's -C (refused: havipd has no checker).
    #[arg(short = 'C', long = "check", hide = true)]
    checker_only: bool,
    /// keepalived's -x: serve every VRRP MIB (enable_snmp_vrrp, _rfcv2, _rfcv3).
    #[arg(short = 'x', long = "snmp", hide = true)]
    snmp: bool,
    /// keepalived's -A: the AgentX master's address unless `snmp_socket` names one.
    #[arg(short = 'A', long = "snmp-agent-socket", hide = true)]
    snmp_agent_socket: Option<String>,
    /// keepalived's -a (refused).
    #[arg(short = 'a', long = "address-monitoring", hide = true)]
    address_monitoring: bool,
    /// keepalived's -d (refused).
    #[arg(short = 'd', long = "dump-conf", hide = true)]
    dump_conf: bool,
    /// keepalived's -V (refused).
    #[arg(short = 'V', long = "dont-release-vrrp", hide = true)]
    dont_release_vrrp: bool,
    /// keepalived's -X (refused).
    #[arg(short = 'X', long = "release-vips", hide = true)]
    release_vips: bool,
    /// keepalived's -M (refused).
    #[arg(short = 'M', long = "core-dump-pattern", hide = true, num_args = 0..=1)]
    core_dump_pattern: Option<Option<String>>,
    /// keepalived's -e (refused).
    #[arg(short = 'e', long = "all-config", hide = true)]
    all_config: bool,
    /// keepalived's --ignore-sigint (refused).
    #[arg(long = "ignore-sigint", hide = true)]
    ignore_sigint: bool,
    /// keepalived's config id, selecting `@id` lines.
    #[arg(short = 'i', long = "config-id")]
    config_id: Option<String>,
    /// Where state files, the transition log and the control socket go. Default: /run/havip,
    /// or, when -p, -s or the config's net_namespace, instance or use_pid_dir make keepalived
    /// use another main pid file, that pid file's path followed by `.havip`.
    #[arg(long = "state-dir", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// On SIGTERM, hand each master over to a peer make-before-break (as `havip maintenance
    /// on`) and stop once the successor has taken the addresses, instead of resigning and
    /// removing them at once (keepalived's stop). Bounded by Master_Down_Interval.
    #[arg(long = "handover-on-stop")]
    handover_on_stop: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (off by default). An address other
    /// than loopback needs --metrics-token-file.
    #[arg(long = "metrics-listen", value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// A file holding the bearer token scrapers must send (`Authorization: Bearer TOKEN`).
    #[arg(long = "metrics-token-file", value_name = "FILE")]
    metrics_token_file: Option<PathBuf>,
    /// Print the number of the signal that asks for NAME (STOP, RELOAD, DATA, STATS, JSON)
    /// and exit, as keepalived does.
    #[arg(long = "signum", value_name = "NAME")]
    signum: Option<String>,
}

/// havipd's command line definition, for man pages and completions.
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// Runs havipd with the process's arguments; the exit code is keepalived's.
pub fn main() -> ExitCode {
    let held = signal_gate::hold();
    // keepalived's genhash mode takes the rest of the command line as its own.
    if std::env::args_os().any(|a| a == "-T" || a == "--genhash") {
        eprintln!("havipd: {}", keepalived_flags::GENHASH);
        return ExitCode::from(1);
    }
    let argv = keepalived_flags::getopt_spellings(std::env::args_os());
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // keepalived exits 1 on a bad command line, 0 for --help and --version.
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    if let Some(why) = keepalived_flags::refusal(&args) {
        eprintln!("havipd: {why}");
        return ExitCode::from(1);
    }
    if let Err(e) = keepalived_flags::apply_process_flags(&args) {
        eprintln!("havipd: {e}");
        return ExitCode::from(1);
    }
    if let Some(name) = &args.signum {
        return match signum::number(name) {
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
        };
    }
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
    let config = configure::runnable(&report.config);
    // The check's report (its model and diagnostics) is not needed past this point.
    drop(report);
    let (reports, reports_rx) = tokio::sync::mpsc::unbounded_channel();
    let setup = run::Setup {
        file: args.file.clone(),
        config_id: args.config_id.clone(),
        handover_on_stop: args.handover_on_stop,
        names: placement.names(),
        namespace_override: placement.namespace_override.clone(),
    };
    let daemon = startup::assemble(config, source, setup, state, reports).await?;
    // The supervisor holds the file locked; the worker writes its pid in it.
    if let Some(p) = &placement.vrrp_pid_file {
        let pid = format!("{}\n", std::process::id());
        std::fs::write(p, pid).with_context(|| format!("pid file {}", p.display()))?;
    }
    info!(instances = daemon.node.len(), config = %args.file.display(), "havipd started");
    let (snmp_agent, snmp) = snmp::start_if_enabled(snmp, daemon.events.follow());
    let inputs = run::Inputs {
        reports: reports_rx,
        calls,
        scrapes,
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
