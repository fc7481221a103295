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
