//! Golden traces: each folder in tests/conformance/ holds `config.json` (a `RouterConfig`),
//! `events.jsonl` (input steps) and `expected.jsonl` (every output with the state and next
//! deadline after it). A run that differs fails; `HAVIP_UPDATE_GOLDEN=1` rewrites the expected
//! files when behaviour changes on purpose. The daemon's recording flag writes the same format,
//! so a real run can become a case.

use serde::{Deserialize, Serialize};
use std::path::Path;
use vrrp::{Action, Event, Router, RouterConfig, State, Timestamp};

/// One input line.
#[derive(Deserialize)]
#[serde(untagged)]
enum Step {
    /// Deliver an event at a time.
    At { at: u64, event: Event },
    /// Fire every timer at its deadline up to and including this time.
    RunUntil { run_until: u64 },
}

/// One output line.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Output {
    at: u64,
    input: String,
    actions: Vec<Action>,
    state: State,
    next_deadline: Option<u64>,
}

fn run_case(dir: &Path) -> Vec<String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
    };
    let cfg: RouterConfig = serde_json::from_str(&read("config.json")).expect("config.json parses");
    let mut router = Router::new(cfg).expect("config.json is valid");
    let mut lines = Vec::new();
    let mut record = |r: &Router, at: u64, input: String, actions: Vec<Action>| {
        let o = Output {
            at,
            input,
            actions,
            state: r.state(),
            next_deadline: r.next_deadline().map(|t| t.0),
        };
        lines.push(serde_json::to_string(&o).expect("serialises"));
    };
    for (n, line) in read("events.jsonl")
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let step: Step = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: events.jsonl:{}: {e}", dir.display(), n + 1));
        match step {
            Step::At { at, event } => {
                let input = serde_json::to_string(&event).expect("serialises");
                let actions = router.handle(Timestamp(at), event);
                record(&router, at, input, actions);
            }
            Step::RunUntil { run_until } => {
                while let Some(t) = router.next_deadline().filter(|t| t.0 <= run_until) {
                    let actions = router.handle(t, Event::Timer);
                    record(&router, t.0, "\"Timer\"".into(), actions);
                }
            }
        }
    }
    lines
}

#[test]
fn golden_traces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let update = std::env::var("HAVIP_UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("conformance dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 4,
        "expected the conformance cases, found {}",
        dirs.len()
    );
    for dir in dirs {
        let got = run_case(&dir).join("\n") + "\n";
        let path = dir.join("expected.jsonl");
        if update {
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            let first = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            panic!(
                "{}: output differs at line {}\n want: {}\n  got: {}\n(HAVIP_UPDATE_GOLDEN=1 rewrites it if the change is intended)",
                dir.display(),
                first + 1,
                want.lines().nth(first).unwrap_or("<end>"),
                got.lines().nth(first).unwrap_or("<end>")
            );
        }
    }
}
