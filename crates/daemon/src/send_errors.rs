//! Packets the kernel refused to send, per instance and kind: counted apart from what was sent
//! (`stats.json`, `havip status`, the metrics) and logged at warning level, at most every 10 s
//! per instance and kind, with how many failed since the last line.

use serde::Serialize;
use std::time::{Duration, Instant};
use tracing::warn;

/// How often one instance logs failures of one kind.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A VRRP advert (one copy, to one destination).
    Advert,
    /// A gratuitous ARP.
    Garp,
    /// An unsolicited neighbour advertisement.
    Na,
}

impl Kind {
    fn index(self) -> usize {
        self as usize
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Advert => "advert",
            Kind::Garp => "gratuitous ARP",
            Kind::Na => "neighbour advertisement",
        }
    }
}

/// One instance's send failures.
#[derive(Clone, Copy, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct SendErrors {
    /// Advert copies not sent.
    pub advert_send_errors: u64,
    /// Gratuitous ARPs not sent.
    pub garp_send_errors: u64,
    /// Neighbour advertisements not sent.
    pub na_send_errors: u64,
    /// Per kind: when a failure was last logged, and failures since.
    #[serde(skip)]
    logged: [(Option<Instant>, u64); 3],
}

impl SendErrors {
    /// Counts a failure and logs it unless one of its kind was logged less than 10 s ago.
    pub fn failed(
        &mut self,
        instance: &str,
        kind: Kind,
        to: &dyn std::fmt::Display,
        e: &std::io::Error,
    ) {
        *match kind {
            Kind::Advert => &mut self.advert_send_errors,
            Kind::Garp => &mut self.garp_send_errors,
            Kind::Na => &mut self.na_send_errors,
        } += 1;
        let (last, unlogged) = &mut self.logged[kind.index()];
        *unlogged += 1;
        let now = Instant::now();
        if last.is_none_or(|t| now.duration_since(t) >= LOG_EVERY) {
            warn!(instance, to = %to, error = %e, failed = *unlogged, "{} not sent", kind.what());
            *last = Some(now);
            *unlogged = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_counts_and_the_log_is_limited() {
        let mut s = SendErrors::default();
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        for _ in 0..5 {
            s.failed("VI_1", Kind::Advert, &"10.0.0.2", &e);
        }
        s.failed("VI_1", Kind::Na, &"eth0", &e);
        assert_eq!(
            (s.advert_send_errors, s.garp_send_errors, s.na_send_errors),
            (5, 0, 1)
        );
        // One line for the first advert; four wait for the next one.
        assert_eq!(s.logged[Kind::Advert.index()].1, 4);
        assert_eq!(s.logged[Kind::Na.index()].1, 0);
    }
}
