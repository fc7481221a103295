//! `vrrp_track_process`: counts the matching processes from the kernel's process events (see
//! [`super::proc_connector`]), after a scan of /proc at start and after each reload, and tells
//! the loop when a count enters or leaves its quorum.
//!
//! The watcher is a thread of its own at normal priority, off the VRRP loop: a fork storm costs
//! this thread its time, not the loop. Per event its work is bounded: a fork or an exit is a
//! lookup in the table of counted pids; an exec reads at most /proc/PID/comm and the first
//! bytes of /proc/PID/cmdline (no more than the longest tracked command line needs). The loop
//! hears only of quorum crossings. If the kernel drops events (its buffer full), the receive
//! buffer is doubled and /proc is scanned again a second later, as keepalived does. Without the
//! proc connector (no CONFIG_PROC_EVENTS), /proc is scanned every second instead.

use super::proc_connector::{Connector, ProcEvent, Received};
use super::{Observation, Reports};
use conf::model::TrackProcess;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use node::tracking::processes::{Crossing, ProcessTable, Seen};
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Events handled before the thread looks at its stop signal again.
const BUDGET: usize = 256;
/// How long after lost events /proc is scanned again (keepalived: one second).
const RESCAN_AFTER: Duration = Duration::from_secs(1);
/// How long the loop waits for the first scan.
const FIRST_SCAN: Duration = Duration::from_secs(5);

/// Reads what `table` needs of process `pid` from /proc (`None`: it is gone).
fn read_process(pid: i32, table: &ProcessTable) -> Option<(Option<String>, Option<Vec<u8>>)> {
    let comm = if table.needs_comm() {
        let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        Some(text.trim_end_matches('\n').to_string())
    } else {
        None
    };
    let limit = table.cmdline_bytes();
    let cmdline = if limit > 0 {
        let mut buf = Vec::with_capacity(limit);
        std::fs::File::open(format!("/proc/{pid}/cmdline"))
            .ok()?
            .take(limit as u64)
            .read_to_end(&mut buf)
            .ok()?;
        Some(buf)
    } else {
        None
    };
    Some((comm, cmdline))
}

/// A scan of /proc: every process's name (zombies left out) and command line as needed.
fn scan(table: &ProcessTable) -> Vec<(i32, Option<String>, Option<Vec<u8>>)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if table.needs_comm() {
            // /proc/PID/stat: "pid (comm) state ...": a zombie has no command to count.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            if stat[close + 1..].trim_start().starts_with('Z') {
                continue;
            }
            let comm = stat[open + 1..close].to_string();
            let cmdline = read_process(pid, table).and_then(|(_, c)| c);
            out.push((pid, Some(comm), cmdline));
        } else if let Some((_, cmdline)) = read_process(pid, table) {
            out.push((pid, None, cmdline));
        }
    }
    out
}

fn scan_into(table: &mut ProcessTable, first: bool) -> Vec<Crossing> {
    let found = scan(table);
    table.scan(
        found.iter().map(|(pid, comm, cmdline)| {
            (
                *pid,
                Seen {
                    comm: comm.as_deref(),
                    cmdline: cmdline.as_deref(),
                },
            )
        }),
        first,
    )
}

/// What one event changes.
fn handle(table: &mut ProcessTable, event: ProcEvent) -> Vec<Crossing> {
    match event {
        // Threads are not processes.
        ProcEvent::Fork {
            parent_tgid,
            child_pid,
            child_tgid,
        } if child_pid == child_tgid => table.fork(parent_tgid, child_tgid),
        ProcEvent::Exec { pid, tgid } if pid == tgid => match read_process(pid, table) {
            Some((comm, cmdline)) => table.exec(
                pid,
                Seen {
                    comm: comm.as_deref(),
                    cmdline: cmdline.as_deref(),
                },
            ),
            None => Vec::new(),
        },
        ProcEvent::Comm { pid, tgid, comm } if pid == tgid && table.needs_comm() => {
            table.rename(pid, &comm)
        }
        ProcEvent::Exit { pid, tgid } if pid == tgid => table.exit(pid),
        _ => Vec::new(),
    }
}

/// The watcher's thread.
struct Watch {
    table: ProcessTable,
    connector: Option<Connector>,
    rcvbuf_force: bool,
    source: u64,
    reports: Reports,
    stop: UnixStream,
}

impl Watch {
    /// Reports crossings to the loop; `false` when the loop is gone.
    fn report(&self, crossings: Vec<Crossing>) -> bool {
        crossings.into_iter().all(|crossing| {
            info!(process = %crossing.name, in_quorum = crossing.in_quorum, cause = ?crossing.cause, "tracked process count crossed its quorum");
            self.reports
                .send(Observation::Tracked(node::Observation::Process {
                    source: self.source,
                    crossing,
                }))
                .is_ok()
        })
    }

