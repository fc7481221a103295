//! `havip`: high-availability virtual IPs, checked, run and drilled.
//!
//! The binary is `src/main.rs`; this library holds the command so that its definition
//! ([`command`]) can also be read by the packaging tools (man pages, completions).

mod check;
mod control;
mod lab;
mod output;
mod vpc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// havip command line.
#[derive(Parser)]
#[command(
    name = "havip",
    version,
    about = "keepalived-compatible HA virtual IPs: check, run, drill"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a keepalived.conf: diagnostics with file:line:col, hints, and cloud advice.
    Check(check::Args),
    /// The seed topology in network namespaces: drills, outages, bench.
    Lab(lab::Args),
    /// A local VPC with HAVIP semantics: the cloud's API, a console, the GARP endpoint.
    Vpc(vpc::Args),
    /// A running havipd's instances: state, priorities, master seen, timers, VIPs, trackers.
    Status(control::Target),
    /// havipd's transitions with their reasons (`--follow`: as they happen).
    Events(control::EventsArgs),
    /// Make havipd re-read its configuration: the diagnostics and the outcome.
    Reload(control::Target),
    /// Announce a master instance's addresses now (gratuitous ARP / unsolicited NA).
    SendGarp(control::GarpArgs),
    /// Planned switchover: hand mastership over without an outage, or come back.
    Maintenance(control::MaintenanceArgs),
}

/// havip's command line definition, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs havip with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Vpc(args) => vpc::run(&args),
        Command::Status(t) => control::run(&t, ctl::Request::Status),
        Command::Events(a) => control::run(&a.target, ctl::Request::Events { follow: a.follow }),
        Command::Reload(t) => control::run(&t, ctl::Request::Reload),
        Command::SendGarp(a) => control::run(
            &a.target,
            ctl::Request::SendGarp {
                instance: a.instance.clone(),
            },
        ),
        Command::Maintenance(a) => control::maintenance(&a),
    }
}
