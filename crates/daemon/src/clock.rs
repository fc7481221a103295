//! The daemon's mapping between the real monotonic clock and the router's `Timestamp`s.

use std::time::{Duration, Instant};
use vrrp::Timestamp;

/// Microseconds since the daemon started.
#[derive(Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Self {
        Clock {
            start: Instant::now(),
        }
    }

    /// Now, as a router timestamp.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.start.elapsed().as_micros() as u64)
    }

    /// A router timestamp as an instant.
    pub fn instant(&self, t: Timestamp) -> Instant {
        self.start + Duration::from_micros(t.0)
    }
}

/// The time since the machine booted (`/proc/uptime`), zero if it cannot be read.
pub fn since_boot() -> vrrp::Micros {
    let secs = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    vrrp::Micros((secs * 1e6) as u64)
}
