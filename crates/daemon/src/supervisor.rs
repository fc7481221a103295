//! The process started as havipd. It runs the VRRP work in a worker process (this binary again,
//! with the hidden `--worker-of PID`) so that the death of either leaves nothing behind:
//! - killed, even with SIGKILL, it takes the worker with it through the kernel's parent-death
//!   signal (SIGTERM): the worker resigns its masters with priority 0 and removes its
//!   addresses, as keepalived's VRRP child does when its parent dies;
//! - a worker that dies once it was ready is started again (not with `-R`), after a pause that
//!   grows when it keeps dying; the new one removes the addresses the dead one left;
//! - signals sent to it go on to the worker once the worker handles them (they wait until then,
//!   so none kills a worker that is still starting);
//! - the worker's systemd notifications come through it ([`crate::notify_relay`]).

use crate::notify_relay::Relay;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

/// A worker that lived this long before dying is restarted at once.
const STEADY: Duration = Duration::from_secs(30);
/// The longest pause before restarting a worker that keeps dying.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// What the supervisor needs from the command line.
pub struct Supervision {
    /// `-R`: a dead worker is not restarted; havipd stops.
    pub dont_respawn: bool,
    /// Where the relay socket goes.
    pub state_dir: PathBuf,
    /// `-p`: the supervisor's pid file.
    pub pid_file: Option<PathBuf>,
}

/// Signals passed on to the worker: stop, reload and the dumps.
fn forwarded() -> [i32; 6] {
    [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        crate::signum::json(),
    ]
}

/// Listens for the forwarded signals: one task per signal feeding one channel. Installed before
/// anything else, so that none of them can kill the supervisor while it starts.
pub fn listen_for_signals() -> Result<mpsc::UnboundedReceiver<i32>> {
    let (tx, rx) = mpsc::unbounded_channel();
    for signo in forwarded() {
        let mut stream = signal(SignalKind::from_raw(signo))
            .with_context(|| format!("listening for signal {signo}"))?;
        let tx = tx.clone();
        tokio::spawn(
            async move { while stream.recv().await.is_some() && tx.send(signo).is_ok() {} },
        );
    }
    Ok(rx)
}

/// How a worker ended.
struct Ended {
    status: ExitStatus,
    /// It had said READY.
    was_ready: bool,
    /// It lived long enough to count as steady.
    steady: bool,
}

/// The supervisor's state between workers.
struct Supervisor {
    signals: mpsc::UnboundedReceiver<i32>,
    relay: Relay,
    /// Signals waiting for a worker that handles them (each kind once).
    held: BTreeSet<i32>,
    /// Asked to stop (SIGTERM or SIGINT).
    stopping: bool,
}

/// Runs the supervisor until havipd stops; the exit code is the worker's.
pub async fn run(s: Supervision, signals: mpsc::UnboundedReceiver<i32>) -> Result<u8> {
    std::fs::create_dir_all(&s.state_dir)
        .with_context(|| format!("state dir {}", s.state_dir.display()))?;
    let relay = Relay::bind(&s.state_dir).context("supervisor socket")?;
    if let Some(p) = &s.pid_file {
        std::fs::write(p, std::process::id().to_string())
            .with_context(|| format!("pid file {}", p.display()))?;
    }
    let mut sup = Supervisor {
        signals,
        relay,
        held: BTreeSet::new(),
        stopping: false,
    };
    let code = sup.supervise(s.dont_respawn).await;
    if let Some(p) = &s.pid_file {
        let _ = std::fs::remove_file(p);
    }
    code
}

impl Supervisor {
    async fn supervise(&mut self, dont_respawn: bool) -> Result<u8> {
        let mut first = true;
        let mut quick_deaths = 0u32;
        loop {
            let mut worker = self.spawn_worker()?;
            let ended = self.watch(&mut worker).await?;
            let code = exit_code(ended.status);
            if self.stopping || (first && !ended.was_ready) {
                return Ok(code);
            }
            first = false;
            error!(status = %describe(ended.status), "the VRRP worker died");
            if dont_respawn {
                error!("not restarting it (-R); havipd stops");
                return Ok(1);
            }
            quick_deaths = if ended.steady { 0 } else { quick_deaths + 1 };
            let pause = restart_pause(quick_deaths);
            info!(
                after_ms = pause.as_millis() as u64,
                "restarting the VRRP worker"
            );
            if !self.pause(pause).await {
                return Ok(0);
            }
        }
    }

