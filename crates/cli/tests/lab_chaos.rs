//! `havip lab chaos`: the same seed draws the same faults; a planted violation (every VIP
//! added by hand on every server) is caught by the invariant checker, reported with exit 1,
//! and saved as a scenario file the lab accepts and that replays it.

use std::path::Path;
use std::process::Command;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three-node")
}

#[test]
fn the_same_seed_draws_the_same_faults() {
    let setup = lab::drill::Setup::from_dir(&example()).expect("placed");
    let spec = |seed| lab::chaos::Spec {
        duration: 30.0,
        seed,
        plant: false,
    };
    let one = lab::chaos::draw(&setup.cluster, &spec(11)).expect("drawn");
    assert_eq!(
        one,
        lab::chaos::draw(&setup.cluster, &spec(11)).expect("drawn")
    );
    assert_ne!(
        one,
        lab::chaos::draw(&setup.cluster, &spec(12)).expect("drawn")
    );
    assert!(one.steps.len() >= 6, "{:?}", one.steps);
    // Every fault is repaired before the quiet end.
    let last = one.steps.iter().map(|s| s.at).fold(0.0, f64::max);
    assert!(last < 30.0 - 1.0, "{last}");
    let too_short = lab::chaos::Spec {
        duration: 2.0,
        ..spec(1)
    };
    let err = lab::chaos::draw(&setup.cluster, &too_short).expect_err("too short");
    assert!(
        err.to_string().contains("--duration 2 s is too short"),
        "{err}"
    );
}

#[test]
fn a_planted_violation_is_caught_and_saved_as_a_replay() {
    if hostcheck::skip_reason("lab chaos", &[]).is_some() {
        return;
    }
    let results = std::env::temp_dir().join(format!("havip-chaos-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["lab", "chaos", "--duration", "12", "--seed", "3", "--plant"])
        .arg("--config-dir")
        .arg(example())
        .arg("--results-dir")
        .arg(&results)
        .args(["--format", "json"])
        .output()
        .expect("havip runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let planted: Vec<&serde_json::Value> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["invariant"] == "one-holder")
        .collect();
    assert!(!planted.is_empty(), "{}", report["violations"]);
    let detail = planted[0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("at once, no partition"), "{detail}");
    // Its lab is gone.
    let id = report["result"]["lab_id"]
        .as_str()
        .expect("lab id")
        .to_string();
    assert!(
        lab::topology::namespaces_of(&id).is_empty(),
        "namespaces left"
    );
    // The report and the replay are in the results directory; the lab accepts the replay.
    assert!(results.join("chaos-3.json").exists());
    let replay = std::fs::read_dir(&results)
        .expect("results dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("chaos-3-"))
        .expect("a replay file");
    let text = std::fs::read_to_string(&replay).expect("replay");
    let first = &report["violations"][0];
    if first["invariant"] == "one-holder" {
        assert!(text.contains("\"claim\""), "{text}");
    }
    let listed = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["lab", "scenarios", "--scenario-file"])
        .arg(&replay)
        .arg("--config-dir")
        .arg(example())
        .output()
        .expect("havip runs");
    let _ = std::fs::remove_dir_all(&results);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains("chaos-3-"));
}

/// `havip lab chaos --sim` with a sync-group bug planted: the campaign exits 1 and names a
/// seed; `--seed` with that seed replays the sync-group violation; the same campaign without
/// the bug keeps every invariant. No root: the simulator.
#[test]
fn a_simulated_campaign_finds_the_planted_sync_group_bug_and_its_seed_reproduces_it() {
    let results = std::env::temp_dir().join(format!("havip-chaos-sim-{}", std::process::id()));
    let havip = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_havip"))
            .args(["lab", "chaos", "--sim", "--duration", "60"])
            .args(args)
            .arg("--results-dir")
            .arg(&results)
            .output()
            .expect("havip runs")
    };
    let out = havip(&["--seeds", "30", "--plant"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("reproduce: "))
        .unwrap_or_else(|| panic!("no seed to reproduce: {text}"));
    let seed = line
        .split_whitespace()
        .skip_while(|w| *w != "--seed")
        .nth(1)
        .expect("a seed");
    assert!(line.contains("--plant"), "{line}");
    let again = havip(&["--seed", seed, "--plant"]);
    let replayed = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{replayed}");
    assert!(replayed.contains("VIOLATION sync-group"), "{replayed}");
    let clean = havip(&["--seeds", "30"]);
    let text = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{text}");
    assert!(
        text.contains("every invariant held in every seed"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&results);
}
