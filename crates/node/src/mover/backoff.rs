//! Exponential backoff with seeded jitter: retries of many servers spread out instead of
//! arriving together, and a test gives the same delays every run.

use vrrp::Micros;

/// A seeded source of jitter (splitmix64: small, fast, good enough to spread retries).
#[derive(Clone, Debug)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// Jitter drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        Jitter { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `d` spread over `[d, 1.5 d)`: never shorter than `d`.
    pub fn spread(&mut self, d: Micros) -> Micros {
        let half = d.0 / 2;
        let extra = if half == 0 { 0 } else { self.next_u64() % half };
        Micros(d.0.saturating_add(extra))
    }

    /// The delay before retry number `failures` (1 = first): `base * 2^(failures-1)` capped
    /// at `max`, then drawn from its upper half (`[d/2, d]`), so it never exceeds `max`.
    pub fn backoff(&mut self, base: Micros, max: Micros, failures: u32) -> Micros {
        let shift = failures.saturating_sub(1).min(32);
        let d = base.0.saturating_mul(1u64 << shift).min(max.0);
        let half = d / 2;
        let extra = if d - half == 0 {
            0
        } else {
            self.next_u64() % (d - half + 1)
        };
        Micros(half + extra)
    }
}