    /// Waits for events, the stop signal or the next rescan; `false` to stop.
    fn wait(&self, until: Option<Instant>) -> bool {
        let timeout = until.map_or(PollTimeout::NONE, |t| {
            let ms = t.saturating_duration_since(Instant::now()).as_millis();
            PollTimeout::try_from(ms.min(60_000) as i32).unwrap_or(PollTimeout::NONE)
        });
        let mut fds = vec![PollFd::new(self.stop.as_fd(), PollFlags::POLLIN)];
        if let Some(c) = &self.connector {
            fds.push(PollFd::new(c.fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => fds[0].revents().is_none_or(|r| r.is_empty()),
            Err(e) => {
                warn!(error = %e, "process watcher: poll failed");
                false
            }
        }
    }

    /// Reads queued events, at most [`BUDGET`]; `Some(true)` if events were lost.
    fn drain(&mut self, buf: &mut [u8]) -> Option<bool> {
        let c = self.connector.as_ref()?;
        for _ in 0..BUDGET {
            match c.receive(buf) {
                Ok(Received::Event(e)) => {
                    let crossings = handle(&mut self.table, e);
                    if !self.report(crossings) {
                        return None;
                    }
                }
                Ok(Received::Empty) => return Some(false),
                Ok(Received::Lost) => {
                    let size = c.rcvbuf().unwrap_or(212_992) * 2;
                    warn!(
                        size,
                        "process events were lost: receive buffer doubled, /proc scanned again in 1 s (set process_monitor_rcv_bufs)"
                    );
                    if let Err(e) = c.set_rcvbuf(size, self.rcvbuf_force) {
                        warn!(error = %e, "process watcher: receive buffer not set");
                    }
                    return Some(true);
                }
                Err(e) => {
                    warn!(error = %e, "process watcher: receive error");
                    return Some(false);
                }
            }
        }
        Some(false)
    }

    fn run(mut self) {
        let mut buf = vec![0u8; 1024];
        let poll_every = self.connector.is_none().then_some(RESCAN_AFTER);
        let mut rescan_at = poll_every.map(|d| Instant::now() + d);
        loop {
            if !self.wait(rescan_at) {
                return;
            }
            if rescan_at.is_some_and(|t| t <= Instant::now()) {
                rescan_at = poll_every.map(|d| Instant::now() + d);
                let crossings = scan_into(&mut self.table, false);
                if !self.report(crossings) {
                    return;
                }
            }
            match self.drain(&mut buf) {
                None if self.connector.is_some() => return,
                Some(true) => rescan_at = Some(Instant::now() + RESCAN_AFTER),
                _ => {}
            }
        }
    }
}

/// A running watcher: its thread stops when this is dropped (the task holding it aborted).
struct StopOnDrop(#[allow(dead_code)] UnixStream);

/// Starts watching `defs` (the processes some instance tracks) for the tracker whose process
/// source is `source`. Returns the task that stands for the watcher (aborting it stops the
/// thread) and the crossings of the first scan, for the tracker before instances start.
pub fn spawn(
    defs: Vec<TrackProcess>,
    rcvbuf: Option<(u32, bool)>,
    source: u64,
    reports: Reports,
) -> anyhow::Result<(tokio::task::JoinHandle<()>, Vec<Crossing>)> {
    let (stop_here, stop_there) = UnixStream::pair()?;
    let (first_tx, first_rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("havipd-procs".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            if let Err(e) = crate::sys::schedule_this_thread_normally() {
                warn!(error = %e, "process watcher: not scheduled as a normal task");
            }
            let connector = match Connector::open(rcvbuf) {
                Ok(c) => Some(c),
                Err(e) => {
                    warn!(error = %e, "no process events (proc connector): /proc is scanned every second instead");
                    None
                }
            };
            let mut table = ProcessTable::new(defs);
            let first = scan_into(&mut table, true);
            info!(running = ?table.counts(), events = connector.is_some(), "tracked processes found");
            if first_tx.send(first).is_err() {
                return;
            }
            Watch {
                table,
                connector,
                rcvbuf_force: rcvbuf.is_some_and(|(_, f)| f),
                source,
                reports,
                stop: stop_there,
            }
            .run();
        })?;
    let first = first_rx.recv_timeout(FIRST_SCAN).unwrap_or_else(|_| {
        warn!("the first scan of /proc did not finish in time: tracked processes start as running");
        Vec::new()
    });
    let guard = StopOnDrop(stop_here);
    let task = tokio::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    Ok((task, first))
}
