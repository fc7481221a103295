//! Repeated drills as distributions: percentiles per daemon of the outage, the takeover time,
//! lost TCP requests and split-brain time, and the runs as CSV rows.

use crate::drill::DrillResult;
use serde::Serialize;

/// The `p`-th percentile (0-100) of `v`, nearest rank on the sorted values (NaN when empty).
pub fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let k = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[k.min(s.len() - 1)]
}

/// p50, p90, p99 and max of a set of values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Quantiles {
    /// The quantiles of `v`, or `None` when it is empty.
    pub fn of(v: &[f64]) -> Option<Quantiles> {
        (!v.is_empty()).then(|| Quantiles {
            p50: percentile(v, 50.0),
            p90: percentile(v, 90.0),
            p99: percentile(v, 99.0),
            max: percentile(v, 100.0),
        })
    }
}

/// One daemon (or pair) over every run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// `havipd`, `keepalived`, `havipd+keepalived`, ...
    pub daemon: String,
    /// Runs measured.
    pub runs: usize,
    /// Worst client outage of each run, ms.
    pub outage_ms: Option<Quantiles>,
    /// Seconds from the first fault to the secondary holding the VIP, over the runs where it
    /// took it.
    pub takeover_s: Option<Quantiles>,
    /// Runs where the secondary never held the VIP after the first fault.
    pub no_takeover: usize,
    /// TCP requests lost per run.
    pub lost_tcp: Option<Quantiles>,
    /// Split-brain time per run, ms.
    pub split_ms: Option<Quantiles>,
    /// Worst outage of the EIP from the public side per run, ms (drills in a VPC with an EIP).
    pub eip_outage_ms: Option<Quantiles>,
    /// In a VPC: runs whose owner check was made, and those that ended with the VIP on the
    /// VRRP master's ENI only, forwarded to it.
    pub owner_checked: usize,
    /// Of those, the runs that ended right.
    pub owner_correct: usize,
}

/// The daemons (or pairs) of a series, in the order they first appear.
pub fn daemons(results: &[DrillResult]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in results {
        if !out.contains(&r.daemon.as_str()) {
            out.push(&r.daemon);
        }
    }
    out
}

/// Each daemon's summary, in the order the daemons first appear.
pub fn summarize(results: &[DrillResult]) -> Vec<Summary> {
    daemons(results)
        .into_iter()
        .map(|daemon| {
            let runs: Vec<&DrillResult> = results.iter().filter(|r| r.daemon == daemon).collect();
            let of = |f: &dyn Fn(&DrillResult) -> f64| {
                Quantiles::of(&runs.iter().map(|r| f(r)).collect::<Vec<f64>>())
            };
            let takeovers: Vec<f64> = runs.iter().filter_map(|r| r.time_to_new_master).collect();
            let eip: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.vpc.as_ref().filter(|v| !v.eip.is_empty()))
                .map(crate::drill::VpcOutcome::worst_eip_outage_ms)
                .collect();
            Summary {
                daemon: daemon.to_string(),
                runs: runs.len(),
                outage_ms: of(&DrillResult::worst_outage_ms),
                takeover_s: Quantiles::of(&takeovers),
                no_takeover: runs.len() - takeovers.len(),
                lost_tcp: of(&|r| r.lost_requests() as f64),
                split_ms: of(&DrillResult::dual_master_ms),
                eip_outage_ms: Quantiles::of(&eip),
                owner_checked: runs.iter().filter(|r| r.owner.is_some()).count(),
                owner_correct: runs
                    .iter()
                    .filter(|r| r.owner.as_ref().is_some_and(|o| o.correct))
                    .count(),
            }
        })
        .collect()
}

/// The runs as CSV, one row each (run numbers from 1).
pub fn csv(results: &[DrillResult]) -> String {
    let mut out = String::from(
        "run,daemon,scenario,outage_ms,outages,takeover_s,lost_tcp,requests,split_ms,holder_changes,final_holder,eip_outage_ms,gateway_from,gateway_to,owner_correct,cloud_owner\n",
    );
    for (i, r) in results.iter().enumerate() {
        let eip = r.vpc.as_ref().filter(|v| !v.eip.is_empty());
        let [from, to] = r
            .vpc
            .as_ref()
            .and_then(|v| v.gateway.clone())
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{:.1},{},{},{},{},{:.1},{},{},{},{from},{to},{},{}\n",
            i + 1,
            r.daemon,
            r.scenario,
            r.worst_outage_ms(),
            r.outages.len(),
            r.time_to_new_master
                .map_or(String::new(), |t| format!("{t:.4}")),
            r.lost_requests(),
            r.requests.len(),
            r.dual_master_ms(),
            r.transitions(),
            r.final_holder.as_deref().unwrap_or(""),
            eip.map_or(String::new(), |v| format!("{:.1}", v.worst_eip_outage_ms())),
            r.owner
                .as_ref()
                .map_or(String::new(), |o| o.correct.to_string()),
            r.owner
                .as_ref()
                .map_or(String::new(), |o| o.cloud_owners.join(" ")),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let q = Quantiles::of(&v).expect("values");
        assert_eq!((q.p50, q.p90, q.p99, q.max), (51.0, 90.0, 99.0, 100.0));
        assert_eq!(Quantiles::of(&[]), None);
        let one = Quantiles::of(&[7.0]).expect("one");
        assert_eq!((one.p50, one.max), (7.0, 7.0));
    }
}
