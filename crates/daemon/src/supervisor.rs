//! The process started as havipd. It runs the VRRP work in a worker, a forked child, so that
//! the death of either leaves nothing behind:
//! - killed, even with SIGKILL, it takes the worker with it through the kernel's parent-death
//!   signal (SIGTERM): the worker resigns its masters with priority 0 and removes its
//!   addresses, as keepalived's VRRP child does when its parent dies;
//! - a worker that dies once it was ready is started again (not with `-R`), after a pause that
//!   grows when it keeps dying; the new one removes the addresses the dead one left;
//! - signals sent to it go on to the worker once the worker handles them (they wait until then,
//!   so none kills a worker that is still starting);
//! - the worker's systemd notifications come through it ([`crate::notify_relay`]).
//!
//! The supervisor is one thread without an async runtime: it waits in `poll` on a signalfd
//! (the handled signals and SIGCHLD) and the relay socket. That keeps it small, and lets it
//! fork its worker rather than execute the binary again, so the two share every page neither
//! writes (the program's relocated data, the parsed arguments, the libraries' state).

use crate::notify_relay::Relay;
use crate::pid_file::{LockError, PidFile};
use crate::placement::Placement;
use crate::signal_gate::Held;
use crate::sys::{Forked, SignalSet};
use anyhow::{Context, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};
use tracing::{error, info, warn};

/// A worker that lived this long before dying is restarted at once.
const STEADY: Duration = Duration::from_secs(30);
/// The longest pause before restarting a worker that keeps dying.
const MAX_PAUSE: Duration = Duration::from_secs(5);
/// The state directory's lock, holding the supervisor's pid.
pub const STATE_LOCK: &str = "havipd.pid";

/// What the supervisor needs from the command line.
pub struct Supervision {
    /// `-R`: a dead worker is not restarted; havipd stops.
    pub dont_respawn: bool,
    /// The state directory (the relay socket goes there) and the pid files.
    pub placement: Placement,
}

/// The files that say this havipd runs, each locked: the state directory's lock, `-p` (with
/// the supervisor's pid) and `-r` (the worker writes its pid there). Removed when dropped.
struct Claims {
    _files: Vec<PidFile>,
}

impl Claims {
    /// Claims the state directory and the pid files, refusing if another process holds any.
    fn take(p: &Placement) -> Result<Claims> {
        let pid = std::process::id();
        let lock = p.state_dir.join(STATE_LOCK);
        let mut files = vec![PidFile::lock(&lock, Some(pid), "state directory lock").map_err(
            |e| refusal(e, &lock, || format!(
                "another havipd runs with the state directory {}: it was started with the same -p pid file, or without -p with the same net_namespace and instance (or the same --state-dir); keepalived refuses the same. Give this one another -p, instance or --state-dir",
                p.state_dir.display()
            )),
        )?];
        for (path, what, pid) in [
            (&p.pid_file, "pid file", Some(pid)),
            (&p.vrrp_pid_file, "VRRP pid file", None),
        ] {
            let Some(path) = path else { continue };
            files.push(PidFile::lock(path, pid, what).map_err(|e| {
                refusal(e, path, || format!(
                    "{what} {} is held by a running havipd or keepalived; keepalived refuses to start on a pid file in use, and so does havipd",
                    path.display()
                ))
            })?);
        }
        Ok(Claims { _files: files })
    }
}

/// A lock refusal as an error: `held` says why when another process holds `path`.
fn refusal(e: LockError, path: &std::path::Path, held: impl Fn() -> String) -> anyhow::Error {
    match e {
        LockError::Held(holder) if holder.is_empty() => anyhow::anyhow!("{}", held()),
        LockError::Held(holder) => {
            anyhow::anyhow!("{} ({} says pid {holder})", held(), path.display())
        }
        LockError::Other(e) => e,
    }
}

/// The worker's work, run in the forked child with the signals still held; returns its exit
/// code. It gets the supervisor's pid.
pub type Work<'a> = &'a dyn Fn(Held, u32) -> u8;

/// How a worker ended.
struct Ended {
    status: WaitStatus,
    /// It had said READY.
    was_ready: bool,
    /// It lived long enough to count as steady.
    steady: bool,
}

/// What woke the supervisor.
enum Woken {
    Signal(i32),
    Notification,
    Timeout,
}

/// The supervisor's state between workers.
struct Supervisor<'a> {
    /// The handled signals and SIGCHLD.
    signals: OwnedFd,
    relay: Relay,
    /// Signals waiting for a worker that handles them (each kind once).
    held: BTreeSet<i32>,
    /// Asked to stop (SIGTERM or SIGINT).
    stopping: bool,
    gate: Held,
    work: Work<'a>,
}

/// Runs the supervisor until havipd stops; the exit code is the worker's. `gate` holds the
/// handled signals (since `main`'s first line); they stay held here and are read from a
/// signalfd.
pub fn run(s: Supervision, gate: Held, work: Work<'_>) -> Result<u8> {
    let mut listened = crate::signal_gate::handled().to_vec();
    listened.push(libc::SIGCHLD);
    let listened = SignalSet::of(&listened);
    listened.block().context("holding SIGCHLD")?;
    let signals = listened.signalfd().context("signalfd")?;
    let dir = &s.placement.state_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("state dir {}", dir.display()))?;
    let claims = Claims::take(&s.placement)?;
    info!(state_dir = %dir.display(), "state directory claimed");
    let relay = Relay::bind(dir).context("supervisor socket")?;
    let mut sup = Supervisor {
        signals,
        relay,
        held: BTreeSet::new(),
        stopping: false,
        gate,
        work,
    };
    let code = sup.supervise(s.dont_respawn);
    drop(sup);
    drop(claims);
    code
}

