//! Tencent Cloud API 3.0 calls, as the cloud's SDKs send them: a JSON POST to the endpoint
//! with `X-TC-Action`, `X-TC-Version: 2017-03-12`, `X-TC-Region`, `X-TC-Timestamp`, the TC3
//! `Authorization` (crate `tc3`) and `X-TC-Token` for temporary keys. Blocking (`ureq`, on
//! tokio's blocking pool): a handful of calls per failover, each bounded by its step's deadline.
//!
//! A step is one of the node mover's actions. `Describe` lists the ENIs of our ENI's VPC and
//! says whether ours holds every VIP. `Claim` describes first, then per VIP held elsewhere:
//! `MigratePrivateIpAddress` from its holder (method migrate), or `UnassignPrivateIpAddresses`
//! from its holder then `AssignPrivateIpAddresses` to us (method assign); a VIP nobody holds is
//! assigned to us. Method route is in `routes.rs`. The cloud's `RequestLimitExceeded` makes
//! the step `Throttled`.

use super::keys::KeySource;
use super::ledger::{Failed, Ledger, url};
use conf::mover::{Endpoint, Method, Provider};
use node::mover::{Action, Holder, Outcome};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The API version of the VPC actions.
const VERSION: &str = "2017-03-12";

/// ENIs per DescribeNetworkInterfaces page.
const PAGE: usize = 100;

/// One instance's client: where to call, as whom, for which ENI and VIPs.
pub struct Client {
    pub(super) agent: ureq::Agent,
    pub(super) endpoint: Endpoint,
    pub(super) region: String,
    pub(super) eni: String,
    provider: Provider,
    pub(super) method: Method,
    pub(super) vips: Vec<Ipv4Addr>,
    pub(super) keys: KeySource,
    vpc_id: Mutex<Option<String>>,
    /// What status shows (kept across a reload that changes the settings).
    pub ledger: Arc<Ledger>,
}

