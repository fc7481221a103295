//! The verbs that talk to a running havipd over its control socket: `status`, `events`,
//! `reload`, `send-garp`, `maintenance`.

mod render;

use crate::output::{Format, FormatArgs};
use clap::{Args as ClapArgs, ValueEnum};
use ctl::{Client, Reply, Request};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the daemon is and how to print.
#[derive(ClapArgs, Debug)]
pub struct Target {
    /// havipd's state directory (its `--state-dir`): the control socket is there.
    #[arg(long, default_value = "/run/havip", global = true)]
    pub state_dir: PathBuf,
    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}

impl Target {
    fn format(&self) -> Format {
        self.output.get()
    }

    fn socket(&self) -> PathBuf {
        self.state_dir.join(ctl::SOCKET_NAME)
    }
}

/// `havip events`.
#[derive(ClapArgs, Debug)]
pub struct EventsArgs {
    /// Keep printing transitions as they happen.
    #[arg(long, short = 'f')]
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
    let mut client = match Client::send(&target.socket(), &request) {
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
