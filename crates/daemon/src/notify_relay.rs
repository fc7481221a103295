//! The supervisor's end of systemd's notify protocol: the worker's `NOTIFY_SOCKET` is a
//! datagram socket of the supervisor's (`supervisor.sock` in the state directory, mode 0600),
//! which passes the worker's notifications on to systemd as the main pid, and learns from
//! `READY=1` that the worker is listening for signals. Only the protocol's state keys are
//! passed on; anything else (a `MAINPID=` say) is dropped.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

/// The keys a worker may tell systemd.
const PASSED_ON: [&str; 7] = [
    "READY",
    "RELOADING",
    "STOPPING",
    "STATUS",
    "WATCHDOG",
    "MONOTONIC_USEC",
    "ERRNO",
];

/// Largest notification read; longer ones are cut there (and their last line dropped).
const MAX_NOTIFICATION: usize = 4096;

/// The relay socket.
pub struct Relay {
    sock: UnixDatagram,
    path: PathBuf,
}

/// What a notification said that the supervisor acts on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Heard {
    /// `READY=1`: the worker's instances run and it handles signals.
    pub ready: bool,
}

impl Relay {
    /// Binds `supervisor.sock` in `dir` (a stale one is replaced), readable by root only.
    pub fn bind(dir: &Path) -> io::Result<Relay> {
        let path = dir.join("supervisor.sock");
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let sock = UnixDatagram::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Relay { sock, path })
    }

    /// The socket's path, for the worker's `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next notification (waiting for it) and passes it on.
    pub fn receive(&self) -> io::Result<Heard> {
        let mut buf = vec![0u8; MAX_NOTIFICATION];
        let n = self.sock.recv(&mut buf)?;
        let text = String::from_utf8_lossy(&buf[..n]);
        let lines = passed_on(&text, n == MAX_NOTIFICATION);
        if !lines.is_empty() {
            let states: Vec<_> = lines
                .iter()
                .map(|l| sd_notify::NotifyState::Custom(l))
                .collect();
            if let Err(e) = sd_notify::notify(false, &states) {
                warn!(error = %e, "could not pass a notification on to the service manager");
            }
        }
        debug!(?lines, "worker notification");
        Ok(Heard {
            ready: lines.contains(&"READY=1"),
        })
    }
}

impl AsFd for Relay {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lines of `text` that are one of the protocol's state keys; the last line is dropped if
/// the datagram was cut.
fn passed_on(text: &str, cut: bool) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    if cut {
        lines.pop();
    }
    lines
        .into_iter()
        .filter(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| PASSED_ON.contains(&k))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::passed_on;

    #[test]
    fn only_state_keys_pass() {
        let text = "READY=1\nSTATUS=2 VRRP instance(s) running\nMAINPID=1\nWATCHDOG=1\nnonsense";
        assert_eq!(
            passed_on(text, false),
            ["READY=1", "STATUS=2 VRRP instance(s) running", "WATCHDOG=1"]
        );
    }

    #[test]
    fn a_cut_datagram_loses_its_last_line() {
        assert_eq!(passed_on("READY=1\nSTATUS=abc", true), ["READY=1"]);
    }
}
