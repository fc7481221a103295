//! The JSON Schemas of the control socket's requests and replies and of a `transitions.jsonl`
//! line, generated from the protocol's types (`docs/schemas/`; `HAVIP_REGENERATE=1` rewrites
//! them, a difference fails). Values of every variant validate against them, and wrong ones do
//! not. `crates/daemon/tests/reference_pages.rs` validates a running havipd's output too.

use ctl::{EventRecord, InstanceStatus, Reply, Request, Status};
use ctl::{MoverCount, MoverStatus, PeerSeen, ReloadOutcome, TrackerStatus, VipStatus};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

/// Each generated file: its name and the schema the types give.
fn generated() -> Vec<(&'static str, Value)> {
    let value = |s: schemars::Schema| s.to_value();
    vec![
        (
            "control-request.schema.json",
            value(schemars::schema_for!(Request)),
        ),
        (
            "control-reply.schema.json",
            value(schemars::schema_for!(Reply)),
        ),
        (
            "transitions.schema.json",
            value(schemars::schema_for!(EventRecord)),
        ),
    ]
}

fn text(schema: &Value) -> String {
    serde_json::to_string_pretty(schema).expect("a schema serializes") + "\n"
}

#[test]
fn docs_schemas_are_what_the_types_generate() {
    let dir = schemas_dir();
    let regenerate = std::env::var("HAVIP_REGENERATE").as_deref() == Ok("1");
    for (name, schema) in generated() {
        let path = dir.join(name);
        if regenerate {
            std::fs::create_dir_all(&dir).expect("make docs/schemas");
            std::fs::write(&path, text(&schema)).expect("write a schema");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == text(&schema),
            "docs/schemas/{name} is stale: HAVIP_REGENERATE=1 cargo test -p ctl --test schemas"
        );
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let (_, schema) = generated()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("a generated schema");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn event() -> EventRecord {
    EventRecord {
        time: 1_765_000_000.5,
        instance: "VI_1".into(),
        from: "BACKUP".into(),
        to: "MASTER".into(),
        reason: "master down".into(),
        priority: 50,
    }
}

fn status() -> Status {
    let instance = InstanceStatus {
        name: "VI_1".into(),
        interface: "eth0".into(),
        vrid: 51,
        version: 2,
        family: "inet".into(),
        state: "BACKUP".into(),
        wanted_state: "BACKUP".into(),
        maintenance: false,
        handing_over: false,
        base_priority: 50,
        effective_priority: 50,
        master: Some(PeerSeen {
            address: "172.16.16.5".into(),
            priority: 100,
        }),
        advert_int_ms: 1000.0,
        master_adver_int_ms: 1000.0,
        skew_ms: 804.6875,
        master_down_interval_ms: 3804.6875,
        since_last_advert_ms: Some(120.0),
        last_transition: Some(event()),
        vips: vec![VipStatus {
            address: "172.16.16.12/32".into(),
            interface: "eth0".into(),
            present: false,
            expected: false,
        }],
        trackers: vec![TrackerStatus {
            kind: "script".into(),
            name: "checkhaproxy".into(),
            ok: true,
            weight: 0,
            effect: 0,
        }],
        counters: BTreeMap::from([("advert_rcvd".to_string(), 12)]),
        mover: Some(MoverStatus {
            provider: "tencent".into(),
            method: "migrate".into(),
            eni: "eni-11112222".into(),
            phase: "held".into(),
            failures: 0,
            in_flight: None,
            last: Some("describe ok".into()),
            last_error: None,
            steps: vec![MoverCount {
                action: "claim".into(),
                outcome: "ok".into(),
                count: 1,
            }],
            calls: vec![MoverCount {
                action: "MigratePrivateIpAddress".into(),
                outcome: "throttled".into(),
                count: 2,
            }],
        }),
    };
    Status {
        pid: 42,
        config: "/etc/keepalived/keepalived.conf".into(),
        started: 1_765_000_000.0,
        dropped: BTreeMap::from([("no_instance".to_string(), 3)]),
        instances: vec![instance],
    }
}

#[test]
fn every_request_and_reply_validates_and_wrong_ones_do_not() {
    let requests = validator("control-request.schema.json");
    for r in [
        Request::Status,
        Request::Events { follow: true },
        Request::Reload,
        Request::SendGarp {
            instance: "VI_1".into(),
        },
        Request::Maintenance {
            on: true,
            instance: None,
        },
    ] {
        let v = serde_json::to_value(&r).expect("encodes");
        assert!(requests.is_valid(&v), "{v}");
    }
    assert!(!requests.is_valid(&json!({"cmd": "shutdown"})));
    assert!(!requests.is_valid(&json!({"cmd": "events", "follow": true, "x": 1})));

    let replies = validator("control-reply.schema.json");
    for r in [
        Reply::Status(status()),
        Reply::Event(event()),
        Reply::Reload(ReloadOutcome {
            applied: false,
            diagnostics: vec!["k.conf:3:1: error [stray-block]: ...".into()],
            message: "refused".into(),
        }),
        Reply::Done {
            message: "maintenance on".into(),
        },
        Reply::Error {
            message: "no instance VI_9".into(),
        },
    ] {
        let v = serde_json::to_value(&r).expect("encodes");
        let errors: Vec<String> = replies.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{v}: {errors:?}");
    }
    let mut wrong = serde_json::to_value(Reply::Status(status())).expect("encodes");
    wrong["instances"][0]["vrid"] = json!(300);
    assert!(!replies.is_valid(&wrong), "a VRID of 300 validated");
}

#[test]
fn a_transitions_line_validates_and_a_wrong_one_does_not() {
    let lines = validator("transitions.schema.json");
    let line = serde_json::to_string(&event()).expect("encodes");
    let v: Value = serde_json::from_str(&line).expect("a JSON line");
    assert!(lines.is_valid(&v), "{line}");
    let mut wrong = v.clone();
    wrong.as_object_mut().expect("an object").remove("reason");
    assert!(!lines.is_valid(&wrong), "a line without a reason validated");
}
