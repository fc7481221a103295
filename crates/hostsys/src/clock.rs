//! The wall clock as Unix time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since the Unix epoch by the system's real-time clock (zero if the clock is set before
/// 1970).
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Now, as Unix seconds with their fraction.
pub fn unix_secs() -> f64 {
    since_epoch().as_secs_f64()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_after_this_code_was_written_and_both_forms_agree() {
        let (d, s) = (super::since_epoch(), super::unix_secs());
        assert!(d.as_secs() > 1_790_000_000, "{d:?}");
        assert!((s - d.as_secs_f64()).abs() < 5.0, "{s} vs {d:?}");
    }
}
