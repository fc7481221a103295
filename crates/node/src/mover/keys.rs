//! Temporary keys (a role's, from the instance metadata service: Tencent's CAM role, EC2's
//! instance profile): whether the keys in hand may still sign or must be fetched again.

/// How long before their expiry temporary keys are fetched again, in seconds. EC2 serves the
/// next keys at least five minutes before the old ones expire, Tencent's CAM role likewise
/// ahead of time: a minute leaves room for a slow call without ever signing with a key the
/// cloud has dropped.
pub const REFRESH_BEFORE_S: i64 = 60;

/// Whether keys that expire at `expires` (Unix seconds) may still sign at `now`.
pub fn fresh(expires: i64, now: i64) -> bool {
    expires.saturating_sub(REFRESH_BEFORE_S) > now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fetched_again_a_minute_before_they_expire() {
        assert!(fresh(1_000, 1_000 - REFRESH_BEFORE_S - 1));
        assert!(!fresh(1_000, 1_000 - REFRESH_BEFORE_S));
        assert!(!fresh(1_000, 2_000));
        assert!(
            !fresh(0, 0),
            "keys without an expiry are fetched every time"
        );
        assert!(!fresh(i64::MIN, 0));
    }
}
