//! Virtual-or-real monotonic time in microseconds, the router's only notion of a clock.
//!
//! The router never reads a clock: the caller passes `now` with every event. The daemon maps
//! `std::time::Instant` onto [`Timestamp`]; the simulator advances it virtually. Microsecond
//! integers reproduce keepalived's timer arithmetic (`TIMER_HZ` = 1,000,000) exactly.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// A point in time: microseconds since an arbitrary epoch chosen by the driver.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Timestamp(pub u64);

/// A span of time in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Micros(pub u64);

impl Micros {
    /// Zero duration.
    pub const ZERO: Micros = Micros(0);

    /// A whole number of seconds.
    pub const fn from_secs(s: u64) -> Self {
        Micros(s * 1_000_000)
    }

    /// A whole number of milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Micros(ms * 1_000)
    }

    /// True for the zero duration (used for "disabled" settings such as `garp_master_refresh 0`).
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// As a `std::time::Duration`, for drivers running on a real clock.
    pub const fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0)
    }
}

impl fmt::Display for Micros {
    /// Seconds with the fractional digits that matter: `3.609375 s`, `5 s`, `0.01 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, us) = (self.0 / 1_000_000, self.0 % 1_000_000);
        if us == 0 {
            write!(f, "{s} s")
        } else {
            let frac = format!("{us:06}");
            write!(f, "{s}.{} s", frac.trim_end_matches('0'))
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl Add<Micros> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Micros) -> Timestamp {
        Timestamp(self.0.saturating_add(d.0))
    }
}

impl Sub for Timestamp {
    type Output = Micros;
    /// Elapsed time from `rhs` to `self`, zero if `rhs` is later.
    fn sub(self, rhs: Timestamp) -> Micros {
        Micros(self.0.saturating_sub(rhs.0))
    }
}

impl Add for Micros {
    type Output = Micros;
    fn add(self, rhs: Micros) -> Micros {
        Micros(self.0.saturating_add(rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_trims_zeros() {
        assert_eq!(Micros(3_609_375).to_string(), "3.609375 s");
        assert_eq!(Micros(5_000_000).to_string(), "5 s");
        assert_eq!(Micros(10_000).to_string(), "0.01 s");
        assert_eq!(Timestamp(1_500_000).to_string(), "1.500000");
    }
}
