//! The EC2 dialect (`provider ec2`): the query API's form-encoded POSTs (`Action`,
//! `Version=2016-11-15`), signed with AWS Signature Version 4 (`tc3::sigv4`), answered in XML.
//!
//! `Describe` lists the ENIs of our ENI's VPC (`DescribeNetworkInterfaces`, `Filter vpc-id`)
//! and says `Us` when our ENI holds every VIP and no other ENI does. `Claim` describes, then
//! per VIP: `AssignPrivateIpAddresses` to our ENI with `AllowReassignment=true` (the cloud moves
//! the address in one call) when we lack it; `UnassignPrivateIpAddresses` from any other ENI
//! that still lists it once we hold it (an emulator that ignores `AllowReassignment`, or a
//! describe that lags). Method route: `DescribeRouteTables` says where each VIP's `/32` points;
//! `ReplaceRoute` (or `CreateRoute`) points it at our ENI. `RequestLimitExceeded` and
//! `Throttling` make a step `Throttled`.

use super::api::Client;
use super::ledger::Failed;
use conf::mover::Method;
use node::mover::{Action, Holder, Outcome};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Instant;

/// The EC2 API version the mover speaks.
const VERSION: &str = "2016-11-15";

/// Query parameters of one call (besides `Action` and `Version`).
type Params = Vec<(String, String)>;

fn p(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// The text of `node`'s first child element named `name`.
fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
}

/// The `item` children of `node`'s child element `set`.
fn items<'a>(node: roxmltree::Node<'a, 'a>, set: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    node.children()
        .filter(|c| c.has_tag_name(set))
        .flat_map(|s| s.children().filter(|i| i.has_tag_name("item")))
        .collect()
}

impl Client {
    /// One step in EC2's dialect.
    pub(super) fn ec2_step(
        &self,
        action: Action,
        deadline: Instant,
    ) -> Result<Option<Holder>, Failed> {
        let route = matches!(self.method, Method::Route { .. });
        match action {
            Action::Describe if route => {
                let r = self.ec2_routes(deadline)?;
                let ours = self.vips.iter().all(|v| r.get(v) == Some(&self.eni));
                Ok(Some(if ours { Holder::Us } else { Holder::Elsewhere }))
            }
            Action::Describe => {
                let h = self.ec2_holders(deadline)?;
                let ours = self
                    .vips
                    .iter()
                    .all(|v| h.get(v).is_some_and(|e| e.as_slice() == [self.eni.clone()]));
                Ok(Some(if ours { Holder::Us } else { Holder::Elsewhere }))
            }
            Action::Claim(_) if route => self.ec2_claim_routes(deadline).map(|()| None),
            Action::Claim(_) => self.ec2_claim(deadline).map(|()| None),
        }
    }

