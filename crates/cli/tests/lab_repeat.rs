//! `havip lab drill --repeat N`: one lab, N runs per daemon taking turns, distributions out
//! (table, JSON, CSV, CDF picture), and nothing left behind.

use std::process::Command;

/// A fast crash: the seed pair as VRRPv3 at 0.05 s, the primary's cable cut 0.5 s in.
const FAST_CRASH: &str = r#"{
  "name": "fast-crash",
  "description": "VRRPv3 0.05 s pair, the primary's cable cut",
  "edits": [ { "line": "advert_int", "with": "    advert_int 0.05\n    version 3" } ],
  "steps": [ { "at": 0.5, "action": "cut", "node": "a" } ],
  "duration": 1.5
}"#;

/// Five runs per daemon check what twenty did (one lab, turns, clean starts, ordered
/// quantiles, CSV, picture) in a quarter of the time (CI spent 103 s here).
#[test]
fn five_fast_crashes_per_daemon_give_distributions_and_leave_nothing() {
    if hostcheck::skip_reason("lab drill --repeat", &["keepalived"]).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("havip-repeat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("fast.json");
    std::fs::write(&file, FAST_CRASH).expect("scenario");
    let (svg, csv) = (dir.join("cdf.svg"), dir.join("runs.csv"));
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args([
            "lab",
            "drill",
            "fast-crash",
            "--repeat",
            "5",
            "--vs",
            "keepalived",
            "--json",
        ])
        .arg("--scenario-file")
        .arg(&file)
        .arg("--svg")
        .arg(&svg)
        .arg("--csv")
        .arg(&csv)
        .output()
        .expect("havip runs");
    let picture = std::fs::read_to_string(&svg).unwrap_or_default();
    let rows = std::fs::read_to_string(&csv).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let runs = doc["runs"].as_array().expect("runs");
    // Its own lab is gone (other tests' labs may be running beside it).
    let id = runs[0]["lab_id"].as_str().expect("lab id").to_string();
    let left = lab::topology::namespaces_of(&id);
    assert!(left.is_empty(), "namespaces left behind: {left:?}");
    assert_eq!(runs.len(), 10);
    // One lab for the whole series, the daemons taking turns.
    assert!(runs.iter().all(|r| r["lab_id"] == runs[0]["lab_id"]));
    assert_eq!(runs[0]["daemon"], "havipd");
    assert_eq!(runs[1]["daemon"], "keepalived");
    // Each run starts clean: the primary elected, then the secondary takes over once.
    for r in runs {
        assert_eq!(r["final_holder"], "b", "{r}");
        let takeover = r["time_to_new_master"]
            .as_f64()
            .unwrap_or_else(|| panic!("no takeover: {r}"));
        // Master_Down_Interval at priority 50, 0.05 s: 3 x 0.05 + 0.05 x (256-50)/256 = 0.19 s,
        // plus the sampler's 10 ms and a loaded machine's margin.
        assert!((0.1..0.6).contains(&takeover), "{takeover} s: {r}");
    }
    let summary = doc["summary"].as_array().expect("summary");
    assert_eq!(summary.len(), 2);
    for s in summary {
        assert_eq!(s["runs"], 5);
        let q = &s["outage_ms"];
        let (p50, p90, p99, max) = (
            q["p50"].as_f64().unwrap_or(-1.0),
            q["p90"].as_f64().unwrap_or(-1.0),
            q["p99"].as_f64().unwrap_or(-1.0),
            q["max"].as_f64().unwrap_or(-1.0),
        );
        assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{s}");
        assert!(p50 < 600.0, "{s}");
    }
    assert_eq!(rows.lines().count(), 11, "{rows}");
    assert!(rows.starts_with("run,daemon,scenario,outage_ms"));
    let tree = roxmltree::Document::parse(&picture).expect("SVG parses");
    let lines: Vec<_> = tree
        .descendants()
        .filter(|n| n.attribute("class") == Some("daemon"))
        .collect();
    assert_eq!(lines.len(), 4, "two measures x two daemons");
    assert!(lines.iter().all(|n| n.attribute("data-runs") == Some("5")));
}

#[test]
fn repeat_is_refused_where_it_means_nothing() {
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["lab", "drill", "crash", "--sim", "--repeat", "3"])
        .output()
        .expect("havip runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--repeat needs namespaces"));
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["lab", "drill", "crash", "--repeat", "0"])
        .output()
        .expect("havip runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--repeat"));
}
