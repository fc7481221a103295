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
    /// Gaps in the client's ICMP replies, every VIP's.
    pub outages: Vec<Outage>,
    /// TCP requests sent and how each went, to every VIP.
    pub requests: Vec<Request>,
    /// Seconds from the first fault until a server that did not hold a VIP holds it (the
    /// earliest over the VIPs), if one took over.
    pub time_to_new_master: Option<f64>,
    /// Who held the first VIP when.
    pub holders: Vec<Span>,
    /// Stretches with two holders, of every VIP.
    pub split_brain: Vec<Span>,
    /// Faults and repairs.
    pub faults: Vec<Mark>,
    /// ICMP probes answered, over every VIP.
    pub answered: usize,
    /// havipd's transition log lines (JSON objects with the server added), if it ran.
    pub transitions: Vec<serde_json::Value>,
    /// Who held the first VIP at the end.
    pub final_holder: Option<String>,
    /// Each VIP apart.
    pub vips: Vec<VipResult>,
    /// In a VPC: the EIP's probes and the control plane's binding moves.
    pub vpc: Option<VpcOutcome>,
    /// In a VPC: where the cloud put the VIP by the end, against the VRRP master.
    pub owner: Option<crate::mover::OwnerCheck>,
    /// Seconds the attacker (`x`) held the VIP while no server did.
    pub stolen_seconds: f64,
    /// havipd's `auth_hmac` rejections at the end, per server (counters by reason).
    pub auth_rejections: std::collections::BTreeMap<String, serde_json::Value>,
}

/// What the client saw of one VIP.
#[derive(Clone, Debug, Serialize)]
pub struct VipResult {
    /// The VIP.
    pub vip: String,
    /// Its instance.
    pub instance: String,
    /// Gaps in its ICMP replies.
    pub outages: Vec<Outage>,
    /// ICMP probes it answered.
    pub answered: usize,
    /// TCP requests to it.
    pub requests: Vec<Request>,
    /// Who held it when.
    pub holders: Vec<Span>,
    /// Stretches with two holders.
    pub split_brain: Vec<Span>,
    /// Who held it at the end: a server, `none`, or `both`.
    pub final_holder: Option<String>,
}

impl VipResult {
    /// One VIP's probes and holders.
    pub fn new(
        vip: &crate::cluster::Vip,
        outages: Vec<Outage>,
        answered: usize,
        requests: Vec<Request>,
        holders: Vec<Span>,
    ) -> VipResult {
        let final_holder = holders.last().map(|s| match s.holders.as_slice() {
            [] => "none".to_string(),
            [one] => one.clone(),
            _ => "both".to_string(),
        });
        VipResult {
            vip: vip.addr.to_string(),
            instance: vip.instance.clone(),
            outages,
            answered,
            requests,
            split_brain: timeline::split_brain(&holders),
            holders,
            final_holder,
        }
    }
}

impl DrillResult {
    /// The sums of `vips` (outages, requests, split brain over all; holders of the first), the
    /// rest empty for the caller to fill.
    pub fn from_vips(vips: Vec<VipResult>) -> DrillResult {
        let mut outages: Vec<Outage> = vips.iter().flat_map(|v| v.outages.clone()).collect();
        outages.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut requests: Vec<Request> = vips.iter().flat_map(|v| v.requests.clone()).collect();
        requests.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut split_brain: Vec<Span> = vips.iter().flat_map(|v| v.split_brain.clone()).collect();
        split_brain.sort_by(|a, b| a.from.total_cmp(&b.from));
        DrillResult {
            lab_id: String::new(),
            backend: String::new(),
            scenario: String::new(),
            daemon: String::new(),
            start: 0.0,
            end: 0.0,
            outages,
            requests,
            time_to_new_master: None,
            holders: vips.first().map(|v| v.holders.clone()).unwrap_or_default(),
            split_brain,
            faults: Vec::new(),
            answered: vips.iter().map(|v| v.answered).sum(),
            transitions: Vec::new(),
            final_holder: vips.first().and_then(|v| v.final_holder.clone()),
            stolen_seconds: 0.0,
            auth_rejections: Default::default(),
            vips,
            vpc: None,
            owner: None,
        }
    }

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

/// What a drill inside the VPC adds.
#[derive(Clone, Debug, Serialize)]
pub struct VpcOutcome {
    /// The EIP (bound to the first VIP's HAVIP), probed from the public host; empty when the
    /// drill's VPC has no public side to probe it from.
    pub eip: String,
    /// Gaps in the public host's replies from the EIP.
    pub eip_outages: Vec<Outage>,
    /// Probes to the EIP answered.
    pub eip_answered: usize,
    /// The HAVIPs' binding moves during the run, from the control plane's history.
    pub binding_moves: Vec<BindingMove>,
    /// Seconds from the first fault to the first binding move after it.
    pub binding_move: Option<f64>,
    /// On OVN: the chassis running the EIP gateway when the probes started and when they
    /// ended (empty: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<[String; 2]>,
    /// At the end: the server the API reports the first HAVIP bound to (its label; empty if
    /// unbound or not a server).
    pub api_binding: String,
    /// On OVN, at the end: the server whose port OVN has as the first HAVIP's
    /// `virtual_parent` (the claim the data plane follows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ovn_binding: Option<String>,
    /// With OVN's database members cut: the API stream and OVN's binding samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<DbOutcome>,
}

impl VpcOutcome {
    /// The longest EIP outage, in ms (0 if none).
    pub fn worst_eip_outage_ms(&self) -> f64 {
        self.eip_outages.iter().map(Outage::ms).fold(0.0, f64::max)
    }
}

/// One move of a HAVIP's binding.
#[derive(Clone, Debug, Serialize)]
pub struct BindingMove {
    /// When (Unix seconds).
    pub time: f64,
    /// The HAVIP.
    pub havip: String,
    /// The server now bound (its label; empty if unbound or not a server).
    pub server: String,
    /// Why, as the control plane recorded it.
    pub reason: String,
}

/// One API call of the stream.
#[derive(Clone, Debug, Serialize)]
pub struct ApiCall {
    /// The API action.
    pub action: String,
    /// Whether it writes.
    pub write: bool,
    /// Sent and answered (Unix seconds).
    pub sent: f64,
    /// When the answer (or the error) came.
    pub done: f64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// What the database drill measured.
#[derive(Clone, Debug, Serialize)]
pub struct DbOutcome {
    /// The members whose power was cut (the leaders at that moment).
    pub cut: Vec<String>,
    /// Every API call of the stream.
    pub calls: Vec<ApiCall>,
    /// The longest the API went without answering a write, from the first member's cut on
    /// (to the first write answered, or between two answered writes), in seconds: how long
    /// after the cut it answered a write again (none: it answered none).
    pub write_back: Option<f64>,
    /// The same for reads.
    pub read_back: Option<f64>,
    /// Seconds from the server's cut (the failover's fault) to OVN's southbound binding naming
    /// another ENI (none: it did not move while sampled).
    pub ovn_binding_follow: Option<f64>,
    /// The southbound binding samples: Unix time and `virtual_parent` (none: no answer).
    pub ovn_samples: Vec<(f64, Option<String>)>,
}

impl DbOutcome {
    /// API calls that failed.
    pub fn failed(&self) -> usize {
        self.calls.iter().filter(|c| c.error.is_some()).count()
    }
}
