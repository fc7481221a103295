//! `havip lab` from the command line: the README's drill, `--vs keepalived` side by side,
//! the simulator fallback, and bad flags.

use std::process::Command;

mod common;
use common::havip_in_temp as havip;

fn root_with(tools: &[&str]) -> Option<String> {
    hostcheck::skip_reason("this lab test", tools)
}

/// A directory holding links to `tools` (found on `PATH`) and nothing else, to be the `PATH`
/// of a command that must not need anything more; removed on drop.
struct OnlyTools(std::path::PathBuf);

impl OnlyTools {
    fn new(tools: &[&str]) -> OnlyTools {
        let dir = std::env::temp_dir().join(format!("havip-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let path = std::env::var_os("PATH").expect("PATH");
        for tool in tools {
            let found = std::env::split_paths(&path)
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{tool} is not on PATH"));
            let link = dir.join(tool);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(found, link).expect("link");
        }
        OnlyTools(dir)
    }
}

impl Drop for OnlyTools {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The README's first command: the namespace drill, with nothing on `PATH` but a shell,
/// iproute2's `ip` and the keepalived it is compared with (no `ping`: the client probe is the
/// lab's own).
#[test]
fn drill_crash_vs_keepalived_prints_both_daemons_and_their_ratio() {
    if root_with(&["keepalived"]).is_some() {
        return;
    }
    let only = OnlyTools::new(&["sh", "ip", "keepalived"]);
    let svg = std::env::temp_dir().join(format!("havip-cli-{}.svg", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["lab", "drill", "crash", "--vs", "keepalived", "--svg"])
        .arg(&svg)
        .current_dir(std::env::temp_dir())
        .env("PATH", &only.0)
        .output()
        .expect("havip runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{errors}");
    assert!(
        !text.contains("simulated") && !errors.contains("simulator"),
        "not a namespace drill:\n{text}\n{errors}"
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
    };
    let (h, k) = (row("havipd"), row("keepalived"));
    assert!(h.is_some_and(|ms| ms > 2000.0), "{text}");
    assert!(k.is_some_and(|ms| ms > 2000.0), "{text}");
    assert!(text.contains("outage ratio havipd/keepalived:"), "{text}");
    let picture = std::fs::read_to_string(&svg).expect("svg written");
    let _ = std::fs::remove_file(&svg);
    assert_eq!(picture.matches("class=\"run\"").count(), 2);
}

#[test]
fn drill_in_the_simulator_says_so() {
    let svg = std::env::temp_dir().join(format!("havip-sim-{}.svg", std::process::id()));
    let out = havip(&[
        "lab",
        "drill",
        "graceful",
        "--sim",
        "--svg",
        &svg.display().to_string(),
    ]);
    let _ = std::fs::remove_file(&svg);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(simulated: virtual time"), "{text}");
    assert!(text.contains("havipd (simulated)"), "{text}");
}

#[test]
fn a_config_dir_drills_in_the_simulator_with_every_server() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three-node");
    let out = havip(&[
        "lab",
        "drill",
        "crash",
        "--sim",
        "--config-dir",
        &dir.display().to_string(),
        "--format",
        "json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let results: serde_json::Value = serde_json::from_str(&text).expect("json");
    let r = results
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or(&results);
    assert_eq!(r["backend"], "simulator", "{text}");
    let servers: std::collections::BTreeSet<&str> = r["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .filter_map(|t| t["server"].as_str())
        .collect();
    assert_eq!(
        servers.len(),
        3,
        "every server of the directory ran: {servers:?}"
    );
}

#[test]
fn bad_lab_arguments_are_named() {
    let out = havip(&["lab", "drill", "no-such-drill", "--sim"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no scenario `no-such-drill`; the scenarios are: crash"),
        "{err}"
    );
    let out = havip(&["lab", "drill", "crash", "--sim", "--daemon", "heartbeat"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown daemon `heartbeat`: havipd, keepalived or keepalived-2.4"),
        "{err}"
    );
    // A config directory the lab cannot place is refused before anything is built; without
    // namespaces, it is refused because only namespaces can run it.
    let out = havip(&[
        "lab",
        "drill",
        "crash",
        "--config-dir",
        "/nonexistent/havip",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reading /nonexistent/havip") || err.contains("--vpc needs namespaces"),
        "{err}"
    );
    let out = havip(&["lab", "drill", "crash", "--sim", "--vpc"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_scenario_file_of_ones_own_runs_and_its_mistakes_are_named() {
    let dir = std::env::temp_dir().join(format!("havip-scenario-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let good = dir.join("mine.json");
    std::fs::write(
        &good,
        r#"[{ "name": "double-cut", "description": "both cables cut, one back",
              "steps": [ { "at": 1, "action": "cut", "node": "a" },
                         { "at": 2, "action": "cut", "node": "b" },
                         { "at": 4, "action": "restore", "node": "b" } ],
              "duration": 9 }]"#,
    )
    .expect("write");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{ "name": "oops", "description": "", "steps": [ { "at": 1, "action": "kill", "node": "primary" } ], "duration": 5 }"#)
        .expect("write");
    let svg = dir.join("t.svg");
    let (good_s, bad_s, svg_s) = (
        good.display().to_string(),
        bad.display().to_string(),
        svg.display().to_string(),
    );
    let listed = havip(&["lab", "scenarios", "--scenario-file", &good_s]);
    let run = havip(&[
        "lab",
        "drill",
        "double-cut",
        "--sim",
        "--json",
        "--svg",
        &svg_s,
        "--scenario-file",
        &good_s,
    ]);
    let refused = havip(&["lab", "drill", "oops", "--sim", "--scenario-file", &bad_s]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("double-cut"));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(results[0]["scenario"], "double-cut");
    assert_eq!(
        results[0]["faults"].as_array().map(Vec::len),
        Some(3),
        "{results}"
    );
    assert_eq!(results[0]["final_holder"], "b", "{results}");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!(
            "{bad_s} #/steps/0: kill -9 primary: no server `primary`"
        )),
        "{err}"
    );
}

#[test]
fn lab_up_with_a_mixed_pair_serves_the_vip_and_lab_down_removes_everything() {
    if root_with(&["keepalived"]).is_some() {
        return;
    }
    let out = havip(&["lab", "up", "--daemon", "havipd,keepalived"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("lab "))
        .and_then(|l| l.split_whitespace().next())
        .expect("lab id")
        .to_string();
    let ns = |n: &str| format!("{}{id}{n}", lab::topology::PREFIX);
    // Whatever happens below, the lab goes.
    struct Down(String);
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = Command::new(env!("CARGO_BIN_EXE_havip"))
                .args(["lab", "down", &self.0])
                .output();
        }
    }
    let guard = Down(id.clone());
    assert!(
        text.contains("havipd") && text.contains("keepalived"),
        "{text}"
    );
    let pinged = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(200));
        lab::echo::answered(
            &ns("c"),
            [172, 16, 16, 12].into(),
            std::time::Duration::from_secs(1),
        )
    });
    assert!(pinged, "the client never reached the VIP");
    drop(guard);
    let left = lab::topology::leftovers();
    assert!(!left.iter().any(|n| n.contains(&id)), "{left:?}");
    let ps = lab::shell::sh("ps -eo args").expect("ps");
    assert!(!ps.contains(&format!("hvl{id}")), "processes left:\n{ps}");
}
