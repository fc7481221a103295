//! The verbs that talk to a running havipd over its control socket: `status`, `events`,
//! `reload`, `send-garp`, `maintenance`.

mod render;
mod target;

use crate::output::Format;
use clap::{Args as ClapArgs, ValueEnum};
use ctl::{Client, Reply, Request};
use std::process::ExitCode;
pub use target::Target;

/// `havip events`.
#[derive(ClapArgs, Debug)]
pub struct EventsArgs {
    /// Keep printing transitions as they happen (`-f` is the config file, as for keepalived).
    #[arg(long)]
    pub follow: bool,
    /// Daemon and format.
    #[command(flatten)]
    pub target: Target,
}

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Hand over and stay backup.
    On,
    /// Back to normal.
    Off,
}

/// `havip maintenance`.
#[derive(ClapArgs, Debug)]
pub struct MaintenanceArgs {
    /// On: a master hands over make-before-break and the instance stays backup; off: normal.
    pub switch: Switch,
    /// Instance (all if absent).
    pub instance: Option<String>,
    /// Daemon and format.
    #[command(flatten)]
    pub target: Target,
}

/// `havip send-garp`.
#[derive(ClapArgs, Debug)]
pub struct GarpArgs {
    /// Instance (must be MASTER).
    pub instance: String,
    /// Daemon and format.
    #[command(flatten)]
    pub target: Target,
}

/// Sends `request` and prints every reply; the exit code says whether all went well.
pub fn run(target: &Target, request: Request) -> ExitCode {
    let socket = match target.socket() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("havip: {e}");
            return ExitCode::from(2);
        }
    };
    let mut client = match Client::send(&socket, &request) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("havip: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    let mut any = false;
    while let Some(reply) = client.next_reply() {
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                eprintln!("havip: {e}");
                return ExitCode::from(2);
            }
        };
        any = true;
        ok &= !matches!(
            reply,
            Reply::Error { .. } | Reply::Reload(ctl::ReloadOutcome { applied: false, .. })
        );
        match target.format() {
            Format::Json => println!("{}", serde_json::to_string(&reply).unwrap_or_default()),
            Format::Text => render::reply(&reply),
        }
    }
    if !any && matches!(request, Request::Events { .. }) && target.format() == Format::Text {
        println!("no transition yet");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `havip maintenance on|off [INSTANCE]`.
pub fn maintenance(args: &MaintenanceArgs) -> ExitCode {
    run(
        &args.target,
        Request::Maintenance {
            on: args.switch == Switch::On,
            instance: args.instance.clone(),
        },
    )
}