impl Client {
    /// A client for `settings`' ENI and these VIPs, counting its calls in `ledger`.
    pub fn new(settings: &conf::mover::Mover, vips: Vec<Ipv4Addr>, ledger: Arc<Ledger>) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            endpoint: settings.endpoint.clone(),
            region: settings.region.clone(),
            provider: settings.provider,
            eni: settings.eni.clone(),
            method: settings.method.clone(),
            vips,
            keys: KeySource::new(settings.provider, &settings.credentials),
            vpc_id: Mutex::new(None),
            ledger,
        }
    }

    /// Makes one step before `deadline`: its outcome, and for a describe who holds the VIPs.
    pub fn step(&self, action: Action, deadline: Instant) -> (Outcome, Option<Holder>) {
        let route = matches!(self.method, Method::Route { .. });
        let result = match action {
            _ if self.provider == Provider::Ec2 => self.ec2_step(action, deadline),
            Action::Describe if route => self.routes(deadline).map(|r| Some(self.route_holder(&r))),
            Action::Describe => self.holders(deadline).map(|h| Some(self.holder(&h))),
            Action::Claim(_) if route => self.claim_routes(deadline).map(|()| None),
            Action::Claim(_) => self.claim(deadline).map(|()| None),
        };
        match result {
            Ok(holder) => (Outcome::Ok, holder),
            Err(Failed(o)) => (o, None),
        }
    }

    fn holder(&self, holders: &BTreeMap<Ipv4Addr, String>) -> Holder {
        if self.vips.iter().all(|v| holders.get(v) == Some(&self.eni)) {
            Holder::Us
        } else {
            Holder::Elsewhere
        }
    }

    /// One API call: signed, sent, its `Response` returned, counted in every case.
    pub(super) fn call(
        &self,
        action: &'static str,
        body: Value,
        deadline: Instant,
    ) -> Result<Value, Failed> {
        let keys = self.keys.get(&self.ledger, deadline)?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.ledger
                .count(action, Outcome::Timeout, Some("no time left".into()));
            return Err(Failed(Outcome::Timeout));
        }
        let body = body.to_string();
        let post = tc3::JsonPost {
            host: &self.endpoint.authority,
            service: "vpc",
            action,
            version: VERSION,
            region: &self.region,
            timestamp: hostsys::clock::unix_secs() as i64,
            body: body.as_bytes(),
        };
        let token = keys.token.as_ref().map(|t| t.as_str());
        let headers = tc3::sign_json_post(&post, &keys.secret_id, &keys.secret_key, token);
        let text = self.post(action, &headers, &body, left, deadline)?;
        self.answer(action, &text)
    }

    /// POSTs `body` with the signed `headers` within `left`; the answer's text whatever its
    /// HTTP status (the cloud's errors are in it), a transport failure counted.
    pub(super) fn post(
        &self,
        action: &'static str,
        headers: &std::collections::BTreeMap<String, String>,
        body: &str,
        left: std::time::Duration,
        deadline: Instant,
    ) -> Result<String, Failed> {
        let mut req = self.agent.post(&self.url("/")).timeout(left);
        for (k, v) in headers.iter().filter(|(k, _)| k.as_str() != "host") {
            req = req.set(k, v);
        }
        let text = match req.send_string(body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_string(),
            Err(e) => {
                return Err(self
                    .ledger
                    .transport_failed(action, &e.to_string(), deadline));
            }
        };
        text.map_err(|e| {
            self.ledger
                .transport_failed(action, &e.to_string(), deadline)
        })
    }

    pub(super) fn url(&self, path: &str) -> String {
        url(&self.endpoint, path)
    }

    /// The `Response` of an answer, or its error (`RequestLimitExceeded*`: throttled).
    fn answer(&self, action: &'static str, text: &str) -> Result<Value, Failed> {
        let Ok(mut v) = serde_json::from_str::<Value>(text) else {
            self.ledger.count(
                action,
                Outcome::Error,
                Some("the answer is not JSON".into()),
            );
            return Err(Failed(Outcome::Error));
        };
        let response = v["Response"].take();
        if let Some(err) = response.get("Error") {
            let code = err["Code"].as_str().unwrap_or("?");
            let outcome = if code.starts_with("RequestLimitExceeded") {
                Outcome::Throttled
            } else {
                Outcome::Error
            };
            let message = err["Message"].as_str().unwrap_or("");
            self.ledger
                .count(action, outcome, Some(format!("{code}: {message}")));
            return Err(Failed(outcome));
        }
        if !response.is_object() {
            self.ledger
                .count(action, Outcome::Error, Some("no `Response` object".into()));
            return Err(Failed(Outcome::Error));
        }
        self.ledger.count(action, Outcome::Ok, None);
        Ok(response)
    }

    /// Our ENI's VPC, if asked before.
    pub(super) fn cached_vpc(&self) -> Option<String> {
        self.vpc_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps our ENI's VPC.
    pub(super) fn cache_vpc(&self, vpc: &str) {
        *self.vpc_id.lock().unwrap_or_else(|e| e.into_inner()) = Some(vpc.to_string());
    }

    /// Our ENI's VPC (asked once).
    fn vpc_id(&self, deadline: Instant) -> Result<String, Failed> {
        if let Some(v) = self.cached_vpc() {
            return Ok(v);
        }
        let body = json!({"NetworkInterfaceIds": [self.eni]});
        let r = self.call("DescribeNetworkInterfaces", body, deadline)?;
        let Some(vpc) = r["NetworkInterfaceSet"][0]["VpcId"].as_str() else {
            self.ledger.count(
                "DescribeNetworkInterfaces",
                Outcome::Error,
                Some(format!("{} is not an ENI of this account", self.eni)),
            );
            return Err(Failed(Outcome::Error));
        };
        self.cache_vpc(vpc);
        Ok(vpc.to_string())
    }

    /// Which ENI holds each VIP (VIPs nobody holds are missing).
    fn holders(&self, deadline: Instant) -> Result<BTreeMap<Ipv4Addr, String>, Failed> {
        let vpc = self.vpc_id(deadline)?;
        let mut out = BTreeMap::new();
        let mut offset = 0;
        loop {
            let body = json!({
                "Filters": [{"Name": "vpc-id", "Values": [vpc]}],
                "Offset": offset,
                "Limit": PAGE,
            });
            let r = self.call("DescribeNetworkInterfaces", body, deadline)?;
            let set = r["NetworkInterfaceSet"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for eni in &set {
                let id = eni["NetworkInterfaceId"].as_str().unwrap_or_default();
                let addrs = eni["PrivateIpAddressSet"].as_array();
                for a in addrs.into_iter().flatten() {
                    let ip = a["PrivateIpAddress"].as_str().and_then(|s| s.parse().ok());
                    if let Some(ip) = ip.filter(|ip| self.vips.contains(ip)) {
                        out.insert(ip, id.to_string());
                    }
                }
            }
            offset += set.len();
            let total = r["TotalCount"].as_u64().unwrap_or(0) as usize;
            if set.len() < PAGE || offset >= total {
                return Ok(out);
            }
        }
    }

    /// Moves every VIP not ours to our ENI.
    fn claim(&self, deadline: Instant) -> Result<(), Failed> {
        let holders = self.holders(deadline)?;
        for vip in &self.vips {
            let ip = vip.to_string();
            let one = json!([{"PrivateIpAddress": ip}]);
            match (holders.get(vip), &self.method) {
                (Some(h), _) if *h == self.eni => continue,
                (Some(h), Method::Migrate) => {
                    let body = json!({
                        "SourceNetworkInterfaceId": h,
                        "DestinationNetworkInterfaceId": self.eni,
                        "PrivateIpAddress": ip,
                    });
                    self.call("MigratePrivateIpAddress", body, deadline)?;
                    continue;
                }
                (Some(h), _) => {
                    let body = json!({"NetworkInterfaceId": h, "PrivateIpAddresses": one});
                    self.call("UnassignPrivateIpAddresses", body, deadline)?;
                }
                (None, _) => {}
            }
            let body = json!({"NetworkInterfaceId": self.eni, "PrivateIpAddresses": one});
            self.call("AssignPrivateIpAddresses", body, deadline)?;
        }
        Ok(())
    }
}
