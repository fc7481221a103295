//! The simulator against the namespace drill: for each built-in scenario the simulator can
//! run, havipd's transitions per server in namespaces (its transition log) and the
//! simulator's node's are the same sequence of (from, to) per server and instance. Times are
//! not compared. The built-in loss is spread evenly (the same packets dropped by nftables and
//! by the simulator), so it is held to equality too. Needs root and namespaces (skips through hostcheck otherwise).

use lab::daemon::Kind;
use lab::drill::{self, DrillResult};
use std::collections::BTreeMap;

/// Per server, its instances' transitions in order: (instance, from, to).
type Sequences = BTreeMap<String, Vec<(String, String, String)>>;

fn sequences(r: &DrillResult) -> Sequences {
    let mut out = Sequences::new();
    let field = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    for t in &r.transitions {
        out.entry(field(t, "server")).or_default().push((
            field(t, "instance"),
            field(t, "from"),
            field(t, "to"),
        ));
    }
    out
}

/// Namespace drills run at once: each has a lab of its own, and only the order of
/// transitions is compared, so they need not wait for each other (16 drills of 9-15 s each).
const AT_ONCE: usize = 4;

/// Whether the simulator and a namespace drill of `sc` make the same transitions; said on
/// standard error either way.
fn conforms(sc: &drill::Scenario) -> bool {
    let simulated = lab::sim::run(sc).expect("simulated drill");
    let real = drill::run(sc, [Kind::Havipd; 2], &|_| {}, &|_, _| {}).expect("namespace drill");
    let (s, r) = (sequences(&simulated), sequences(&real));
    if s == r {
        eprintln!("{}: same transitions", sc.name);
        return true;
    }
    eprintln!(
        "{}: DIFFERENT\n  simulator:  {s:?}\n  namespaces: {r:?}",
        sc.name
    );
    false
}

#[test]
fn the_simulator_makes_the_same_transitions_as_havipd_in_namespaces() {
    if hostcheck::skip_reason("sim conformance", &["nft"]).is_some() {
        return;
    }
    let netem = hostcheck::cannot_run(&["tc"]).is_none() && lab::faults::netem_available();
    let mut runnable = Vec::new();
    for sc in drill::scenarios().expect("scenarios") {
        if sc.steps.iter().any(|s| s.action.needs_namespaces()) {
            continue;
        }
        let delays = sc
            .steps
            .iter()
            .any(|s| matches!(s.action, drill::Action::Delay { .. }));
        if delays && !netem {
            hostcheck::kernel_lacks(
                &format!("sim conformance {}", sc.name),
                "tc netem (sch_netem)",
            );
            continue;
        }
        runnable.push(sc);
    }
    assert!(
        runnable.len() >= 10,
        "only {} scenarios compared",
        runnable.len()
    );
    let queue = std::sync::Mutex::new(runnable.iter());
    let differ = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..AT_ONCE {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").next();
                    let Some(sc) = next else { break };
                    if !conforms(sc) {
                        differ.lock().expect("differ").push(sc.name.clone());
                    }
                }
            });
        }
    });
    let differ = differ.into_inner().expect("differ");
    assert!(differ.is_empty(), "the simulator differs on {differ:?}");
}
