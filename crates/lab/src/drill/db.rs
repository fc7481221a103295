//! What a drill cutting OVN's database members (`db-member-down`, `--ovn-db-cluster`) adds: the
//! leaders' power cuts, and while the steps play a stream of API calls (a read, then a write
//! that reaches OVN's northbound database: a HAVIP created, then deleted, in turns) and the
//! southbound binding of the first HAVIP sampled, so the report can say when the API answered a
//! write again and when OVN's binding followed the VRRP failover.

use super::result::{ApiCall, DbOutcome, VpcOutcome};
use super::scenario::Action;
use super::stage::Drill;
use crate::timeline::Mark;
use anyhow::{Result, anyhow};
use hostsys::clock::unix_secs as now;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The pause between two rounds of API calls, and between two binding samples.
const PACE: Duration = Duration::from_millis(50);

/// A binding sample: Unix time and the southbound `virtual_parent` (none: no answer).
type Sample = (f64, Option<String>);

/// The stream of API calls and the binding sampler, running.
pub(super) struct DbProbes {
    stop: Arc<AtomicBool>,
    calls: Option<JoinHandle<Vec<ApiCall>>>,
    samples: Option<JoinHandle<Vec<Sample>>>,
}

impl Drop for DbProbes {
    /// A run that fails stops them too.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drill<'_> {
    /// A power cut of the member of `db` that is its Raft leader now.
    pub(super) fn cut_db_leader(&mut self, db: &str) -> Result<()> {
        let f = self
            .fabric
            .as_mut()
            .ok_or_else(|| anyhow!("a database member's power cut needs --vpc ovn"))?;
        let leader = f
            .db_leader(db)?
            .ok_or_else(|| anyhow!("no member of {db} says it is the leader"))?;
        f.db_power_cut(&leader)?;
        self.db_cut.push(leader);
        Ok(())
    }

    /// The members cut brought back, and each database waited for (every member connected).
    pub(super) fn db_power_on(&mut self) {
        let Some(f) = self.fabric.as_mut() else {
            return;
        };
        for m in std::mem::take(&mut self.db_cut) {
            let _ = f.db_power_on(&m);
        }
        for db in [super::NB, super::SB] {
            let _ = f.wait_db(db);
        }
    }

    /// Starts the API stream and the binding sampler, if a step cuts a database member.
    pub(super) fn db_probes(&self) -> Result<Option<DbProbes>> {
        if !self
            .scenario
            .steps
            .iter()
            .any(|s| s.action.needs_db_cluster())
        {
            return Ok(None);
        }
        let (Some(f), Some(plane)) = (self.fabric.as_ref(), self.plane.as_ref()) else {
            return Ok(None);
        };
        let havip = plane
            .havips
            .first()
            .ok_or_else(|| anyhow!("no HAVIP to follow"))?
            .clone();
        let r = crate::vpc::call(&plane.api, "DescribeHaVips", &json!({"HaVipIds": [havip]}))?;
        let place =
            json!({"VpcId": r["HaVipSet"][0]["VpcId"], "SubnetId": r["HaVipSet"][0]["SubnetId"]});
        let stop = Arc::new(AtomicBool::new(false));
        let (api, s) = (plane.api.clone(), stop.clone());
        let calls = std::thread::spawn(move || api_stream(&api, &havip, &place, &s));
        let (db, port, s) = (f.db_arg("sb"), plane.havips[0].clone(), stop.clone());
        let samples = std::thread::spawn(move || {
            let mut out = Vec::new();
            while !s.load(Ordering::Relaxed) {
                out.push((now(), crate::ovn::virtual_parent_at(&db, &port).ok()));
                std::thread::sleep(PACE);
            }
            out
        });
        Ok(Some(DbProbes {
            stop,
            calls: Some(calls),
            samples: Some(samples),
        }))
    }
}

/// Reads and writes in turns until `stop`: DescribeHaVips of `havip`, then CreateHaVip in
/// `place` or DeleteHaVip of the one created.
fn api_stream(api: &str, havip: &str, place: &Value, stop: &AtomicBool) -> Vec<ApiCall> {
    let mut out = Vec::new();
    let mut made: Option<String> = None;
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        out.push(timed(api, "DescribeHaVips", &json!({"HaVipIds": [havip]}), false).0);
        let (call, answer) = match &made {
            None => {
                k += 1;
                let mut body = place.clone();
                body["HaVipName"] = json!(format!("stream{k}"));
                timed(api, "CreateHaVip", &body, true)
            }
            Some(id) => timed(api, "DeleteHaVip", &json!({"HaVipId": id}), true),
        };
        if call.error.is_none() {
            made = match made {
                None => answer["HaVip"]["HaVipId"].as_str().map(str::to_string),
                Some(_) => None,
            };
        }
        out.push(call);
        std::thread::sleep(PACE);
    }
    if let Some(id) = made {
        let _ = crate::vpc::call(api, "DeleteHaVip", &json!({"HaVipId": id}));
    }
    out
}

