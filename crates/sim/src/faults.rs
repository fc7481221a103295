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
}

impl Default for LinkFaults {
    /// A clean LAN with 100 µs of latency.
    fn default() -> Self {
        LinkFaults {
            loss: 0.0,
            delay: Micros(100),
            jitter: Micros::ZERO,
            duplicate: 0.0,
        }
    }
}