    /// One EC2 call: signed, sent, its XML answer returned, counted in every case.
    fn ec2_call(
        &self,
        action: &'static str,
        params: Params,
        deadline: Instant,
    ) -> Result<String, Failed> {
        let keys = self.keys.get(&self.ledger, deadline)?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.ledger
                .count(action, Outcome::Timeout, Some("no time left".into()));
            return Err(Failed(Outcome::Timeout));
        }
        let mut all = vec![p("Action", action), p("Version", VERSION)];
        all.extend(params);
        let body = tc3::sigv4::form(&all);
        let post = tc3::sigv4::FormPost {
            host: &self.endpoint.authority,
            region: &self.region,
            service: "ec2",
            timestamp: hostsys::clock::unix_secs() as i64,
            body: body.as_bytes(),
        };
        let token = keys.token.as_ref().map(|t| t.as_str());
        let headers = tc3::sigv4::sign_form_post(&post, &keys.secret_id, &keys.secret_key, token);
        let text = self.post(action, &headers, &body, left, deadline)?;
        self.ec2_answer(action, text)
    }

    /// The answer, or its `<Errors>` (throttling codes: throttled).
    fn ec2_answer(&self, action: &'static str, text: String) -> Result<String, Failed> {
        let Ok(doc) = roxmltree::Document::parse(&text) else {
            self.ledger
                .count(action, Outcome::Error, Some("the answer is not XML".into()));
            return Err(Failed(Outcome::Error));
        };
        if let Some(err) = doc.descendants().find(|n| n.has_tag_name("Error")) {
            let code = child(err, "Code").unwrap_or("?");
            let outcome = match code {
                "RequestLimitExceeded" | "Throttling" => Outcome::Throttled,
                _ => Outcome::Error,
            };
            let message = child(err, "Message").unwrap_or("");
            self.ledger
                .count(action, outcome, Some(format!("{code}: {message}")));
            return Err(Failed(outcome));
        }
        self.ledger.count(action, Outcome::Ok, None);
        Ok(text)
    }

    /// Parses an answer the call already accepted as XML.
    fn ec2_doc<'a>(
        &self,
        action: &'static str,
        text: &'a str,
    ) -> Result<roxmltree::Document<'a>, Failed> {
        roxmltree::Document::parse(text).map_err(|e| self.ledger.error(action, &e.to_string()))
    }

    /// Our ENI's VPC (asked once).
    fn ec2_vpc_id(&self, deadline: Instant) -> Result<String, Failed> {
        if let Some(v) = self.cached_vpc() {
            return Ok(v);
        }
        let a = "DescribeNetworkInterfaces";
        let text = self.ec2_call(a, vec![p("NetworkInterfaceId.1", &self.eni)], deadline)?;
        let doc = self.ec2_doc(a, &text)?;
        let vpc = doc
            .descendants()
            .find(|n| n.has_tag_name("vpcId"))
            .and_then(|n| n.text());
        let Some(vpc) = vpc else {
            let why = format!("{} is not an ENI of this account", self.eni);
            return Err(self.ledger.error(a, &why));
        };
        self.cache_vpc(vpc);
        Ok(vpc.to_string())
    }

    /// The ENIs that list each VIP.
    fn ec2_holders(&self, deadline: Instant) -> Result<BTreeMap<Ipv4Addr, Vec<String>>, Failed> {
        let a = "DescribeNetworkInterfaces";
        let vpc = self.ec2_vpc_id(deadline)?;
        let mut out: BTreeMap<Ipv4Addr, Vec<String>> = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let mut params = vec![p("Filter.1.Name", "vpc-id"), p("Filter.1.Value.1", &vpc)];
            if let Some(t) = &next {
                params.push(p("NextToken", t));
            }
            let text = self.ec2_call(a, params, deadline)?;
            let doc = self.ec2_doc(a, &text)?;
            let root = doc.root_element();
            for eni in items(root, "networkInterfaceSet") {
                let id = child(eni, "networkInterfaceId").unwrap_or_default();
                for addr in items(eni, "privateIpAddressesSet") {
                    let ip = child(addr, "privateIpAddress").and_then(|s| s.parse().ok());
                    if let Some(ip) = ip.filter(|ip| self.vips.contains(ip)) {
                        out.entry(ip).or_default().push(id.to_string());
                    }
                }
            }
            next = child(root, "nextToken")
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if next.is_none() {
                return Ok(out);
            }
        }
    }

    /// Takes every VIP to our ENI, then off any other ENI that still lists it.
    fn ec2_claim(&self, deadline: Instant) -> Result<(), Failed> {
        let holders = self.ec2_holders(deadline)?;
        for vip in &self.vips {
            let ip = vip.to_string();
            let on = holders.get(vip).cloned().unwrap_or_default();
            if !on.contains(&self.eni) {
                let params = vec![
                    p("NetworkInterfaceId", &self.eni),
                    p("PrivateIpAddress.1", &ip),
                    p("AllowReassignment", "true"),
                ];
                self.ec2_call("AssignPrivateIpAddresses", params, deadline)?;
                continue;
            }
            for other in on.iter().filter(|e| **e != self.eni) {
                let params = vec![p("NetworkInterfaceId", other), p("PrivateIpAddress.1", &ip)];
                self.ec2_call("UnassignPrivateIpAddresses", params, deadline)?;
            }
        }
        Ok(())
    }

    /// Where each VIP's `/32` route of the table points (its `networkInterfaceId`).
    fn ec2_routes(&self, deadline: Instant) -> Result<BTreeMap<Ipv4Addr, String>, Failed> {
        let Method::Route { table, .. } = &self.method else {
            return Ok(BTreeMap::new());
        };
        let a = "DescribeRouteTables";
        let text = self.ec2_call(a, vec![p("RouteTableId.1", table)], deadline)?;
        let doc = self.ec2_doc(a, &text)?;
        let mut out = BTreeMap::new();
        for rt in items(doc.root_element(), "routeTableSet") {
            for route in items(rt, "routeSet") {
                let dest = child(route, "destinationCidrBlock").unwrap_or_default();
                let vip = self.vips.iter().find(|v| format!("{v}/32") == dest);
                if let Some(v) = vip {
                    let eni = child(route, "networkInterfaceId").unwrap_or_default();
                    out.insert(*v, eni.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Points every VIP's `/32` at our ENI: `ReplaceRoute`, or `CreateRoute` when missing.
    fn ec2_claim_routes(&self, deadline: Instant) -> Result<(), Failed> {
        let Method::Route { table, .. } = &self.method else {
            return Ok(());
        };
        let routes = self.ec2_routes(deadline)?;
        for vip in &self.vips {
            let action = match routes.get(vip) {
                Some(e) if *e == self.eni => continue,
                Some(_) => "ReplaceRoute",
                None => "CreateRoute",
            };
            let params = vec![
                p("RouteTableId", table),
                p("DestinationCidrBlock", &format!("{vip}/32")),
                p("NetworkInterfaceId", &self.eni),
            ];
            self.ec2_call(action, params, deadline)?;
        }
        Ok(())
    }
}