/// One call, timed.
fn timed(api: &str, action: &str, body: &Value, write: bool) -> (ApiCall, Value) {
    let sent = now();
    let answer = crate::vpc::call(api, action, body);
    let call = ApiCall {
        action: action.to_string(),
        write,
        sent,
        done: now(),
        error: answer.as_ref().err().map(|e| format!("{e:#}")),
    };
    (call, answer.unwrap_or_default())
}

impl DbProbes {
    /// Stops both and reads what they saw against the run's `faults` (the first member's cut,
    /// the server's cut), into `vpc`.
    pub(super) fn finish(
        mut self,
        cut: Vec<String>,
        marks: &[(Mark, Action)],
        vpc: &mut VpcOutcome,
    ) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let calls = self
            .calls
            .take()
            .ok_or_else(|| anyhow!("the API stream was read"))?
            .join()
            .map_err(|_| anyhow!("the API stream failed"))?;
        let ovn_samples = self
            .samples
            .take()
            .ok_or_else(|| anyhow!("the binding sampler was read"))?
            .join()
            .map_err(|_| anyhow!("the binding sampler failed"))?;
        let first_cut = marks
            .iter()
            .find(|(_, a)| a.needs_db_cluster())
            .map(|(m, _)| m.time);
        let server_cut = marks
            .iter()
            .find(|(_, a)| !a.names_chassis())
            .map(|(m, _)| m.time);
        let back = |write: bool| {
            let mut answered: Vec<f64> = calls
                .iter()
                .filter(|c| c.write == write && c.error.is_none())
                .map(|c| c.done)
                .collect();
            answered.sort_by(f64::total_cmp);
            longest_wait(&answered, first_cut?)
        };
        vpc.db = Some(DbOutcome {
            cut,
            write_back: back(true),
            read_back: back(false),
            ovn_binding_follow: server_cut.and_then(|t0| follow(&ovn_samples, t0)),
            calls,
            ovn_samples,
        });
        Ok(())
    }
}

/// The longest stretch from `t0` on without an answer (`answered`: the times of the answers,
/// sorted): to the first answer after `t0`, or between two answers; none if none came after.
fn longest_wait(answered: &[f64], t0: f64) -> Option<f64> {
    let after: Vec<f64> = answered.iter().copied().filter(|t| *t >= t0).collect();
    let first = *after.first()?;
    let gaps = after.windows(2).map(|w| w[1] - w[0]);
    Some(gaps.fold(first - t0, f64::max))
}

/// Seconds from `t0` to the first sample naming a parent other than the last one named before.
fn follow(samples: &[(f64, Option<String>)], t0: f64) -> Option<f64> {
    let before = samples
        .iter()
        .rfind(|(t, p)| *t < t0 && p.is_some())
        .and_then(|(_, p)| p.clone());
    samples
        .iter()
        .filter(|(t, _)| *t >= t0)
        .find(|(_, p)| {
            p.as_ref()
                .is_some_and(|p| !p.is_empty() && Some(p) != before.as_ref())
        })
        .map(|(t, _)| t - t0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binding_follows_at_the_first_other_parent() {
        let s = |t: f64, p: Option<&str>| (t, p.map(str::to_string));
        let samples = [
            s(0.0, Some("eni-a")),
            s(1.0, None),
            s(2.0, Some("eni-a")),
            s(3.0, Some("")),
            s(4.0, Some("eni-b")),
        ];
        assert_eq!(follow(&samples, 1.5), Some(2.5));
        assert_eq!(follow(&samples[..4], 1.5), None);
    }

    #[test]
    fn the_longest_wait_counts_from_the_cut() {
        assert_eq!(longest_wait(&[0.5, 1.2, 1.4, 3.4, 3.5], 1.0), Some(2.0));
        assert_eq!(longest_wait(&[0.5, 2.5, 2.6], 1.0), Some(1.5));
        assert_eq!(longest_wait(&[0.5], 1.0), None);
    }
}
