//! Link impairments applied to every advert on its way from one node to another.

use vrrp::Micros;

/// Impairments of the simulated LAN, applied independently to each copy of each advert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkFaults {
    /// Probability in [0, 1] that a copy is lost.
    pub loss: f64,
    /// Fixed one-way delay.
    pub delay: Micros,
    /// Extra delay drawn uniformly from [0, jitter].
    pub jitter: Micros,
    /// Probability in [0, 1] that a copy is delivered twice (the second with its own delay).
    pub duplicate: f64,
    /// `loss` spread evenly instead of drawn at random: copy k since the faults were set is
    /// lost when [`spread_drops`] says so, the copies a lab's nftables rule drops.
    pub spread: bool,
}

/// Whether packet `k` (from 0) is among those an evenly spread loss of `percent` drops:
/// ⌊(k+1)·p/100⌋ > ⌊k·p/100⌋, so 30 % drops the 4th, 7th and 10th of every ten and never two
/// in a row.
pub fn spread_drops(k: u64, percent: u8) -> bool {
    let p = u64::from(percent.min(100));
    (k + 1) * p / 100 > k * p / 100
}

/// The period of [`spread_drops`] for `percent` (100 / gcd(percent, 100)) and the places in it
/// that are dropped: what an nftables `numgen inc mod PERIOD { PLACES } drop` rule drops.
pub fn spread_pattern(percent: u8) -> (u64, Vec<u64>) {
    let p = u64::from(percent.clamp(1, 100));
    let (mut a, mut b) = (p, 100);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let period = 100 / a;
    let places = (0..period).filter(|&k| spread_drops(k, percent)).collect();
    (period, places)
}

impl Default for LinkFaults {
    /// A clean LAN with 100 µs of latency.
    fn default() -> Self {
        LinkFaults {
            loss: 0.0,
            delay: Micros(100),
            jitter: Micros::ZERO,
            duplicate: 0.0,
            spread: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_loss_drops_its_share_never_two_in_a_row_below_half() {
        let (period, places) = spread_pattern(30);
        assert_eq!((period, places), (10, vec![3, 6, 9]));
        for p in 1..=100u8 {
            let (period, places) = spread_pattern(p);
            assert_eq!(places.len() as u64 * 100, period * u64::from(p), "{p}%");
            if p <= 50 {
                assert!(!(0..1000).any(|k| spread_drops(k, p) && spread_drops(k + 1, p)));
            }
            assert!((0..3 * period).all(|k| spread_drops(k, p) == places.contains(&(k % period))));
        }
        assert!((0..10).all(|k| spread_drops(k, 100)));
    }
}