    /// Starts a worker: this program with the same arguments, `--worker-of` our pid, its
    /// notifications to the relay, in its own process group (a terminal's Ctrl-C reaches it
    /// once, through us).
    fn spawn_worker(&self) -> Result<Child> {
        let mut cmd = Command::new("/proc/self/exe");
        cmd.arg0("havipd")
            .args(std::env::args_os().skip(1))
            .arg("--worker-of")
            .arg(std::process::id().to_string())
            .env("NOTIFY_SOCKET", self.relay.path())
            .env_remove("WATCHDOG_PID")
            .process_group(0)
            .kill_on_drop(false);
        match crate::systemd::watchdog_usec() {
            Some(usec) => cmd.env("WATCHDOG_USEC", usec.to_string()),
            None => cmd.env_remove("WATCHDOG_USEC"),
        };
        let child = cmd.spawn().context("starting the VRRP worker")?;
        info!(pid = child.id(), "VRRP worker started");
        Ok(child)
    }

    /// Passes signals and notifications until the worker ends.
    async fn watch(&mut self, worker: &mut Child) -> Result<Ended> {
        let started = tokio::time::Instant::now();
        let pid = worker.id().context("the worker has no pid")?;
        let mut ready = false;
        loop {
            tokio::select! {
                status = worker.wait() => {
                    return Ok(Ended {
                        status: status.context("waiting for the VRRP worker")?,
                        was_ready: ready,
                        steady: started.elapsed() >= STEADY,
                    });
                }
                Some(signo) = self.signals.recv() => {
                    let stop = signo == libc::SIGTERM || signo == libc::SIGINT;
                    self.stopping |= stop;
                    // A stop goes at once: a worker that handles it stops, one that does not
                    // yet has started nothing.
                    if ready || stop {
                        pass_on(pid, signo);
                    } else {
                        self.held.insert(signo);
                    }
                }
                heard = self.relay.next() => {
                    if heard.context("supervisor socket")?.ready && !ready {
                        ready = true;
                        for signo in std::mem::take(&mut self.held) {
                            pass_on(pid, signo);
                        }
                    }
                }
            }
        }
    }

    /// Waits `pause` before a restart; `false` if asked to stop meanwhile.
    async fn pause(&mut self, pause: Duration) -> bool {
        let sleep = tokio::time::sleep(pause);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return true,
                Some(signo) = self.signals.recv() => {
                    if signo == libc::SIGTERM || signo == libc::SIGINT {
                        return false;
                    }
                    self.held.insert(signo);
                }
            }
        }
    }
}

fn pass_on(pid: u32, signo: i32) {
    if let Err(e) = crate::sys::send_signal(pid, signo) {
        warn!(signal = signo, pid, error = %e, "could not pass a signal on to the VRRP worker");
    }
}

/// The pause before the `quick_deaths`-th restart in a row of a worker that died young: none
/// for the first, then 100 ms doubling up to [`MAX_PAUSE`].
fn restart_pause(quick_deaths: u32) -> Duration {
    match quick_deaths {
        0 | 1 => Duration::ZERO,
        n => (Duration::from_millis(100) * 2u32.saturating_pow(n - 2)).min(MAX_PAUSE),
    }
}

/// The worker's exit code as havipd's: a signal's death is a failure.
fn exit_code(status: ExitStatus) -> u8 {
    status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1)
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_pause_longer_while_the_worker_keeps_dying() {
        let pauses: Vec<u128> = (0..9).map(|n| restart_pause(n).as_millis()).collect();
        assert_eq!(pauses, [0, 0, 100, 200, 400, 800, 1600, 3200, 5000]);
    }

    #[test]
    fn a_worker_killed_by_a_signal_is_a_failure() {
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 1);
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(describe(ExitStatus::from_raw(9)), "killed by signal 9");
    }
}
