//! In a VPC drill: where the cloud put the VIP by the end of the run, against who is VRRP
//! master (see [`crate::mover::owner_check`]).

use super::stage::Drill;
use crate::daemon::Kind;
use crate::mover::{OwnerCheck, Owners, eni_owners, owner_check};
use anyhow::{Result, anyhow};
use serde_json::json;
use std::time::Duration;

impl Drill<'_> {
    /// The check after a VPC run: the address (or the HAVIP's binding) on the VRRP master's
    /// ENI only and the client's requests answered by it, given 5 s (and 4 times the API's
    /// added latency; or the setup's grace) to get there after the run.
    pub(super) fn check_owner(&self) -> Result<OwnerCheck> {
        let plane = self.plane.as_ref().ok_or_else(|| anyhow!("no VPC"))?;
        let vip = self.cluster.vips[0].addr.to_string();
        let servers = self.topo.servers.len();
        let enis = plane.enis[..servers].to_vec();
        let index = |owners: Vec<String>| -> Vec<usize> {
            owners
                .iter()
                .filter_map(|e| enis.iter().position(|x| x == e))
                .collect()
        };
        let cloud = || -> Result<Vec<usize>> {
            match &self.movers {
                Some(_) => Ok(index(eni_owners(plane, &enis, &vip)?)),
                None => {
                    let r = crate::vpc::call_retrying(
                        &plane.api,
                        "DescribeHaVips",
                        &json!({"HaVipIds": [plane.havips[0]]}),
                        Duration::from_secs(10),
                    )?;
                    let bound = r["HaVipSet"][0]["NetworkInterfaceId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    Ok(index(vec![bound]))
                }
            }
        };
        let master = || -> Vec<usize> {
            self.holders_of(&vip)
                .into_iter()
                .filter(|k| !self.offline[*k])
                .collect()
        };
        let client = self.topo.client.ns.clone();
        let forwarded = || crate::tcp::ask(&client, &vip);
        let faults = &self.api_faults;
        let grace = self
            .owner_grace
            .unwrap_or(Duration::from_secs(5) + 4 * faults.latency());
        let lag = Duration::from_millis(faults.stale_describe_ms);
        owner_check(
            &Owners {
                labels: self.topo.servers.iter().map(|s| s.label.clone()).collect(),
                master: &master,
                cloud: &cloud,
                forwarded: &forwarded,
            },
            grace,
            lag,
        )
    }

    /// How a run is labelled: the daemon, and in a VPC without a HAVIP what moves the address
    /// (`havipd-mover`, `keepalived-script`).
    pub(super) fn label(&self) -> String {
        let pair = super::pair_label(self.kinds);
        if self.movers.is_none() {
            return pair;
        }
        match self.kinds {
            [Kind::Havipd, Kind::Havipd] => "havipd-mover".into(),
            [a, b] if a == b => format!("{a}-script"),
            _ => format!("{pair}-mover-script"),
        }
    }
}
