//! The cloud's request limits: at most 20 requests a second per action and SecretId (beyond
//! that `RequestLimitExceeded`), and bodies up to 10 MB (beyond that
//! `RequestSizeLimitExceeded`). Pure: the clock is passed in.

use crate::error::ApiError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Requests a second one SecretId may make of one action.
pub const REQUESTS_PER_SECOND: u32 = 20;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

const WINDOW: Duration = Duration::from_secs(1);

/// Counts requests per (SecretId, action) in one-second windows. Its size is bounded by the
/// keys the server holds times the actions it answers: callers count only authenticated
/// SecretIds and known actions.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<(String, &'static str), (Instant, u32)>,
}

impl RateLimiter {
    /// Admits or refuses one request of `action` by `secret_id` at `now`, `limit` a second
    /// (0: no limit).
    pub fn admit(
        &mut self,
        secret_id: &str,
        action: &'static str,
        limit: u32,
        now: Instant,
    ) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let (start, count) = self
            .windows
            .entry((secret_id.to_string(), action))
            .or_insert((now, 0));
        if now.saturating_duration_since(*start) >= WINDOW {
            (*start, *count) = (now, 0);
        }
        if *count >= limit {
            return Err(ApiError::new(
                "RequestLimitExceeded",
                format!(
                    "{secret_id} made more than {limit} {action} requests in one second; retry later"
                ),
            ));
        }
        *count += 1;
        Ok(())
    }
}

/// The error for a body over [`MAX_BODY_BYTES`].
pub fn body_too_large() -> ApiError {
    ApiError::new(
        "RequestSizeLimitExceeded",
        format!(
            "the request body is over {MAX_BODY_BYTES} bytes (10 MB), the most a request may carry"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_a_second_per_action_and_key_then_refused_until_the_next_second() {
        let mut l = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..REQUESTS_PER_SECOND {
            let at = t0 + Duration::from_millis(u64::from(i) * 10);
            assert!(
                l.admit("AKID1", "DescribeHaVips", REQUESTS_PER_SECOND, at)
                    .is_ok(),
                "request {i}"
            );
        }
        let over = l
            .admit(
                "AKID1",
                "DescribeHaVips",
                REQUESTS_PER_SECOND,
                t0 + Duration::from_millis(900),
            )
            .expect_err("21st in the second");
        assert_eq!(over.code, "RequestLimitExceeded");
        assert!(over.message.contains("DescribeHaVips"), "{}", over.message);
        // Another action and another key have budgets of their own.
        assert!(
            l.admit("AKID1", "CreateHaVip", REQUESTS_PER_SECOND, t0)
                .is_ok()
        );
        assert!(
            l.admit("AKID2", "DescribeHaVips", REQUESTS_PER_SECOND, t0)
                .is_ok()
        );
        // A new second, a new budget.
        assert!(
            l.admit("AKID1", "DescribeHaVips", REQUESTS_PER_SECOND, t0 + WINDOW)
                .is_ok()
        );
    }

    #[test]
    fn a_clock_that_steps_back_does_not_reopen_the_budget() {
        let mut l = RateLimiter::default();
        let t0 = Instant::now() + Duration::from_secs(5);
        for _ in 0..REQUESTS_PER_SECOND {
            l.admit("AKID1", "DescribeVpcs", REQUESTS_PER_SECOND, t0)
                .expect("within budget");
        }
        let earlier = t0 - Duration::from_secs(3);
        assert!(
            l.admit("AKID1", "DescribeVpcs", REQUESTS_PER_SECOND, earlier)
                .is_err()
        );
        // No limit at all when the server was told so.
        assert!(l.admit("AKID1", "DescribeVpcs", 0, earlier).is_ok());
    }
}
