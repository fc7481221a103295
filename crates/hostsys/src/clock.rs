//! The wall clock as Unix time, and the UTC calendar dates of Unix days.

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

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The day count since 1970-01-01 of a date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of a UTC time as RFC 3339 writes it with `Z` (`2026-12-08T01:02:03Z`, a
/// fraction of a second allowed and dropped), as cloud APIs write expiries; `None` for
/// anything else.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'))?;
    let (date, time) = s.split_once(['T', 't'])?;
    let time = time.split_once('.').map_or(time, |(t, frac)| {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            t
        }
    });
    let num = |f: &str, len: usize| -> Option<i64> {
        (f.len() == len && f.bytes().all(|b| b.is_ascii_digit())).then(|| f.parse().ok())?
    };
    let mut d = date.split('-');
    let (y, mo, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    let mut t = time.split(':');
    let (h, mi, sec) = (num(t.next()?, 2)?, num(t.next()?, 2)?, num(t.next()?, 2)?);
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let valid = (1..=12).contains(&mo) && (1..=31).contains(&day) && h < 24 && mi < 60 && sec < 61;
    let days = days_from_civil(y, mo as u32, day as u32);
    // A day past the month's end (Feb 30) does not come back as itself.
    let round_trip = civil_from_days(days) == (y, mo as u32, day as u32);
    (valid && round_trip).then_some(days * 86_400 + h * 3600 + mi * 60 + sec)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times_parse_to_unix_seconds_and_nonsense_does_not() {
        use super::parse_utc;
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2026-12-08T01:02:03Z"), Some(1_796_691_723));
        assert_eq!(parse_utc("2000-02-29T23:59:59.123Z"), Some(951_868_799));
        for bad in [
            "",
            "2026-12-08T01:02:03",
            "2026-12-08 01:02:03Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-08T24:00:00Z",
            "2026-12-8T01:02:03Z",
            "2026-12-08T01:02:03.Z",
            "2026-12-08T01:02:03+00:00",
            "+026-12-08T01:02:03Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
        for days in [-1_000_000, -1, 0, 1, 59, 20_795, 2_000_000] {
            let (y, m, d) = super::civil_from_days(days);
            assert_eq!(super::days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn now_is_after_this_code_was_written_and_both_forms_agree() {
        let (d, s) = (super::since_epoch(), super::unix_secs());
        assert!(d.as_secs() > 1_790_000_000, "{d:?}");
        assert!((s - d.as_secs_f64()).abs() < 5.0, "{s} vs {d:?}");
    }
}
