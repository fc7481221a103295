//! What one drill run measured.

use crate::probe::Outage;
use crate::tcp::Request;
use crate::timeline::{self, Mark, Span};
use serde::Serialize;

/// What one drill run measured.
#[derive(Clone, Debug, Serialize)]
pub struct DrillResult {
    /// The lab's id (its namespaces are named `hvl<id>...`; gone when the drill returns).
    pub lab_id: String,
    /// `namespaces` or `simulator` (virtual time).
    pub backend: String,
    /// Scenario name.
    pub scenario: String,
    /// Daemons on the servers: `havipd`, `keepalived`, or `havipd+keepalived` (primary first).
    pub daemon: String,
    /// Start and end of probing (Unix seconds; virtual seconds in the simulator).
    pub start: f64,
    /// End of probing.
    pub end: f64,
    /// Gaps in the client's ICMP replies.
    pub outages: Vec<Outage>,
    /// TCP requests sent and how each went.
    pub requests: Vec<Request>,
    /// Seconds from the first fault until the secondary holds the VIP (if it took it).
    pub time_to_new_master: Option<f64>,
    /// Who held the VIP when.
    pub holders: Vec<Span>,
    /// Stretches with two holders.
    pub split_brain: Vec<Span>,
    /// Faults and repairs.
    pub faults: Vec<Mark>,
    /// ICMP probes answered.
    pub answered: usize,
    /// havipd's transition log lines (JSON objects with the server added), if it ran.
    pub transitions: Vec<serde_json::Value>,
    /// Who held the VIP at the end.
    pub final_holder: Option<String>,
    /// Seconds the attacker (`x`) held the VIP while no server did.
    pub stolen_seconds: f64,
    /// havipd's `auth_hmac` rejections at the end, per server (counters by reason).
    pub auth_rejections: std::collections::BTreeMap<String, serde_json::Value>,
}

impl DrillResult {
    /// The longest outage, in ms (0 if none).
    pub fn worst_outage_ms(&self) -> f64 {
        self.outages.iter().map(Outage::ms).fold(0.0, f64::max)
    }

    /// Total split-brain time, in ms.
    pub fn dual_master_ms(&self) -> f64 {
        self.split_brain
            .iter()
            .map(|s| (s.to - s.from) * 1000.0)
            .fold(0.0, |a, b| a + b)
    }

    /// TCP requests that got no answer.
    pub fn lost_requests(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| r.answered_by.is_none())
            .count()
    }

    /// Holder changes.
    pub fn transitions(&self) -> usize {
        timeline::changes(&self.holders)
    }
}
