//! `havipd`: runs an existing keepalived.conf's VRRP instances.

mod announce;
mod clock;
mod instance;
mod netlink;
mod notify;
mod packet_socket;
mod run;
mod sockets;
mod state_files;
mod sys;

use anyhow::{Context, Result};
use clap::Parser;
use conf::{Report, Severity};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing::{error, info, warn};
use vrrp::Family;

/// Command line, compatible with keepalived's common flags.
#[derive(Parser)]
#[command(name = "havipd", version, about = "keepalived-compatible VRRP daemon")]
struct Args {
    /// Configuration file.
    #[arg(
        short = 'f',
        long = "use-file",
        default_value = "/etc/keepalived/keepalived.conf"
    )]
    file: PathBuf,
    /// Stay in the foreground (havipd never forks; accepted for keepalived compatibility).
    #[arg(short = 'n', long = "dont-fork")]
    dont_fork: bool,
    /// Log to the console (standard error).
    #[arg(short = 'l', long = "log-console")]
    log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    log_detail: bool,
    /// Syslog facility number (accepted for compatibility; havipd logs to standard error).
    #[arg(short = 'S', long = "log-facility")]
    log_facility: Option<u8>,
    /// Check the configuration and exit: 0 ok, 3 cannot run, 4 errors but would run,
    /// 5 scripts without script security (keepalived's codes).
    #[arg(short = 't', long = "config-test")]
    config_test: bool,
    /// Pid file.
    #[arg(short = 'p', long = "pid")]
    pid_file: Option<PathBuf>,
    /// VRRP child pid file (havipd has one process: the same pid).
    #[arg(short = 'r', long = "vrrp_pid")]
    vrrp_pid_file: Option<PathBuf>,
    /// Run only the VRRP side (havipd has nothing else; accepted for compatibility).
    #[arg(short = 'P', long = "vrrp")]
    vrrp_only: bool,
    /// keepalived's config id, selecting `@id` lines.
    #[arg(short = 'i', long = "config-id")]
    config_id: Option<String>,
    /// Where state files and the transition log go.
    #[arg(long = "state-dir", default_value = "/run/havip")]
    state_dir: PathBuf,
}

/// Diagnostics that stop keepalived from running.
const FATAL: &[&str] = &[
    "file-unreadable",
    "no-such-interface",
    "duplicate-vrid",
    "include-unreadable",
];

fn config_test_code(r: &Report) -> u8 {
    let keepalived_kind = |d: &&conf::Diagnostic| {
        !d.code.starts_with("cloud-")
            && d.code != "sample-values"
            && d.code != "pasted-unicode"
            && d.code != "script-security"
    };
    if !r.read
        || r.diagnostics.iter().any(|d| FATAL.contains(&d.code))
        || r.config.instances.is_empty()
    {
        3
    } else if r
        .diagnostics
        .iter()
        .filter(keepalived_kind)
        .any(|d| d.severity != Severity::Info)
    {
        4
    } else if r.diagnostics.iter().any(|d| d.code == "script-security") {
        5
    } else {
        0
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let level = if args.log_detail { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HAVIP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let _ = (
        args.dont_fork,
        args.log_console,
        args.log_facility,
        args.vrrp_only,
    );
    let host = conf::host::LocalHost;
    let report = conf::check(
        &conf::reader::Disk,
        &args.file,
        Some(&host),
        &conf::Options {
            config_id: args.config_id.clone(),
            cloud: false,
        },
    );
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
    let code = config_test_code(&report);
    if args.config_test {
        return ExitCode::from(code);
    }
    if code == 3 {
        error!("configuration cannot run (see above); nothing started");
        return ExitCode::from(1);
    }
    match start(args, report) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::from(1)
        }
    }
}

fn start(args: Args, report: Report) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let netlink = netlink::Netlink::connect()?;
        let runnable: Vec<_> = report
            .config
            .instances
            .iter()
            .filter(|i| i.vrid().is_some())
            .cloned()
            .collect();
        let mut config = report.config.clone();
        config.instances = runnable;
        let (instances, tasks) = instance::build(&config, &netlink).await?;
        let needs = |f: Family| instances.iter().any(|i| i.family == f);
        let sock4 = if needs(Family::Ipv4) {
            Some(sockets::VrrpSocket::open(Family::Ipv4).context("IPv4 VRRP socket")?)
        } else {
            None
        };
        let sock6 = if needs(Family::Ipv6) {
            Some(sockets::VrrpSocket::open(Family::Ipv6).context("IPv6 VRRP socket")?)
        } else {
            None
        };
        let pid = std::process::id().to_string();
        for p in [&args.pid_file, &args.vrrp_pid_file].into_iter().flatten() {
            std::fs::write(p, &pid).with_context(|| format!("pid file {}", p.display()))?;
        }
        info!(instances = instances.len(), config = %args.file.display(), "havipd started");
        let daemon = run::Daemon {
            instances,
            netlink,
            packets: packet_socket::PacketSender::new()
                .context("packet socket for announcements")?,
            state: state_files::StateFiles::open(&args.state_dir)
                .with_context(|| format!("state dir {}", args.state_dir.display()))?,
            clock: clock::Clock::new(),
            dropped_packets: 0,
        };
        run::run(daemon, sock4, sock6).await?;
        // Let queued notify scripts (notify_stop) finish, within their time-out.
        // The daemon (and with it every queue's sender) is gone: each worker ends after its queue.
        let _ =
            tokio::time::timeout(notify::SCRIPT_TIMEOUT, futures::future::join_all(tasks)).await;
        for p in [&args.pid_file, &args.vrrp_pid_file].into_iter().flatten() {
            let _ = std::fs::remove_file(p);
        }
        info!("havipd stopped");
        Ok(())
    })
}
