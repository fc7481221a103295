//! The executor of the node's VIP movers (`havipd --mover FILE`, issue 32): where a cloud has
//! no HAVIP, each instance named by the mover file has a [`node::mover::Mover`] that decides
//! which cloud API step to take and when; this module feeds it the instance's VRRP state (from
//! the loop's transitions) and the adverts of lower priority a master receives, makes the
//! steps it asks for ([`api`]: signed Tencent Cloud API calls over HTTP(S); [`ec2`]: EC2's
//! query API, for `provider ec2`) and reports their
//! outcomes back. The movers run in a task of their own, so a slow cloud never holds the
//! VRRP loop; the loop reads their status (for `havip status` and the metrics) from a board
//! the task updates. Keys are read where a call needs them ([`keys`]; EC2's instance profile:
//! [`imds`]) and never logged or shown.
//!
//! The mover file is read at start and again on every reload (`SIGHUP`, `havip reload`): a
//! mover whose settings (or instance's VIPs) changed starts over with the new ones, the
//! others go on untouched; a file with an error refuses the whole reload. A credentials file is
//! read again for every call, so a rotated key needs no reload.

mod api;
mod driver;
mod ec2;
mod imds;
mod keys;
mod ledger;
mod metadata;
mod routes;

use anyhow::{Result, bail};
use conf::mover::MoverSettings;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tracing::{error, info};

/// What the loop tells the movers.
#[derive(Debug)]
enum Command {
    /// The instance is MASTER (`true`) or not.
    Master(String, bool),
    /// As MASTER, the instance received an advert of lower priority.
    Elsewhere(String),
    /// The movers to run from now on, each with whether its instance is MASTER (start, reload).
    Reconfigure(Vec<(Target, bool)>),
}

/// Each mover's status, by instance name, as the task last wrote it.
type Board = Arc<Mutex<BTreeMap<String, ctl::MoverStatus>>>;

/// The running movers (none without `--mover`).
#[derive(Default)]
pub struct Movers {
    tx: Option<mpsc::UnboundedSender<Command>>,
    board: Board,
}

/// Reads and checks the mover file against `config`'s instances, as `havip check --mover`
/// does: the settings, or an error when the file has one; every diagnostic either way.
pub fn check(
    path: &Path,
    config: &conf::model::Config,
) -> (Result<MoverSettings>, Vec<conf::Diagnostic>) {
    let (settings, diags) = conf::mover::read_for(&conf::reader::Disk, path, config, true);
    let errors = diags
        .iter()
        .filter(|d| d.severity == conf::Severity::Error)
        .count();
    if errors > 0 {
        let e = anyhow::anyhow!(
            "the mover file {} has {errors} error(s) (`havip check --mover {}`)",
            path.display(),
            path.display()
        );
        return (Err(e), diags);
    }
    (Ok(settings), diags)
}

/// [`check`] at start: logs every problem and fails on any error.
pub fn settings(path: &Path, config: &conf::model::Config) -> Result<MoverSettings> {
    let (settings, diags) = check(path, config);
    for d in &diags {
        error!("{d}");
    }
    settings
}

/// One instance's mover: its name, its IPv4 VIPs and its settings.
#[derive(Clone, Debug)]
pub struct Target {
    name: String,
    vips: Vec<Ipv4Addr>,
    settings: conf::mover::Mover,
}

impl Target {
    /// Whether `other` moves the same VIPs the same way (where the settings were written aside).
    fn same_as(&self, other: &Target) -> bool {
        let mut theirs = other.settings.clone();
        theirs.location = self.settings.location.clone();
        self.vips == other.vips && self.settings == theirs
    }
}

/// The movers `settings` give the instances of `config` (its runnable ones): an instance the
/// file covers needs an IPv4 virtual address.
pub fn targets(settings: &MoverSettings, config: &conf::model::Config) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for inst in &config.instances {
        let Some(s) = settings.for_instance(&inst.name) else {
            continue;
        };
        let vips: Vec<Ipv4Addr> = inst
            .vips
            .iter()
            .filter_map(|v| match v.addr {
                IpAddr::V4(a) => Some(a),
                IpAddr::V6(_) => None,
            })
            .collect();
        if vips.is_empty() {
            bail!("{}: the mover needs an IPv4 virtual address", inst.name);
        }
        targets.push(Target {
            name: inst.name.clone(),
            vips,
            settings: s.clone(),
        });
    }
    Ok(targets)
}

impl Movers {
    /// Starts a mover for every target (none: no task), each idle until its instance is MASTER.
    pub fn spawn(targets: Vec<Target>) -> Movers {
        let mut movers = Movers::default();
        movers.reconfigure(targets, |_| false);
        movers
    }

    /// Runs `targets` from now on (a reload): a mover whose settings and VIPs are unchanged
    /// goes on untouched, a changed or new one starts over (claiming at once if `master` says
    /// its instance is MASTER), one without a target stops. The task starts with the first
    /// target.
    pub fn reconfigure(&mut self, targets: Vec<Target>, master: impl Fn(&str) -> bool) {
        if self.tx.is_none() && targets.is_empty() {
            return;
        }
        for t in &targets {
            info!(instance = %t.name, eni = %t.settings.eni, method = ?t.settings.method, vips = ?t.vips, "VIP mover");
        }
        let tx = self.tx.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            driver::spawn(rx, self.board.clone());
            tx
        });
        let with_state = targets
            .into_iter()
            .map(|t| {
                let m = master(&t.name);
                (t, m)
            })
            .collect();
        // The task ends only with the daemon.
        let _ = tx.send(Command::Reconfigure(with_state));
    }

    fn send(&self, c: Command) {
        if let Some(tx) = &self.tx {
            // The task ends only with the daemon.
            let _ = tx.send(c);
        }
    }

    /// Instance `name` entered (`true`) or left MASTER.
    pub fn master(&self, name: &str, master: bool) {
        self.send(Command::Master(name.to_string(), master));
    }

    /// Instance `name`, MASTER, received an advert of lower priority.
    pub fn elsewhere(&self, name: &str) {
        self.send(Command::Elsewhere(name.to_string()));
    }

    /// The status of instance `name`'s mover, if it has one.
    pub fn status(&self, name: &str) -> Option<ctl::MoverStatus> {
        self.tx.as_ref()?;
        let board = self.board.lock().unwrap_or_else(|e| e.into_inner());
        board.get(name).cloned()
    }
}
