//! The same scenarios in the `sim` simulator, on virtual time: no root, no namespaces, exact
//! and repeatable. Each server runs havipd's node on its whole config (with the scenario's
//! edits), read by `conf`; the client's view of each VIP is who serves it.

use crate::cluster::Cluster;
use crate::drill::{Action, DrillResult, Scenario, edited};
use crate::probe::{INTERVAL_S, Outage};
use crate::timeline::{self, Mark};
use anyhow::{Result, anyhow};
use sim::record::{of_instance, outages};
use sim::{Interface, LinkFaults, Network, NodeId};
use std::net::IpAddr;
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

/// How to run a scenario in the simulator.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The seed of the network's random choices (loss, jitter).
    pub seed: u64,
    /// Plant the sync-group bug in every server's node (chaos campaigns must catch it).
    pub unsynced_groups: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            unsynced_groups: false,
        }
    }
}

/// Runs `scenario` on the seed pair in the simulator (seed 1). Times are virtual seconds.
pub fn run(scenario: &Scenario) -> Result<DrillResult> {
    run_on(&Cluster::seed(), scenario, Options::default())
}

/// The interfaces of a lab server as the simulator plugs them: its interface on segment 0
/// with its addresses and an IPv6 link-local one.
fn interfaces(cluster: &Cluster, k: usize) -> Vec<Interface> {
    let h = &cluster.members[k].host;
    let mut addrs: Vec<IpAddr> = h.v4.map(IpAddr::V4).into_iter().collect();
    addrs.extend(h.v6.map(IpAddr::V6));
    addrs.push(IpAddr::V6(std::net::Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        0,
        0,
        0,
        k as u16 + 1,
    )));
    vec![Interface::new(&h.iface, 0, &addrs)]
}

/// Builds the cluster's servers (configs with the scenario's edits) and lets the election
/// settle: the first server starts, the others half a second later, then 15 s pass.
fn settled(
    cluster: &Cluster,
    scenario: &Scenario,
    opts: Options,
) -> Result<(Network, Vec<NodeId>)> {
    let mut net = Network::new(opts.seed);
    let mut nodes = Vec::new();
    for (k, m) in cluster.members.iter().enumerate() {
        let label = &m.host.label;
        let text = edited(&m.config, &scenario.edits, label, "/sim");
        let id = net
            .add_host(label, &text, interfaces(cluster, k))
            .map_err(|e| anyhow!("server {label}: {e}"))?;
        net.plant_unsynced_groups(id, opts.unsynced_groups);
        nodes.push(id);
    }
    for (k, id) in nodes.iter().enumerate() {
        net.start(*id);
        if k == 0 {
            net.run_for(Micros(500_000));
        }
    }
    net.run_for(Micros::from_secs(15));
    Ok((net, nodes))
}

/// Runs `scenario` on `cluster`'s servers in the simulator. Times are virtual seconds.
pub fn run_on(cluster: &Cluster, scenario: &Scenario, opts: Options) -> Result<DrillResult> {
    if scenario.steps.iter().any(|s| s.action.needs_ovn()) {
        return Err(anyhow!(
            "scenario `{}` acts on an OVN chassis: it needs namespaces and --vpc ovn, not the simulator",
            scenario.name
        ));
    }
    if scenario.steps.iter().any(|s| s.action.needs_namespaces()) {
        return Err(anyhow!(
            "scenario `{}` has an attacker on the wire or addresses added by hand: it needs namespaces (run as root), not the simulator",
            scenario.name
        ));
    }
    let (mut net, nodes) = settled(cluster, scenario, opts)?;
    let labels = cluster.labels();
    let roles = roles(&net, &nodes, cluster);
    let start = net.now();
    let mut steps = scenario.steps.clone();
    steps.sort_by(|x, y| x.at.total_cmp(&y.at));
    let mut marks = Vec::new();
    for step in &steps {
        net.run_until(start + Micros((step.at * 1e6) as u64));
        let k = server_index(&labels, roles, step.action.node()).ok_or_else(|| {
            anyhow!(
                "step `{}`: no server {}",
                step.action.label(),
                step.action.node()
            )
        })?;
        marks.push(Mark {
            time: secs(net.now()),
            label: step.action.label(),
        });
        let handover = scenario
            .havipd_args
            .iter()
            .any(|a| a == "--handover-on-stop");
        match step.action {
            Action::Stop { .. } if handover => net.stop_after_handover(nodes[k]),
            _ => apply(&mut net, &nodes, nodes[k], &step.action),
        }
    }
    let end = start + Micros((scenario.duration * 1e6) as u64);
    net.run_until(end);
    let vips: Vec<crate::drill::VipResult> = cluster
        .vips
        .iter()
        .map(|vip| vip_result(&net, &nodes, &labels, vip, (start, end)))
        .collect();
    let first_fault = marks.first().map(|m| m.time);
    let time_to_new_master = first_fault.and_then(|t0| {
        net.vip_records()
            .iter()
            .find(|r| r.node != nodes[roles.0] && r.holds && secs(r.at) >= t0)
            .map(|r| secs(r.at) - t0)
    });
    Ok(DrillResult {
        lab_id: String::new(),
        backend: "simulator".into(),
        scenario: scenario.name.clone(),
        daemon: "havipd (simulated)".into(),
        start: secs(start),
        end: secs(end),
        transitions: transitions(&net, &labels),
        time_to_new_master,
        faults: marks,
        ..DrillResult::from_vips(vips)
    })
}

