//! The data plane's side of `/internal/*`: follow the control plane's changes by long poll
//! (`/internal/changes`) and report GARPs (`/internal/garp`), each over a kept-alive connection.

use crate::cloud::{Change, Cloud, Quotas};
use crate::model::GarpForm;
use anyhow::{Result, anyhow};
use serde_json::{Value, json};
use std::net::Ipv4Addr;
use std::time::Duration;

/// How long one long poll waits on the server for a change.
pub const POLL_WAIT: Duration = Duration::from_secs(20);

/// The control plane, as the data plane reaches it.
#[derive(Clone)]
pub struct Control {
    api: String,
    secret: String,
    agent: ureq::Agent,
}

/// What a long poll brought.
#[derive(Debug)]
pub struct Pushed {
    /// The server run the versions belong to.
    pub epoch: String,
    /// The state's version after applying this.
    pub version: u64,
    /// The changes since the version asked about, or the whole state.
    pub update: PushedUpdate,
}

/// Changes, or the whole state.
#[derive(Debug)]
pub enum PushedUpdate {
    /// Apply these in order.
    Changes(Vec<Change>),
    /// Replace everything with this.
    State(Box<Cloud>),
}

/// The control plane's answer to a GARP report.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Stored; the state that includes it has this version.
    Moved(u64),
    /// Refused, and why.
    Refused(String),
}

impl Control {
    /// The control plane at `api` (`http://127.0.0.1:9180`), shown `secret`.
    pub fn new(api: &str, secret: &str) -> Self {
        Control {
            api: api.trim_end_matches('/').to_string(),
            secret: secret.to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .build(),
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.secret)
    }

    /// Waits (up to `wait`) for the state to move past `version` of `epoch`, and returns what
    /// brings a copy at that version up to date; at once if it already has.
    pub fn changes(&self, epoch: &str, version: u64, wait: Duration) -> Result<Pushed> {
        let url = format!("{}/internal/changes", self.api);
        let text = self
            .agent
            .get(&url)
            .set("Authorization", &self.bearer())
            .query("epoch", epoch)
            .query("after", &version.to_string())
            .query("wait_ms", &wait.as_millis().to_string())
            .timeout(wait + Duration::from_secs(10))
            .call()
            .map_err(|e| anyhow!("{url}: {e}"))?
            .into_string()?;
        let v: Value = serde_json::from_str(&text)?;
        let epoch = v["Epoch"]
            .as_str()
            .ok_or_else(|| anyhow!("{url}: no Epoch in the answer"))?;
        let version = v["Version"]
            .as_u64()
            .ok_or_else(|| anyhow!("{url}: no Version in the answer"))?;
        let update = if let Some(changes) = v.get("Changes") {
            PushedUpdate::Changes(serde_json::from_value(changes.clone())?)
        } else {
            PushedUpdate::State(Box::new(cloud_from_state(&v["State"])?))
        };
        Ok(Pushed {
            epoch: epoch.to_string(),
            version,
            update,
        })
    }

    /// Reports a GARP for `vip` from `eni`'s port.
    pub fn report_garp(&self, eni: &str, vip: Ipv4Addr, form: GarpForm) -> Result<Verdict> {
        let url = format!("{}/internal/garp", self.api);
        let body = json!({"NetworkInterfaceId": eni, "Vip": vip.to_string(), "Form": form});
        let text = self
            .agent
            .post(&url)
            .set("Authorization", &self.bearer())
            .set("Content-Type", "application/json")
            .timeout(Duration::from_secs(120))
            .send_string(&body.to_string())
            .map_err(|e| anyhow!("{url}: {e}"))?
            .into_string()?;
        let v: Value = serde_json::from_str(&text)?;
        if v["Moved"] == true {
            let version = v["Version"]
                .as_u64()
                .ok_or_else(|| anyhow!("{url}: no Version in the answer"))?;
            Ok(Verdict::Moved(version))
        } else {
            let why = v["Reason"].as_str().unwrap_or("refused");
            Ok(Verdict::Refused(why.to_string()))
        }
    }
}

/// The state as `state_json` writes it, read back.
pub fn cloud_from_state(v: &Value) -> Result<Cloud> {
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let mut changes = Vec::new();
    for x in list("Vpcs") {
        changes.push(Change::Vpc(serde_json::from_value(x)?));
    }
    for x in list("Subnets") {
        changes.push(Change::Subnet(serde_json::from_value(x)?));
    }
    for x in list("NetworkInterfaces") {
        changes.push(Change::Eni(serde_json::from_value(x)?));
    }
    for x in list("Addresses") {
        changes.push(Change::Address(serde_json::from_value(x)?));
    }
    for x in list("HaVips") {
        changes.push(Change::HaVip(serde_json::from_value(x)?));
    }
    for x in list("RouteTables") {
        changes.push(Change::RouteTable(serde_json::from_value(x)?));
    }
    let mut cloud = Cloud::default();
    cloud.apply(&changes);
    if let Some(q) = v.get("Quotas") {
        cloud.quotas = serde_json::from_value::<Quotas>(q.clone())?;
    }
    Ok(cloud)
}
