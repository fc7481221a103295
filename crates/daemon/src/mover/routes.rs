//! Method route: each VIP's `/32` route in the route table points at our next hop
//! (`NORMAL_CVM` and this server's address, or a `HAVIP`). `Describe` reads the table
//! (`DescribeRouteTables`); `Claim` replaces the VIP routes that point elsewhere
//! (`ReplaceRoutes`, by `RouteId`) and creates the missing ones (`CreateRoutes`).

use super::api::Client;
use super::ledger::Failed;
use conf::mover::Method;
use node::mover::Holder;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Instant;

/// A VIP's route as the table has it: its id, gateway type and gateway.
pub struct Route {
    id: Value,
    kind: String,
    gateway: String,
}

impl Client {
    /// The table, its next hop type and next hop (method route only).
    fn route_settings(&self) -> Option<(&str, &'static str, &str)> {
        match &self.method {
            Method::Route {
                table,
                hop_type,
                hop,
            } => Some((table, hop_type.api_name(), hop)),
            _ => None,
        }
    }

    /// The VIPs' `/32` routes in the table.
    pub(super) fn routes(&self, deadline: Instant) -> Result<BTreeMap<Ipv4Addr, Route>, Failed> {
        let Some((table, _, _)) = self.route_settings() else {
            return Ok(BTreeMap::new());
        };
        let body = json!({"RouteTableIds": [table]});
        let r = self.call("DescribeRouteTables", body, deadline)?;
        let set = r["RouteTableSet"][0]["RouteSet"].as_array().cloned();
        let mut out = BTreeMap::new();
        for route in set.into_iter().flatten() {
            let dst = route["DestinationCidrBlock"].as_str().unwrap_or_default();
            let Some(ip) = dst.strip_suffix("/32").and_then(|a| a.parse().ok()) else {
                continue;
            };
            if self.vips.contains(&ip) {
                let text = |k: &str| route[k].as_str().unwrap_or_default().to_string();
                out.insert(
                    ip,
                    Route {
                        id: route["RouteId"].clone(),
                        kind: text("GatewayType"),
                        gateway: text("GatewayId"),
                    },
                );
            }
        }
        Ok(out)
    }

    fn ours(&self, r: &Route) -> bool {
        self.route_settings()
            .is_some_and(|(_, kind, hop)| r.kind == kind && r.gateway == hop)
    }

    /// Us when every VIP's route points at our next hop.
    pub(super) fn route_holder(&self, routes: &BTreeMap<Ipv4Addr, Route>) -> Holder {
        let all = self
            .vips
            .iter()
            .all(|v| routes.get(v).is_some_and(|r| self.ours(r)));
        if all { Holder::Us } else { Holder::Elsewhere }
    }

    /// Points every VIP's route at our next hop.
    pub(super) fn claim_routes(&self, deadline: Instant) -> Result<(), Failed> {
        let Some((table, kind, hop)) = self.route_settings() else {
            return Ok(());
        };
        let routes = self.routes(deadline)?;
        for vip in &self.vips {
            let dst = format!("{vip}/32");
            let mut route =
                json!({"DestinationCidrBlock": dst, "GatewayType": kind, "GatewayId": hop});
            match routes.get(vip) {
                Some(r) if self.ours(r) => continue,
                Some(r) => {
                    route["RouteId"] = r.id.clone();
                    let body = json!({"RouteTableId": table, "Routes": [route]});
                    self.call("ReplaceRoutes", body, deadline)?;
                }
                None => {
                    let body = json!({"RouteTableId": table, "Routes": [route]});
                    self.call("CreateRoutes", body, deadline)?;
                }
            }
        }
        Ok(())
    }
}
