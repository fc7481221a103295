//! Chaos in the simulator (`havip lab chaos --sim`): the same drawn faults and invariant
//! checker as in namespaces, on havipd's node in virtual time, so a campaign of a thousand
//! seeds takes minutes. A violation names the seed that reproduces it.

use super::{Report, Spec, checked_on, draw};
use crate::cluster::{Cluster, Member, Vip};
use crate::topology::{HostSpec, server_name};
use anyhow::Result;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

/// A server's config of the sync pair: VI_1 (VRID 51, 172.16.16.12, tracking `chk` with
/// weight -60, preempting) and VI_2 (VRID 52, 172.16.16.13, `nopreempt`) in sync group G,
/// which keeps tracking weights. When `chk` fails on the master, VI_1 moves by its own
/// election and only the group takes VI_2 along: a sync-group bug shows.
pub fn sync_pair_config(priority: u8) -> String {
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n    interval 1\n    weight -60\n    fall 1\n    rise 1\n}}\n\
         vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    sync_group_tracking_weight\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 1\n\
         \x20   track_script {{\n        chk\n    }}\n    virtual_ipaddress {{\n        172.16.16.12\n    }}\n}}\n\
         vrrp_instance VI_2 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 52\n    priority {priority}\n    advert_int 1\n\
         \x20   nopreempt\n    virtual_ipaddress {{\n        172.16.16.13\n    }}\n}}\n"
    )
}

/// The simulator's chaos cluster: `a` (172.16.16.5, priority 100) and `b` (.6, 50), each
/// running [`sync_pair_config`], the two VIPs probed.
pub fn sync_pair() -> Cluster {
    let host = |k: usize, last: u8| HostSpec {
        name: server_name(k),
        label: server_name(k),
        iface: "eth0".into(),
        v4: Some(Ipv4Addr::new(172, 16, 16, last)),
        v6: None,
    };
    let member = |k: usize, last: u8, priority: u8| Member {
        host: host(k, last),
        config: sync_pair_config(priority),
        source: None,
    };
    let vip = |last: u8, instance: &str| Vip {
        addr: IpAddr::V4(Ipv4Addr::new(172, 16, 16, last)),
        instance: instance.into(),
    };
    Cluster {
        members: vec![member(0, 5, 100), member(1, 6, 50)],
        client: HostSpec {
            name: "c".into(),
            label: "c".into(),
            ..host(0, 100)
        },
        vips: vec![vip(12, "VI_1"), vip(13, "VI_2")],
        notes: Vec::new(),
    }
}

/// Draws, plays (in the simulator, the network seeded with the same seed) and checks one
/// chaos run on `cluster`; `unsynced` plants the sync-group bug in every node.
pub fn run(cluster: &Cluster, spec: &Spec, unsynced: bool) -> Result<Report> {
    let spec = Spec {
        plant: false,
        ..spec.clone()
    };
    let scenario = draw(cluster, &spec)?;
    let opts = crate::sim::Options {
        seed: spec.seed,
        unsynced_groups: unsynced,
    };
    let result = crate::sim::run_on(cluster, &scenario, opts)?;
    Ok(checked_on(cluster, spec.seed, scenario, result))
}

/// A seed whose run broke an invariant.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Failure {
    /// The seed (`havip lab chaos --sim --seed N` replays it).
    pub seed: u64,
    /// Its first violation.
    pub first: super::Violation,
    /// When it began, seconds into the chaos.
    pub offset: f64,
    /// How many it had.
    pub violations: usize,
}

/// What a campaign found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Campaign {
    /// Seeds run.
    pub runs: u64,
    /// Wall-clock seconds it took.
    pub seconds: f64,
    /// Faults and repairs played over all runs.
    pub faults: usize,
    /// The seeds that broke an invariant, in seed order.
    pub failures: Vec<Failure>,
}

/// Runs `count` seeds from `first` (each `duration` seconds of chaos) on `cluster`; `each` is
/// told every run's report as it ends.
pub fn campaign(
    cluster: &Cluster,
    (first, count): (u64, u64),
    duration: f64,
    unsynced: bool,
    each: &mut dyn FnMut(&Report),
) -> Result<Campaign> {
    let began = Instant::now();
    let mut failures = Vec::new();
    let mut faults = 0;
    for seed in first..first.saturating_add(count) {
        let spec = Spec {
            duration,
            seed,
            plant: false,
        };
        let report = run(cluster, &spec, unsynced)?;
        faults += report.result.faults.len();
        if let Some(v) = report.violations.first() {
            failures.push(Failure {
                seed,
                first: v.clone(),
                offset: v.from - report.result.start,
                violations: report.violations.len(),
            });
        }
        each(&report);
    }
    Ok(Campaign {
        runs: count,
        seconds: began.elapsed().as_secs_f64(),
        faults,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_campaign_on_the_sync_pair_keeps_every_invariant() {
        let c = campaign(&sync_pair(), (1, 40), 60.0, false, &mut |_| {}).expect("campaign");
        assert_eq!(c.runs, 40);
        assert!(c.faults > 40 * 4, "the campaign played faults: {c:?}");
        assert!(c.failures.is_empty(), "{:?}", c.failures);
    }

    #[test]
    fn the_campaign_catches_the_planted_sync_group_bug_with_a_seed_that_reproduces_it() {
        let cluster = sync_pair();
        let c = campaign(&cluster, (1, 40), 60.0, true, &mut |_| {}).expect("campaign");
        let f = c
            .failures
            .iter()
            .find(|f| f.first.invariant == "sync-group")
            .unwrap_or_else(|| panic!("the planted bug went unseen: {c:?}"));
        // The seed alone replays it, the same violation at the same time; without the bug the
        // same faults break nothing.
        let spec = Spec {
            duration: 60.0,
            seed: f.seed,
            plant: false,
        };
        let again = run(&cluster, &spec, true).expect("rerun");
        assert_eq!(again.violations.first(), Some(&f.first));
        let fixed = run(&cluster, &spec, false).expect("fixed");
        assert!(fixed.violations.is_empty(), "{:?}", fixed.violations);
    }

    #[test]
    fn the_same_seed_draws_and_plays_the_same_run() {
        let spec = Spec {
            duration: 40.0,
            seed: 9,
            plant: false,
        };
        let (x, y) = (
            run(&sync_pair(), &spec, false).expect("x"),
            run(&sync_pair(), &spec, false).expect("y"),
        );
        assert_eq!(x.result.transitions, y.result.transitions);
        assert!(!x.result.transitions.is_empty());
    }
}