impl Supervisor<'_> {
    fn supervise(&mut self, dont_respawn: bool) -> Result<u8> {
        let mut first = true;
        let mut quick_deaths = 0u32;
        loop {
            let worker = self.spawn_worker()?;
            let ended = self.watch(worker)?;
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
            if !self.pause(pause)? {
                return Ok(0);
            }
        }
    }

    /// Forks a worker. The child never returns here: it runs the work and exits.
    fn spawn_worker(&self) -> Result<Pid> {
        let supervisor = std::process::id();
        let watchdog = crate::systemd::watchdog_usec();
        match crate::sys::fork_single_threaded().context("starting the VRRP worker")? {
            Forked::Parent(pid) => {
                info!(pid = pid.as_raw(), "VRRP worker started");
                Ok(pid)
            }
            Forked::Child => std::process::exit(self.become_worker(supervisor, watchdog)),
        }
    }

    /// In the forked child: its own process group (a terminal's Ctrl-C reaches it once,
    /// through the supervisor), none of the supervisor's descriptors, notifications to the
    /// relay, SIGCHLD back (its scripts), then the work. A panic is a failure, never a return
    /// into the supervisor's loop.
    fn become_worker(&self, supervisor: u32, watchdog: Option<u64>) -> i32 {
        let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
        let _ = nix::unistd::close(self.signals.as_raw_fd());
        let _ = nix::unistd::close(self.relay.as_fd().as_raw_fd());
        crate::sys::set_worker_environment(self.relay.path(), watchdog);
        if let Err(e) = SignalSet::of(&[libc::SIGCHLD]).unblock() {
            error!("cannot receive SIGCHLD: {e}");
            return 1;
        }
        let gate = self.gate;
        let work = self.work;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(gate, supervisor)))
            .map_or(1, i32::from)
    }

    /// Waits for a signal, a notification or `timeout`.
    fn wait(&self, timeout: Option<Duration>) -> Result<Woken> {
        let timeout = match timeout {
            None => PollTimeout::NONE,
            Some(t) => PollTimeout::try_from(t).unwrap_or(PollTimeout::MAX),
        };
        let mut fds = [
            PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.relay.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(0) => return Ok(Woken::Timeout),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => return Ok(Woken::Timeout),
            Err(e) => return Err(e).context("poll"),
        }
        let readable = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        if readable(&fds[0]) {
            let signo = crate::sys::read_signal(&self.signals).context("signalfd")?;
            return Ok(Woken::Signal(signo));
        }
        Ok(if readable(&fds[1]) {
            Woken::Notification
        } else {
            Woken::Timeout
        })
    }

    /// Passes signals and notifications until the worker ends.
    fn watch(&mut self, pid: Pid) -> Result<Ended> {
        let started = Instant::now();
        let mut ready = false;
        loop {
            match self.wait(None)? {
                Woken::Signal(libc::SIGCHLD) => {
                    if let Some(status) = reaped(pid)? {
                        return Ok(Ended {
                            status,
                            was_ready: ready,
                            steady: started.elapsed() >= STEADY,
                        });
                    }
                }
                Woken::Signal(signo) => {
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
                Woken::Notification => {
                    if self.relay.receive().context("supervisor socket")?.ready && !ready {
                        ready = true;
                        for signo in std::mem::take(&mut self.held) {
                            pass_on(pid, signo);
                        }
                    }
                }
                Woken::Timeout => {}
            }
        }
    }

    /// Waits `pause` before a restart; `false` if asked to stop meanwhile.
    fn pause(&mut self, pause: Duration) -> Result<bool> {
        let until = Instant::now() + pause;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(true);
            }
            match self.wait(Some(left))? {
                Woken::Signal(libc::SIGTERM | libc::SIGINT) => return Ok(false),
                Woken::Signal(libc::SIGCHLD) => {}
                Woken::Signal(signo) => {
                    self.held.insert(signo);
                }
                Woken::Notification => {
                    self.relay.receive().context("supervisor socket")?;
                }
                Woken::Timeout => {}
            }
        }
    }
}

/// The worker's status if it has ended (it is reaped then).
fn reaped(pid: Pid) -> Result<Option<WaitStatus>> {
    match waitpid(pid, Some(WaitPidFlag::WNOHANG)).context("waiting for the VRRP worker")? {
        WaitStatus::StillAlive => Ok(None),
        s @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => Ok(Some(s)),
        _ => Ok(None),
    }
}

fn pass_on(pid: Pid, signo: i32) {
    let pid = pid.as_raw().unsigned_abs();
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
fn exit_code(status: WaitStatus) -> u8 {
    match status {
        WaitStatus::Exited(_, code) => u8::try_from(code).unwrap_or(1),
        _ => 1,
    }
}

fn describe(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, c) => format!("exit code {c}"),
        WaitStatus::Signaled(_, s, _) => format!("killed by signal {}", s as i32),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;

    #[test]
    fn restarts_pause_longer_while_the_worker_keeps_dying() {
        let pauses: Vec<u128> = (0..9).map(|n| restart_pause(n).as_millis()).collect();
        assert_eq!(pauses, [0, 0, 100, 200, 400, 800, 1600, 3200, 5000]);
    }

    #[test]
    fn a_worker_killed_by_a_signal_is_a_failure() {
        let pid = Pid::from_raw(7);
        let killed = WaitStatus::Signaled(pid, Signal::SIGKILL, false);
        assert_eq!(exit_code(killed), 1);
        assert_eq!(exit_code(WaitStatus::Exited(pid, 3)), 3);
        assert_eq!(describe(killed), "killed by signal 9");
    }
}
