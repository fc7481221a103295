//! `havip`: high-availability virtual IPs, checked, run and drilled.

mod check;
mod lab;
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
struct Cli {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Vpc(args) => vpc::run(&args),
    }
}
