//! systemd's notify protocol (`Type=notify`): READY once the instances are started,
//! RELOADING/READY around a reload, STOPPING at shutdown, and the watchdog (`WatchdogSec`)
//! pinged from the event loop itself, so that a stalled loop stops the pings and systemd
//! restarts the daemon. Without `NOTIFY_SOCKET` every call is a no-op.

use sd_notify::NotifyState;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// The service manager, if havipd runs under one.
#[derive(Debug)]
pub struct Systemd {
    /// Half the watchdog time-out: how often to ping.
    ping_every: Option<Duration>,
    next_ping: Option<Instant>,
}

impl Systemd {
    /// Reads `WATCHDOG_USEC`/`WATCHDOG_PID` (the socket is read on each notification).
    pub fn from_env() -> Self {
        let ping_every = watchdog_usec()
            .map(|usec| Duration::from_micros(usec / 2))
            .filter(|d| !d.is_zero());
        Systemd {
            ping_every,
            next_ping: ping_every.map(|d| Instant::now() + d),
        }
    }

    fn send(&self, what: &str, states: &[NotifyState]) {
        match sd_notify::notify(false, states) {
            Ok(()) => debug!(what, "told the service manager"),
            Err(e) => warn!(what, error = %e, "could not notify the service manager"),
        }
    }

    /// The instances are started.
    pub fn ready(&self, instances: usize) {
        let status = format!("{instances} VRRP instance(s) running");
        self.send("ready", &[NotifyState::Ready, NotifyState::Status(&status)]);
    }

    /// A reload starts.
    pub fn reloading(&self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send("reloading", &[NotifyState::Reloading, now]),
            Err(_) => self.send("reloading", &[NotifyState::Reloading]),
        }
    }

    /// Shutting down.
    pub fn stopping(&self) {
        self.send("stopping", &[NotifyState::Stopping]);
    }

    /// When the loop must next ping the watchdog, if it is on.
    pub fn next_ping(&self) -> Option<Instant> {
        self.next_ping
    }

    /// Pings the watchdog and schedules the next ping.
    pub fn ping(&mut self) {
        if let Some(every) = self.ping_every {
            let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
            self.next_ping = Some(Instant::now() + every);
        }
    }
}

/// The watchdog time-out systemd set for this process, in microseconds: `WATCHDOG_USEC`, unless
/// `WATCHDOG_PID` names another process (without it, the time-out is ours, as libsystemd reads
/// it; the supervisor passes its own on to the worker that way).
pub fn watchdog_usec() -> Option<u64> {
    let usec = std::env::var("WATCHDOG_USEC").ok()?.parse::<u64>().ok()?;
    match std::env::var("WATCHDOG_PID") {
        Ok(pid) if pid.parse::<u32>().ok() != Some(std::process::id()) => None,
        _ => Some(usec),
    }
}

/// Sleeps until `at`, or forever.
pub async fn until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
