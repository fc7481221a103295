//! A fixed-bucket histogram of durations, as Prometheus exposes them (cumulative buckets,
//! sum and count). Constant size: one counter per bucket.

/// Upper bounds of the buckets, in seconds (from half a millisecond to five seconds).
pub const BOUNDS: [f64; 13] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

/// Observations of a duration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// Observations per bucket (not cumulative), the last one for "above every bound".
    counts: [u64; BOUNDS.len() + 1],
    sum: f64,
}

impl Histogram {
    /// Records one duration, in seconds.
    pub fn observe(&mut self, seconds: f64) {
        let slot = BOUNDS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BOUNDS.len());
        self.counts[slot] += 1;
        self.sum += seconds;
    }

    /// (upper bound, cumulative count) for every bucket, `+Inf` last.
    pub fn cumulative(&self) -> Vec<(String, u64)> {
        let mut total = 0;
        let mut out = Vec::with_capacity(self.counts.len());
        for (k, c) in self.counts.iter().enumerate() {
            total += c;
            let le = BOUNDS.get(k).map_or("+Inf".to_string(), |b| b.to_string());
            out.push((le, total));
        }
        out
    }

    /// Sum of the observations, in seconds.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        let mut h = Histogram::default();
        for s in [0.0005, 0.0007, 1.0, 9.0] {
            h.observe(s);
        }
        let c = h.cumulative();
        assert_eq!(c[0], ("0.0005".into(), 1));
        assert_eq!(c[1], ("0.001".into(), 2));
        assert_eq!(c[10], ("1".into(), 3));
        assert_eq!(c.last(), Some(&("+Inf".into(), 4)));
        assert_eq!(h.count(), 4);
        assert!((h.sum() - 10.0012).abs() < 1e-9);
    }
}
