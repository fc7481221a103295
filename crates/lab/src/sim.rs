//! The same scenarios in the `sim` simulator, on virtual time: no root, no namespaces, exact
//! and repeatable. The seed configs (with the scenario's edits) are read by `conf` and run by
//! the same `vrrp::Router` havipd runs; the client's view is who serves the VIP.

use crate::drill::{Action, DrillResult, Scenario, edited};
use crate::probe::{INTERVAL_S, Outage};
use crate::seeds;
use crate::timeline::{self, Mark};
use anyhow::{Result, anyhow};
use sim::record::outages;
use sim::{LinkFaults, Network, NodeId};
use vrrp::{Micros, RouterConfig, Timestamp};

/// The seed config of server `node` as the router runs it.
pub fn router_config(text: &str) -> Result<RouterConfig> {
    let report = conf::check_text(text, &conf::Options::default());
    let inst = report
        .config
        .instances
        .first()
        .ok_or_else(|| anyhow!("the seed config has no vrrp_instance"))?;
    conf::effective::resolve(&report.config, inst, None)
        .map(|e| e.router)
        .map_err(|e| anyhow!(e))
}

fn secs(t: Timestamp) -> f64 {
    t.0 as f64 / 1e6
}

/// Runs `scenario` in the simulator (seed 1). Times in the result are virtual seconds.
pub fn run(scenario: &Scenario) -> Result<DrillResult> {
    if scenario.steps.iter().any(|s| s.action.needs_namespaces()) {
        return Err(anyhow!(
            "scenario `{}` has an attacker on the wire or addresses added by hand: it needs namespaces (run as root), not the simulator",
            scenario.name
        ));
    }
    let configs = [seeds::PRIMARY, seeds::SECONDARY]
        .iter()
        .zip(["a", "b"])
        .map(|(text, node)| router_config(&edited(text, &scenario.edits, node, "/sim")))
        .collect::<Result<Vec<_>>>()?;
    let mut net = Network::new(1);
    let a = net.add_node("a", configs[0].clone());
    let b = net.add_node("b", configs[1].clone());
    let nodes = [a, b];
    net.start(a);
    net.run_for(Micros(500_000));
    net.start(b);
    // Election settles (the secondary waits Master_Down_Interval as a backup).
    net.run_for(Micros::from_secs(15));
    let start = net.now();
    let mut steps = scenario.steps.clone();
    steps.sort_by(|x, y| x.at.total_cmp(&y.at));
    let mut marks = Vec::new();
    for step in &steps {
        net.run_until(start + Micros((step.at * 1e6) as u64));
        let n: NodeId = if step.action.node() == "a" { a } else { b };
        marks.push(Mark {
            time: secs(net.now()),
            label: step.action.label(),
        });
        apply(&mut net, n, &step.action);
    }
    let end = start + Micros((scenario.duration * 1e6) as u64);
    net.run_until(end);
    let gaps: Vec<Outage> = outages(net.serving_records(), &nodes, start)
        .iter()
        .map(|i| {
            let stop = i.end.unwrap_or(end);
            Outage {
                start: secs(i.start),
                end: secs(stop),
                lost: ((stop - i.start).0 as f64 / 1e6 / INTERVAL_S) as u32,
            }
        })
        .collect();
    // Holder samples from the VIP records, from the start of probing.
    let mut holds = [false, false];
    let mut samples = Vec::new();
    for r in net.vip_records() {
        let k = usize::from(r.node == b);
        holds[k] = r.holds;
        samples.push((secs(r.at.max(start)), holds.to_vec()));
    }
    if samples.is_empty() || samples[0].0 > secs(start) {
        samples.insert(0, (secs(start), vec![false, false]));
    }
    let holders = timeline::spans(&samples, &["a", "b"], secs(end));
    let first_fault = marks.first().map(|m| m.time);
    let time_to_new_master = first_fault.and_then(|t0| {
        net.vip_records()
            .iter()
            .find(|r| r.node == b && r.holds && secs(r.at) >= t0)
            .map(|r| secs(r.at) - t0)
    });
    let vip = crate::cluster::Cluster::seed().vips.remove(0);
    let seen = crate::drill::VipResult::new(&vip, gaps, 0, Vec::new(), holders);
    Ok(DrillResult {
        lab_id: String::new(),
        backend: "simulator".into(),
        scenario: scenario.name.clone(),
        daemon: "havipd (simulated)".into(),
        start: secs(start),
        end: secs(end),
        transitions: net
            .transitions()
            .iter()
            .map(|t| serde_json::to_value(t).unwrap_or_default())
            .collect(),
        time_to_new_master,
        faults: marks,
        ..DrillResult::from_vips(vec![seen])
    })
}

