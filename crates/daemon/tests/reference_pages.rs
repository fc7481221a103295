//! The reference pages generated from havipd's code, and a running havipd's output against
//! them: `docs/metrics.md` (every family the exposition writes, with type, labels and help)
//! and `docs/schemas/stats.schema.json` (from `stats.json`'s type) are what the code
//! generates (`HAVIP_REGENERATE=1` rewrites them, a difference fails); the seed pair's
//! `stats.json`, `transitions.jsonl`, control-socket replies and metrics validate against the
//! schemas in `docs/schemas/` and the families of the page.

mod common;
use common::{Lab, seed, wait_until};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const VIP: &str = "172.16.16.12";

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// Writes `text` to `docs/<name>` under `HAVIP_REGENERATE=1`; fails when they differ.
fn generated(name: &str, text: &str) {
    let path = docs().join(name);
    if std::env::var("HAVIP_REGENERATE").as_deref() == Ok("1") {
        std::fs::write(&path, text).expect("write a generated page");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == text,
        "docs/{name} is stale: HAVIP_REGENERATE=1 cargo test -p daemon --test reference_pages"
    );
}

#[test]
fn docs_metrics_md_is_what_the_exposition_writes() {
    generated("metrics.md", &daemon::metrics_reference::markdown());
}

#[test]
fn docs_stats_schema_is_what_the_type_generates() {
    let schema = daemon::stats_schema().to_value();
    let text = serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n";
    generated("schemas/stats.schema.json", &text);
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(docs().join("schemas").join(name)).expect("a schema");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, what: &str, value: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {value}\n{errors:?}");
}

/// The reply lines to one request on the control socket.
fn ask(state: &Path, request: &str) -> Vec<Value> {
    let mut s = UnixStream::connect(state.join(ctl::SOCKET_NAME)).expect("the control socket");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    writeln!(s, "{request}").expect("send the request");
    BufReader::new(s)
        .lines()
        .map_while(Result::ok)
        .map(|l| serde_json::from_str(&l).expect("a JSON reply line"))
        .collect()
}

#[test]
fn a_running_havipd_s_files_replies_and_metrics_follow_the_references() {
    let Some(mut lab) = Lab::new("ref", &["python3"]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    let metrics = ["--metrics-listen", "127.0.0.1:9650"];
    let a = lab.havipd_with("a", "a", &seed("en-primary.conf"), "a", &metrics);
    std::thread::sleep(Duration::from_millis(500));
    let b = lab.havipd_with("b", "b", &seed("en-secondary.conf"), "b", &[]);
    assert!(
        wait_until(Duration::from_secs(8), || lab.holds("a", VIP)).is_some(),
        "{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_millis(1500));

    let lines = validator("transitions.schema.json");
    for state in [&a, &b] {
        let text = std::fs::read_to_string(state.join("transitions.jsonl")).expect("transitions");
        assert!(text.lines().count() >= 1, "no transition in {state:?}");
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            assert_valid(&lines, "transitions.jsonl", &v);
        }
    }

    let stats = validator("stats.schema.json");
    for (name, state) in [("a", &a), ("b", &b)] {
        let file = state.join("stats.json");
        let _ = std::fs::remove_file(&file);
        lab.kill(name, "USR2");
        wait_until(Duration::from_secs(3), || file.exists()).expect("stats.json on SIGUSR2");
        std::thread::sleep(Duration::from_millis(100));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("stats.json"))
            .expect("JSON");
        assert!(v["instances"]["VI_1"]["advert_sent"].is_u64(), "{v}");
        assert_valid(&stats, "stats.json", &v);
    }

    let requests = validator("control-request.schema.json");
    let replies = validator("control-reply.schema.json");
    for request in [
        r#"{"cmd":"status"}"#,
        r#"{"cmd":"events"}"#,
        r#"{"cmd":"nope"}"#,
    ] {
        let r: Value = serde_json::from_str(request).expect("JSON");
        assert_eq!(
            requests.is_valid(&r),
            !request.contains("nope"),
            "{request}"
        );
        for state in [&a, &b] {
            let answer = ask(state, request);
            assert!(!answer.is_empty(), "no reply to {request}");
            for reply in &answer {
                assert_valid(&replies, request, reply);
            }
        }
    }

    let page: BTreeMap<String, (String, std::collections::BTreeSet<String>)> =
        daemon::metrics_reference::rendered_families()
            .into_iter()
            .map(|(name, kind, _, labels)| (name, (kind, labels)))
            .collect();
    let scraped = daemon::metrics_reference::families(&common::scrape_metrics(&lab, "a", 9650));
    assert!(scraped.len() >= 10, "{scraped:?}");
    for (name, kind, _, labels) in scraped {
        let (want_kind, want_labels) = page
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is served but not in docs/metrics.md"));
        assert_eq!(&kind, want_kind, "{name}'s type");
        assert!(
            labels.is_subset(want_labels),
            "{name}: served labels {labels:?}, page's {want_labels:?}"
        );
    }
}
