//! The executor of the node's VIP movers (`havipd --mover FILE`, issue 32): where a cloud has
//! no HAVIP, each instance named by the mover file has a [`node::mover::Mover`] that decides
//! which cloud API step to take and when; this module feeds it the instance's VRRP state (from
//! the loop's transitions) and the adverts of lower priority a master receives, makes the
//! steps it asks for ([`api`]: signed Tencent Cloud API calls over HTTP(S); [`ec2`]: EC2's
//! query API, for `provider ec2`) and reports their
//! outcomes back. The movers run in a task of their own, so a slow cloud never holds the
//! VRRP loop; the loop reads their status (for `havip status` and the metrics) from a board
//! the task updates. Keys are read where a call needs them and never logged or shown.
//!
//! The mover file is read at start; a reload keeps the movers as they are.

mod api;
mod driver;
mod ec2;
mod keys;
mod ledger;
mod routes;

use crate::instance::Instance;
use anyhow::{Result, bail};
use conf::mover::MoverSettings;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tracing::{error, info};

/// What the loop tells the movers.
#[derive(Clone, Debug)]
enum Command {
    /// The instance is MASTER (`true`) or not.
    Master(String, bool),
    /// As MASTER, the instance received an advert of lower priority.
    Elsewhere(String),
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
/// does; logs every problem and fails on any error.
pub fn settings(path: &Path, config: &conf::model::Config) -> Result<MoverSettings> {
    let (settings, diags) = conf::mover::read_for(&conf::reader::Disk, path, config, true);
    let mut errors = 0;
    for d in &diags {
        error!("{d}");
        errors += usize::from(d.severity == conf::Severity::Error);
    }
    if errors > 0 {
        bail!(
            "the mover file {} has {errors} error(s) (see above; `havip check --mover {}`)",
            path.display(),
            path.display()
        );
    }
    Ok(settings)
}

/// One instance's mover: its name, its IPv4 VIPs and its settings.
struct Target {
    name: String,
    vips: Vec<Ipv4Addr>,
    settings: conf::mover::Mover,
}

impl Movers {
    /// Starts a mover for every instance the settings cover.
    pub fn spawn(settings: &MoverSettings, instances: &node::ById<Instance>) -> Result<Movers> {
        let mut targets = Vec::new();
        for inst in instances.iter() {
            let Some(s) = settings.for_instance(&inst.name) else {
                continue;
            };
            let vips: Vec<Ipv4Addr> = inst
                .vips
                .iter()
                .filter_map(|(v, _)| match v.addr {
                    IpAddr::V4(a) => Some(a),
                    IpAddr::V6(_) => None,
                })
                .collect();
            if vips.is_empty() {
                bail!("{}: the mover needs an IPv4 virtual address", inst.name);
            }
            info!(instance = %inst.name, eni = %s.eni, method = ?s.method, vips = ?vips, "VIP mover");
            targets.push(Target {
                name: inst.name.clone(),
                vips,
                settings: s.clone(),
            });
        }
        if targets.is_empty() {
            return Ok(Movers::default());
        }
        let board = Board::default();
        let (tx, rx) = mpsc::unbounded_channel();
        driver::spawn(targets, rx, board.clone());
        Ok(Movers {
            tx: Some(tx),
            board,
        })
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