fn apply(net: &mut Network, n: NodeId, action: &Action) {
    match action {
        Action::Cut { .. } => {
            net.set_cut(n, true);
            net.set_link(n, false);
        }
        Action::Restore { .. } => {
            net.set_cut(n, false);
            net.set_link(n, true);
        }
        // Both daemons' VRRP processes resign when their main process is killed.
        Action::Kill { .. } => net.stop(n),
        Action::Stop { .. } => net.stop(n),
        Action::Start { .. } => net.start(n),
        Action::Maintenance { .. } => net.set_maintenance(n, true),
        Action::Reboot { .. } => net.crash(n),
        Action::LinkDown { .. } => net.set_link(n, false),
        Action::LinkUp { .. } => net.set_link(n, true),
        Action::Partition { .. } => {
            let all: Vec<NodeId> = (0..2).map(NodeId).filter(|x| *x != n).collect();
            net.partition(&[n], &all);
        }
        Action::Heal { .. } => net.heal(),
        Action::Loss { percent, .. } => net.set_faults(LinkFaults {
            loss: f64::from(*percent) / 100.0,
            ..LinkFaults::default()
        }),
        Action::Delay { ms, .. } => net.set_faults(LinkFaults {
            delay: Micros(u64::from(*ms) * 1000),
            ..LinkFaults::default()
        }),
        Action::Clear { .. } => net.set_faults(LinkFaults::default()),
        Action::FailCheck { .. } => net.set_track_fault(n, true),
        // Refused before the run: the simulator has no attacker.
        Action::Forge { .. }
        | Action::Capture { .. }
        | Action::Replay { .. }
        | Action::Claim { .. } => {}
        Action::PassCheck { .. } => net.set_track_fault(n, false),
        // The service's death is a tracked object's failure, as a failing check.
        Action::KillProcess { .. } => net.set_track_fault(n, true),
        Action::StartProcess { .. } => net.set_track_fault(n, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_in_the_simulator_is_master_down_interval_after_the_last_advert() {
        let sc = crate::drill::scenario("crash").expect("crash");
        let r = run(&sc).expect("sim drill");
        assert_eq!(r.backend, "simulator");
        assert_eq!(r.outages.len(), 1, "{r:?}");
        let ms = r.worst_outage_ms();
        // MDI of the secondary (priority 50, advert_int 1): 3.8047 s after the last advert.
        assert!((2804.0..=3805.0).contains(&ms), "{ms}");
        assert_eq!(r.final_holder.as_deref(), Some("b"));
    }

    #[test]
    fn every_scenario_runs_in_the_simulator() {
        for sc in crate::drill::scenarios().expect("scenarios") {
            if sc.steps.iter().any(|s| s.action.is_attack()) {
                // The simulator has no attacker: it says so instead of running a harmless drill.
                let e = run(&sc).expect_err("attack refused");
                assert!(e.to_string().contains("needs namespaces"), "{e}");
                continue;
            }
            let r = run(&sc).unwrap_or_else(|e| panic!("{}: {e}", sc.name));
            assert!(!r.holders.is_empty(), "{}", sc.name);
        }
    }

    #[test]
    fn partition_is_split_brain_until_healed_and_backup_restart_costs_nothing() {
        let r = run(&crate::drill::scenario("partition").expect("partition")).expect("run");
        let sb = r.split_brain.first().expect("split brain reported");
        // Healed at t = 7 s: gone within one advert interval.
        assert!(sb.to - r.start <= 7.0 + 1.0 + 1e-6, "{sb:?}");
        let r = run(&crate::drill::scenario("backup-restart").expect("scenario")).expect("run");
        assert!(r.outages.is_empty(), "{r:?}");
    }
}
