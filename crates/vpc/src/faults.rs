//! The cloud's bad days, switchable per run (`havip vpc serve --fault-*`, or `POST
//! /internal/faults` with the internal secret): a share of signed API calls throttled
//! (`RequestLimitExceeded`) or failed (`InternalError`, nothing done), latency added to every
//! call, and an eventually consistent Describe that shows the state as it was up to N ms
//! before (so the old owner of a moved address, for N ms after the move).

use crate::cloud::Cloud;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most latency that may be added to a call.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// The longest Describe may lag behind the writes.
pub const MAX_STALE_MS: u64 = 600_000;
/// The states kept for a lagging Describe (the oldest are forgotten first, so under more
/// writes than this within the lag Describe catches up sooner).
pub const STALE_STATES_KEPT: usize = 1_024;

/// Which faults are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Faults {
    /// Percent of signed calls answered `RequestLimitExceeded` (0-100).
    #[serde(default)]
    pub throttle_percent: u8,
    /// Percent of signed calls answered `InternalError` without being run (0-100).
    #[serde(default)]
    pub fail_percent: u8,
    /// Milliseconds added before each signed call runs.
    #[serde(default)]
    pub latency_ms: u64,
    /// How long, in ms, Describe* keeps showing the state from before a write.
    #[serde(default)]
    pub stale_describe_ms: u64,
}

impl Faults {
    /// Checks the bounds, naming the field that is out of them.
    pub fn check(&self) -> Result<(), String> {
        if self.throttle_percent > 100 {
            return Err(format!(
                "ThrottlePercent = {}: 0-100",
                self.throttle_percent
            ));
        }
        if self.fail_percent > 100 {
            return Err(format!("FailPercent = {}: 0-100", self.fail_percent));
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(format!(
                "LatencyMs = {}: at most {MAX_LATENCY_MS}",
                self.latency_ms
            ));
        }
        if self.stale_describe_ms > MAX_STALE_MS {
            return Err(format!(
                "StaleDescribeMs = {}: at most {MAX_STALE_MS}",
                self.stale_describe_ms
            ));
        }
        Ok(())
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    /// Whether this call is throttled or failed (drawn at random by the shares).
    pub fn refuse(&self) -> Result<(), ApiError> {
        if roll(self.throttle_percent) {
            return Err(ApiError::new(
                "RequestLimitExceeded",
                "the request rate limit was exceeded (a fault switched on for this run)",
            ));
        }
        if roll(self.fail_percent) {
            return Err(ApiError::new(
                "InternalError",
                "an internal error occurred; nothing was done (a fault switched on for this run)",
            ));
        }
        Ok(())
    }
}

fn roll(percent: u8) -> bool {
    percent > 0 && rand::random::<u8>() % 100 < percent
}

/// The states before recent writes, for a lagging Describe.
#[derive(Default)]
pub struct Lag {
    before: VecDeque<(Instant, Arc<Cloud>)>,
}

impl Lag {
    /// Remembers the state `before` a write made at `now`.
    pub fn record(&mut self, now: Instant, before: &Cloud, lag: Duration) {
        self.forget(now, lag);
        self.before.push_back((now, Arc::new(before.clone())));
        if self.before.len() > STALE_STATES_KEPT {
            self.before.pop_front();
        }
    }

    /// The state a Describe at `now` shows: that before the oldest write within `lag`, if
    /// any (else the current one: `None`).
    pub fn seen(&mut self, now: Instant, lag: Duration) -> Option<Arc<Cloud>> {
        self.forget(now, lag);
        self.before.front().map(|(_, c)| c.clone())
    }

    fn forget(&mut self, now: Instant, lag: Duration) {
        while self
            .before
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= lag)
        {
            self.before.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lagging_describe_shows_the_state_before_the_oldest_write_within_the_lag() {
        let lag = Duration::from_millis(100);
        let t0 = Instant::now();
        let mut l = Lag::default();
        let mut first = Cloud::default();
        first.quotas.havips_per_eni = 1;
        let mut second = Cloud::default();
        second.quotas.havips_per_eni = 2;
        l.record(t0, &first, lag);
        l.record(t0 + Duration::from_millis(50), &second, lag);
        let seen = |l: &mut Lag, ms| l.seen(t0 + Duration::from_millis(ms), lag);
        assert_eq!(seen(&mut l, 10).map(|c| c.quotas.havips_per_eni), Some(1));
        assert_eq!(seen(&mut l, 120).map(|c| c.quotas.havips_per_eni), Some(2));
        assert!(seen(&mut l, 151).is_none(), "caught up");
    }

    #[test]
    fn bounds_are_named_and_shares_hold() {
        let bad = Faults {
            throttle_percent: 101,
            ..Faults::default()
        };
        assert!(bad.check().expect_err("101%").contains("ThrottlePercent"));
        let all = Faults {
            throttle_percent: 100,
            ..Faults::default()
        };
        assert_eq!(
            all.refuse().expect_err("throttled").code,
            "RequestLimitExceeded"
        );
        let none = Faults::default();
        assert!((0..1000).all(|_| none.refuse().is_ok()));
        let fail = Faults {
            fail_percent: 100,
            ..Faults::default()
        };
        assert_eq!(fail.refuse().expect_err("failed").code, "InternalError");
    }
}
