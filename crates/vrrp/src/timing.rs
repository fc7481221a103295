//! Timer arithmetic of RFC 3768 §6.1 / RFC 5798 §6.1 as keepalived computes it, in microseconds.
//!
//! - v2: `Skew_Time = (256 - Priority) / 256` seconds, whatever the interval.
//! - v3: `Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256`.
//! - `Master_Down_Interval = down_timer_adverts * Master_Adver_Interval + Skew_Time`
//!   (`down_timer_adverts` is 3 in the RFCs; keepalived lets it be configured).
//!
//! Integer division truncates, as keepalived's does: v3 priority 100 at 0.1 s gives a skew
//! of 60,937 µs, not 60,937.5.

use crate::packet::Version;
use crate::time::Micros;

const SECOND: u64 = 1_000_000;

/// Skew time for `priority` (the effective one) with the master's interval in µs.
pub fn skew(version: Version, priority: u8, master_interval: Micros) -> Micros {
    let weight = 256 - u64::from(priority);
    match version {
        Version::V2 => Micros(weight * SECOND / 256),
        Version::V3 => Micros(weight * master_interval.0 / 256),
    }
}

/// keepalived's smallest skew (priority 255's): used for `state MASTER` start-up.
pub fn min_skew(version: Version, master_interval: Micros) -> Micros {
    skew(version, 255, master_interval)
}

/// Master_Down_Interval: how long a backup waits without adverts before taking over.
pub fn master_down_interval(
    version: Version,
    down_timer_adverts: u8,
    priority: u8,
    master_interval: Micros,
) -> Micros {
    Micros(u64::from(down_timer_adverts) * master_interval.0)
        + skew(version, priority, master_interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Figures from the reference: v2 prio 100 at 1 s -> 3.609 s; v3 prio 100 at 0.1 s -> 0.361 s;
    // a priority-0 advert hands over after skew alone (0.609 s at prio 100, 1 s).
    #[test]
    fn reference_examples() {
        let one_s = Micros::from_secs(1);
        assert_eq!(
            master_down_interval(Version::V2, 3, 100, one_s),
            Micros(3_609_375)
        );
        assert_eq!(
            master_down_interval(Version::V3, 3, 100, Micros(100_000)),
            Micros(360_937)
        );
        assert_eq!(skew(Version::V2, 100, one_s), Micros(609_375));
        assert_eq!(skew(Version::V3, 100, one_s), Micros(609_375));
    }

    #[test]
    fn v2_skew_ignores_interval_and_v3_scales_with_it() {
        let five = Micros::from_secs(5);
        assert_eq!(skew(Version::V2, 100, five), Micros(609_375));
        assert_eq!(skew(Version::V3, 100, five), Micros(3_046_875));
        assert_eq!(
            master_down_interval(Version::V2, 3, 100, five),
            Micros(15_609_375)
        );
    }

    #[test]
    fn owner_skew_is_smallest() {
        assert_eq!(min_skew(Version::V2, Micros::from_secs(1)), Micros(3_906));
        assert!(skew(Version::V3, 255, Micros(10_000)) < skew(Version::V3, 1, Micros(10_000)));
    }
}
