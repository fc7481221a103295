//! What a checked config turns into: runnable instances, their tracking, and the watchers that
//! feed it. Used at start and on every reload.

use crate::instance::{self, Instance};
use crate::netlink::Netlink;
use crate::observe::{self, Reports, scripts::ScriptJob};
use crate::script_user::{self, RunAs};
use anyhow::{Result, anyhow};
use conf::model::Config;
use conf::reader::MemoryFiles;
use node::tracking::Tracker;
use std::path::PathBuf;
use std::time::Duration;
use tracing::{error, warn};

/// A config, ready to run.
pub struct Configured {
    /// Instances, in config order.
    pub instances: Vec<Instance>,
    /// Their routers, for the node (same order).
    pub members: Vec<node::Member>,
    /// Their tracking, with the current state of the tracked interfaces.
    pub tracker: Tracker,
    /// Notify workers of the instances.
    pub notify_tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The config at `file` checked against this host, with the files it was read from (kept to
/// resolve it again without the disk, whose files may have changed since).
pub fn check_on_disk(
    file: &std::path::Path,
    config_id: Option<String>,
) -> (conf::Report, MemoryFiles) {
    let recording = conf::reader::Recording::new(&conf::reader::Disk);
    let report = conf::check(
        &recording,
        file,
        Some(&conf::host::LocalHost),
        &conf::Options {
            config_id,
            cloud: false,
        },
    );
    (report, recording.into_files())
}

/// The config's instances that can run (the others were diagnosed by the check).
pub fn runnable(cfg: &Config) -> Config {
    let mut c = cfg.clone();
    c.instances.retain(|i| i.vrid().is_some());
    c
}

/// With `dynamic_interfaces`, the instances whose interface does not exist yet are set
/// aside, each logged, until it appears; returns the rest and the interfaces awaited.
pub fn without_awaited(mut cfg: Config) -> (Config, Vec<String>) {
    use conf::host::Host;
    let mut awaited: Vec<String> = Vec::new();
    if conf::effective::dynamic_interfaces(&cfg) {
        cfg.instances.retain(|i| match i.interface() {
            Some(name) if !conf::host::LocalHost.interface_exists(name) => {
                warn!(instance = %i.name, interface = name, "the interface does not exist yet: the instance waits for it (dynamic_interfaces)");
                if !awaited.iter().any(|a| a == name) {
                    awaited.push(name.to_string());
                }
                false
            }
            _ => true,
        });
    }
    (cfg, awaited)
}

/// Builds instances and tracking, reading the tracked interfaces' state.
pub async fn configure(cfg: &Config, nl: &Netlink) -> Result<Configured> {
    let built = instance::build(cfg, nl).await?;
    let refs: Vec<_> = cfg.instances.iter().collect();
    let mut tracker = Tracker::new(cfg, &refs);
    for name in tracker.interfaces() {
        let up = nl.find_link(&name).await?.is_some_and(|l| l.up);
        tracker.set_link(&name, up);
    }
    Ok(Configured {
        instances: built.instances,
        members: built.members,
        tracker,
        notify_tasks: built.tasks,
    })
}

/// Starts the watchers: link events (of the tracked interfaces and the `awaited` ones), every
/// tracked script on its interval, every tracked file, and the tracked processes (whose first
/// scan `tracker` takes in before it returns).
pub fn spawn_watchers(
    cfg: &Config,
    tracker: &mut Tracker,
    reports: &Reports,
    awaited: &[String],
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut links = tracker.interfaces();
    links.extend(
        awaited
            .iter()
            .filter(|a| !links.contains(a))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let mut out = vec![observe::links::spawn(links, reports.clone())?];
    out.extend(spawn_process_watcher(cfg, tracker, reports)?);
    crate::bfd_driver::spawn(cfg, reports)?;
    let (scripts, files) = tracker.used();
    let security = cfg.global.script_security();
    // Looked up only when a script runs: the lookup loads the system's user databases (NSS
    // modules, about 150 KiB resident) into a daemon that may never need them.
    let default_user = if scripts.is_empty() {
        None
    } else {
        Some(RunAs::default_for(&cfg.global).map_err(|e| anyhow!(e))?)
    };
    let mut warned = false;
    for name in scripts {
        let Some(s) = cfg.scripts.get(&name) else {
            continue;
        };
        let Some(cmd) = s.command() else {
            continue;
        };
        let run_as = match s.user() {
            Some(who) => RunAs::named(&who),
            None => Ok(default_user.clone().unwrap_or_else(RunAs::root)),
        };
        let mut argv: Vec<String> = cmd.command.split_whitespace().map(String::from).collect();
        let run_as = run_as.unwrap_or_else(|why| {
            error!(script = %name, "not run: {why}; it counts as failing");
            argv.clear();
            RunAs::root()
        });
        if !allowed(&name, &argv, &run_as, security, &mut warned) {
            argv.clear();
        }
        let interval = Duration::from_secs(s.interval().max(1) as u64);
        let timeout = s
            .timeout()
            .map_or(interval, |t| Duration::from_secs(t.max(1) as u64));
        out.push(observe::scripts::spawn(
            ScriptJob {
                name,
                argv,
                interval,
                timeout,
                run_as,
            },
            reports.clone(),
        ));
    }
    for name in files {
        if let Some(path) = cfg.track_files.get(&name).and_then(|f| f.file()) {
            out.push(observe::files::spawn(
                name,
                PathBuf::from(path),
                reports.clone(),
            ));
        }
    }
    Ok(out)
}

/// Gives `tracker` the value of every tracked file before the instances start, as keepalived
/// reads its track files at start: an instance whose file faults it enters FAULT from INIT,
/// never BACKUP first. Read on the blocking pool like the watcher's later looks; a file not
/// read within [`FIRST_READ_WITHIN`] (a hung mount) is left to the watcher.
pub async fn read_track_files(cfg: &Config, tracker: &mut Tracker) {
    let (_, files) = tracker.used();
    for name in files {
        let Some(path) = cfg.track_files.get(&name).and_then(|f| f.file()) else {
            continue;
        };
        let path = PathBuf::from(path);
        let read = tokio::task::spawn_blocking(move || observe::files::read_value(&path));
        if let Ok(Ok(Some(value))) = tokio::time::timeout(FIRST_READ_WITHIN, read).await {
            tracker.set_file(&name, value);
        }
    }
}

/// How long start-up waits for a track file's first value.
const FIRST_READ_WITHIN: Duration = Duration::from_secs(1);

/// Whether script `name` may run as `run_as` under keepalived's script security (refused:
/// logged, it counts as failing); warns once (`warned`) about scripts run as root without it.
fn allowed(name: &str, argv: &[String], run_as: &RunAs, security: bool, warned: &mut bool) -> bool {
    let Some(program) = argv.first() else {
        return true;
    };
    let unsafe_why = script_user::insecure(std::path::Path::new(program), run_as);
    match (security, unsafe_why) {
        (true, Some(why)) => {
            error!(script = %name, "not run: enable_script_security is set and {why}; it counts as failing");
            return false;
        }
        (false, _) if run_as.uid == 0 && !*warned => {
            warn!(
                "scripts run as root and enable_script_security is not set (keepalived's SECURITY VIOLATION warning)"
            );
            *warned = true;
        }
        _ => {}
    }
    true
}

/// Watchers started so far, to tell a reload's process watcher from the one it replaces.
static PROCESS_WATCHERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Starts the process watcher if an instance tracks a process, and gives `tracker` its first
/// scan.
fn spawn_process_watcher(
    cfg: &Config,
    tracker: &mut Tracker,
    reports: &Reports,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let used = tracker.processes_used();
    if used.is_empty() {
        return Ok(None);
    }
    let defs = used
        .iter()
        .filter_map(|n| cfg.track_processes.get(n).cloned())
        .collect();
    let source = PROCESS_WATCHERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let (task, first) = observe::processes::spawn(
        defs,
        cfg.global.process_monitor_rcv_bufs(),
        source,
        reports.clone(),
    )?;
    tracker.set_process_source(source);
    // The first scan's crossings start no delay: the time does not matter.
    for c in &first {
        tracker.process_crossing(vrrp::Timestamp(0), source, c);
    }
    Ok(Some(task))
}