/// The built-in scenarios' roles, as the namespace drill finds them once elected: `a` holds
/// the first VIP, `b` is another server.
fn roles(net: &Network, nodes: &[NodeId], cluster: &Cluster) -> (usize, usize) {
    let first = cluster
        .vips
        .first()
        .and_then(|v| nodes.iter().position(|n| net.holds(*n, &v.instance)))
        .unwrap_or(0);
    let second = (0..nodes.len()).find(|k| *k != first).unwrap_or(first);
    (first, second)
}

/// The server a step names: by label, or by role (`a`, `b`).
fn server_index(labels: &[String], (a, b): (usize, usize), node: &str) -> Option<usize> {
    labels.iter().position(|l| l == node).or(match node {
        "a" => Some(a),
        "b" => Some(b),
        _ => None,
    })
}

/// The transitions as havipd's transition log has them, with the server added.
fn transitions(net: &Network, labels: &[String]) -> Vec<serde_json::Value> {
    net.transitions()
        .iter()
        .map(|t| {
            serde_json::json!({
                "time": secs(t.at),
                "server": labels[t.node.0],
                "instance": net.instance_name(t.instance),
                "from": t.from.to_string(),
                "to": t.to.to_string(),
                "reason": t.reason.kind(),
            })
        })
        .collect()
}

/// One VIP's outages (gaps in who serves its instance) and holders, from the start.
fn vip_result(
    net: &Network,
    nodes: &[NodeId],
    labels: &[String],
    vip: &crate::cluster::Vip,
    (start, end): (Timestamp, Timestamp),
) -> crate::drill::VipResult {
    let key = net.instance_key(&vip.instance);
    let serving = key
        .map(|k| of_instance(net.serving_records(), k))
        .unwrap_or_default();
    let held = key
        .map(|k| of_instance(net.vip_records(), k))
        .unwrap_or_default();
    let gaps: Vec<Outage> = outages(&serving, nodes, start)
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
    let mut holds = vec![false; nodes.len()];
    let mut samples = vec![(secs(start), holds.clone())];
    for r in &held {
        holds[r.node.0] = r.holds;
        let at = secs(r.at.max(start));
        match samples.last_mut() {
            Some(last) if last.0 == at => last.1 = holds.clone(),
            _ => samples.push((at, holds.clone())),
        }
    }
    let names: Vec<&str> = labels.iter().map(String::as_str).collect();
    let holders = timeline::spans(&samples, &names, secs(end));
    crate::drill::VipResult::new(vip, gaps, 0, Vec::new(), holders)
}

fn apply(net: &mut Network, all: &[NodeId], n: NodeId, action: &Action) {
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
            let others: Vec<NodeId> = all.iter().copied().filter(|x| *x != n).collect();
            net.partition(&[n], &others);
        }
        Action::Heal { .. } => net.heal(),
        Action::Loss {
            percent, spread, ..
        } => net.set_faults(LinkFaults {
            loss: f64::from(*percent) / 100.0,
            spread: *spread,
            ..LinkFaults::default()
        }),
        Action::Delay { ms, .. } => net.set_faults(LinkFaults {
            delay: Micros(u64::from(*ms) * 1000),
            ..LinkFaults::default()
        }),
        Action::Clear { .. } => net.set_faults(LinkFaults::default()),
        // The check's script now fails (passes): every vrrp_script of the server.
        Action::FailCheck { .. } => {
            net.set_checks(n, false);
        }
        Action::PassCheck { .. } => {
            net.set_checks(n, true);
        }
        // The tracked service dies (starts): every vrrp_track_process of the server.
        Action::KillProcess { .. } => {
            net.set_processes(n, false);
        }
        Action::StartProcess { .. } => {
            net.set_processes(n, true);
        }
        // Refused before the run: the simulator has no attacker and no OVN.
        Action::Forge { .. }
        | Action::Capture { .. }
        | Action::Replay { .. }
        | Action::Claim { .. }
        | Action::ChassisPowerCut { .. }
        | Action::ChassisPowerOn { .. }
        | Action::PortRecreate { .. }
        | Action::DbPowerCut { .. }
        | Action::PortBurst { .. } => {}
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
            if sc.steps.iter().any(|s| s.action.needs_namespaces()) {
                // The simulator has no attacker and no OVN: it says so instead of running a
                // harmless drill.
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

    #[test]
    fn handover_on_stop_hands_over_before_the_daemon_stops() {
        let sc = crate::drill::scenario("graceful-handover").expect("scenario");
        let r = run(&sc).expect("run");
        let of_a: Vec<(String, String)> = r
            .transitions
            .iter()
            .filter(|t| t["server"] == "a")
            .map(|t| (t["from"].to_string(), t["to"].to_string()))
            .collect();
        let tail: Vec<String> = of_a
            .iter()
            .rev()
            .take(2)
            .map(|(f, t)| format!("{f}>{t}"))
            .collect();
        assert_eq!(
            tail,
            ["\"BACKUP\">\"STOP\"", "\"MASTER\">\"BACKUP\""],
            "{of_a:?}"
        );
        assert!(r.outages.is_empty(), "make-before-break: {r:?}");
    }
}
