//! The VRRP daemon on a server: havipd or keepalived, started in the server's namespace with a
//! keepalived.conf, stopped gracefully or killed, and its CPU time and memory read from /proc.

use crate::topology::{Node, Topology};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// This project's daemon.
    Havipd,
    /// Debian's keepalived (2.2.7).
    Keepalived,
    /// keepalived 2.4.3 built from `../shared/vendor` (`scripts/build-keepalived-2.4.sh`).
    #[serde(rename = "keepalived-2.4")]
    Keepalived24,
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "havipd" => Ok(Kind::Havipd),
            "keepalived" => Ok(Kind::Keepalived),
            "keepalived-2.4" => Ok(Kind::Keepalived24),
            _ => Err(format!(
                "unknown daemon `{s}`: havipd, keepalived or keepalived-2.4"
            )),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Havipd => "havipd",
            Kind::Keepalived => "keepalived",
            Kind::Keepalived24 => "keepalived-2.4",
        })
    }
}

/// Where the workspace binary `name` is: `$<env>`, the running program itself, or next to it
/// (or one level up, for test binaries in `target/*/deps`).
pub fn binary_path(name: &str, env: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    if exe.file_name().is_some_and(|n| n == name) {
        return Ok(exe);
    }
    for dir in exe.ancestors().skip(1).take(2) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "{name} not found next to {}: build it (`cargo build --release --workspace`) or set {env}",
        exe.display()
    )
}

/// Where havipd is (`$HAVIPD` or next to the running program).
pub fn havipd_path() -> Result<PathBuf> {
    binary_path("havipd", "HAVIPD")
}

/// Where keepalived 2.4.3 is: `$HAVIP_KEEPALIVED_24`, or `keepalived-2.4.3/sbin/keepalived`
/// in the cargo target directory above the running program.
pub fn keepalived_24_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("HAVIP_KEEPALIVED_24") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    for dir in exe.ancestors().skip(1).take(3) {
        let candidate = dir.join("keepalived-2.4.3/sbin/keepalived");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "keepalived 2.4.3 is not built: run scripts/build-keepalived-2.4.sh (or set HAVIP_KEEPALIVED_24)"
    )
}

/// A daemon running on a server.
#[derive(Debug)]
pub struct Running {
    /// Which daemon.
    pub kind: Kind,
    /// On which server.
    pub node: Node,
    /// havipd's state directory (transition log).
    pub state_dir: PathBuf,
    /// Its log file.
    pub log: PathBuf,
    child: Child,
    detached: bool,
}

/// Starts `kind` on `node` with `config` (keepalived gets no-break spaces made plain).
pub fn start(kind: Kind, topo: &Topology, node: &Node, config: &str) -> Result<Running> {
    start_with(kind, topo, node, config, &[])
}

/// As [`start`], with extra flags for havipd (ignored for keepalived, which has no such
/// opt-ins).
pub fn start_with(
    kind: Kind,
    topo: &Topology,
    node: &Node,
    config: &str,
    havipd_args: &[String],
) -> Result<Running> {
    start_env(kind, topo, node, config, havipd_args, &[])
}

/// As [`start_with`], with variables added to the daemon's environment (the bench's D-Bus
/// system bus).
pub fn start_env(
    kind: Kind,
    topo: &Topology,
    node: &Node,
    config: &str,
    havipd_args: &[String],
    env: &[(String, String)],
) -> Result<Running> {
    let tag = format!("{}-{}", node.name, kind);
    let conf = topo.dir.join(format!("{tag}.conf"));
    let text = match kind {
        Kind::Havipd => config.to_string(),
        Kind::Keepalived | Kind::Keepalived24 => crate::seeds::for_keepalived(config),
    };
    std::fs::write(&conf, text).with_context(|| format!("writing {}", conf.display()))?;
    let state_dir = topo.dir.join(format!("{tag}-state"));
    let log = topo.dir.join(format!("{tag}.log"));
    let out = std::fs::File::create(&log)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &node.ns]);
    match kind {
        Kind::Havipd => {
            cmd.arg(havipd_path()?)
                .args(["-n", "-l", "-f"])
                .arg(&conf)
                .arg("--state-dir")
                .arg(&state_dir)
                .args(havipd_args);
        }
        Kind::Keepalived | Kind::Keepalived24 => {
            // Debian's build has the load balancer too: -P runs the VRRP half only.
            match kind {
                Kind::Keepalived24 => cmd.arg(keepalived_24_path()?),
                _ => cmd.args(["keepalived", "-P"]),
            };
            // A crashed keepalived's pid files name processes that may linger as zombies
            // here (no init reaps them), and keepalived then refuses to start ("daemon is
            // already running"); a restarted server starts with none, as after a boot.
            // Its BFD process (run when the config has a bfd_instance) has one too.
            let (pid, vrrp_pid, bfd_pid) = (
                topo.dir.join(format!("{tag}.pid")),
                topo.dir.join(format!("{tag}.vrrp.pid")),
                topo.dir.join(format!("{tag}.bfd.pid")),
            );
            for p in [&pid, &vrrp_pid, &bfd_pid] {
                let _ = std::fs::remove_file(p);
            }
            cmd.args(["-n", "-l", "-f"])
                .arg(&conf)
                .arg("-p")
                .arg(pid)
                .arg("-r")
                .arg(vrrp_pid);
            // The 2.4.3 test build has no BFD (`-b` is an unknown option there).
            if kind == Kind::Keepalived {
                cmd.arg("-b").arg(bfd_pid);
            }
        }
    }
    let child = cmd
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {kind} on {}", node.name))?;
    Ok(Running {
        kind,
        node: node.clone(),
        state_dir,
        log,
        child,
        detached: false,
    })
}

impl Running {
    /// The daemon's processes: the one started, and its children (keepalived's VRRP child).
    pub fn pids(&self) -> Vec<u32> {
        let root = self.child.id();
        let mut out = vec![root];
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                if stat_fields(pid).and_then(|f| f.get(1).and_then(|p| p.parse::<u32>().ok()))
                    == Some(root)
                {
                    out.push(pid);
                }
            }
        }
        out
    }

    /// CPU time used so far by all its processes and threads, in seconds: the scheduler's
    /// nanosecond run time (`/proc/PID/task/TID/schedstat`), not the 10 ms ticks of `stat`.
    pub fn cpu_seconds(&self) -> f64 {
        let mut ns: u64 = 0;
        for pid in self.pids() {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for t in tasks.flatten() {
                ns += std::fs::read_to_string(t.path().join("schedstat"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        ns as f64 / 1e9
    }

    /// Memory of all its processes, in KiB: the sum of their proportional set sizes (PSS), so
    /// pages its processes share (keepalived's parent and VRRP child, havipd's supervisor and
    /// worker) count once, not once per process as resident sizes would.
    pub fn pss_kib(&self) -> u64 {
        self.pids()
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
            .filter_map(|s| {
                s.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .sum()
    }

    /// Sends a signal (`TERM`, `KILL`, `HUP`, ...).
    pub fn signal(&self, sig: &str) -> Result<()> {
        let pid = self.child.id().to_string();
        crate::shell::run(&["kill", &format!("-{sig}"), &pid])?;
        Ok(())
    }

    /// Waits up to `within` for the daemon to exit; kills it if it does not.
    pub fn wait_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }

    /// The daemon's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Running {
    /// Leaves the daemon running after this value is gone (`havip lab up`).
    pub fn detach(mut self) {
        self.detached = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.detached && self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The fields of /proc/PID/stat after the command name.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}
