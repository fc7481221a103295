//! `--metrics-listen`: the exposition scraped over HTTP inside a namespace and parsed by the
//! Prometheus project's own parser (`prometheus_client`, Python, installed by `.ci/run` in
//! `target/pyenv`), with the keepalived exporter's names; and the listener's guards.

mod common;
use common::{Lab, seed, wait_until};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

const VIP: &str = "172.16.16.12";

fn python() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python");
    let ok = std::process::Command::new(&p)
        .args(["-c", "import prometheus_client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    let why = "target/pyenv with prometheus-client is missing (.ci/run installs it)";
    hostcheck::skip("metrics", why);
    None
}

/// GETs `url` from inside `host` with extra headers; returns (status, body).
const FETCH: &str = r#"
import http.client, json, sys
url, headers = sys.argv[1], json.loads(sys.argv[2])
hostport, path = url.split('/', 1)
c = http.client.HTTPConnection(hostport, timeout=5)
c.putrequest(sys.argv[3] if len(sys.argv) > 3 else 'GET', '/' + path, skip_host='Host' in headers)
for k, v in headers.items():
    c.putheader(k, v)
c.endheaders()
r = c.getresponse()
print(json.dumps({"status": r.status, "body": r.read().decode()}))
"#;

/// Parses an exposition with prometheus_client: {family: [[labels, value], ...]}.
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps(out))
"#;

fn fetch(
    lab: &Lab,
    py: &std::path::Path,
    host: &str,
    url: &str,
    headers: Value,
    method: &str,
) -> (u64, String) {
    let out = lab.exec(
        host,
        &[
            py.to_str().expect("path"),
            "-c",
            FETCH,
            url,
            &headers.to_string(),
            method,
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("fetch failed: {}", String::from_utf8_lossy(&out.stderr)));
    (
        v["status"].as_u64().unwrap_or(0),
        v["body"].as_str().unwrap_or("").to_string(),
    )
}

fn parse(py: &std::path::Path, text: &str) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new(py)
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("parse");
    assert!(
        out.status.success(),
        "parser refused it: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn value(m: &Value, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    m[name].as_array()?.iter().find_map(|s| {
        labels
            .iter()
            .all(|(k, v)| s[0][*k] == *v)
            .then(|| s[1].as_f64())
            .flatten()
    })
}

fn start(lab: &mut Lab, host: &str, config: &str, extra: &[&str]) {
    lab.havipd_with(host, host, config, host, extra);
}

#[test]
fn scraped_metrics_parse_and_carry_the_exporters_names() {
    let Some(py) = python() else { return };
    let Some(mut lab) = Lab::new("met", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    start(
        &mut lab,
        "a",
        &seed("en-primary.conf"),
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    std::thread::sleep(Duration::from_millis(500));
    start(
        &mut lab,
        "b",
        &seed("en-secondary.conf"),
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    assert!(
        wait_until(Duration::from_secs(8), || lab.holds("a", VIP)).is_some(),
        "{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_millis(3500));

    let (status, text) = fetch(
        &lab,
        &py,
        "a",
        "127.0.0.1:9650/metrics",
        Value::Object(Default::default()),
        "GET",
    );
    assert_eq!(status, 200, "{text}");
    let a = parse(&py, &text);
    let vip = [
        ("iname", "VI_1"),
        ("intf", "eth0"),
        ("vrid", "51"),
        ("ip_address", VIP),
    ];
    assert_eq!(
        value(&a, "keepalived_vrrp_state", &vip),
        Some(2.0),
        "{text}"
    );
    let mine = [("iname", "VI_1"), ("state", "MASTER")];
    assert!(value(&a, "keepalived_advertisements_sent_total", &mine).is_some_and(|n| n >= 3.0));
    assert_eq!(
        value(&a, "keepalived_become_master_total", &mine),
        Some(1.0)
    );
    assert_eq!(value(&a, "keepalived_up", &[]), Some(1.0));
    assert_eq!(
        value(&a, "havip_vip_present", &[("ip_address", VIP)]),
        Some(1.0)
    );
    let took = [
        ("iname", "VI_1"),
        ("to", "MASTER"),
        ("reason", "master_down"),
    ];
    assert_eq!(
        value(&a, "havip_transitions_total", &took),
        Some(1.0),
        "{text}"
    );
    assert!(value(&a, "havip_timer_lateness_seconds_count", &[]).is_some_and(|n| n >= 3.0));

    let (_, text) = fetch(
        &lab,
        &py,
        "b",
        "127.0.0.1:9650/metrics",
        Value::Object(Default::default()),
        "GET",
    );
    let b = parse(&py, &text);
    assert_eq!(value(&b, "keepalived_vrrp_state", &vip), Some(1.0));
    // Adverts every second: all gaps fall in the 2 s bucket, none in the 0.5 s one.
    let gaps = |le: &str| {
        value(
            &b,
            "havip_advert_interarrival_seconds_bucket",
            &[("iname", "VI_1"), ("le", le)],
        )
    };
    let n = gaps("+Inf").expect("inter-arrival histogram");
    assert!(n >= 2.0, "{text}");
    assert_eq!(gaps("2.0").or(gaps("2")), Some(n));
    assert_eq!(gaps("0.5"), Some(0.0));
}

#[test]
fn the_listener_refuses_rebinding_cross_origin_other_methods_and_missing_tokens() {
    let Some(py) = python() else { return };
    let Some(mut lab) = Lab::new("mtg", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    let config = common::instance("VI_1", 7, 100, "172.16.16.50", "");
    // A non-loopback address without a token: refused at start.
    start(
        &mut lab,
        "a",
        &config,
        &["--metrics-listen", "172.16.16.5:9650"],
    );
    assert!(wait_until(Duration::from_secs(5), || !lab.running("a")).is_some());
    assert!(
        lab.log("a").contains("--metrics-token-file"),
        "{}",
        lab.log("a")
    );

    let token = lab.write("token", "s3cret-token\n");
    std::fs::rename(lab.dir.join("a"), lab.dir.join("a-first")).ok();
    start(
        &mut lab,
        "a",
        &config,
        &[
            "--metrics-listen",
            "172.16.16.5:9650",
            "--metrics-token-file",
            &token,
        ],
    );
    let url = "172.16.16.5:9650/metrics";
    let ok = serde_json::json!({"Authorization": "Bearer s3cret-token"});
    assert!(
        wait_until(Duration::from_secs(5), || fetch(
            &lab,
            &py,
            "a",
            url,
            ok.clone(),
            "GET"
        )
        .0 == 200)
        .is_some(),
        "{}",
        lab.log("a")
    );
    let cases = [
        (serde_json::json!({}), "GET", 401),
        (
            serde_json::json!({"Authorization": "Bearer s3cret-tokeX"}),
            "GET",
            401,
        ),
        (
            serde_json::json!({"Authorization": "Bearer s3cret-token", "Host": "evil.example:9650"}),
            "GET",
            403,
        ),
        (
            serde_json::json!({"Authorization": "Bearer s3cret-token", "Origin": "http://evil.example"}),
            "GET",
            403,
        ),
        (ok.clone(), "POST", 405),
    ];
    for (headers, method, want) in cases {
        let (got, body) = fetch(&lab, &py, "a", url, headers.clone(), method);
        assert_eq!(got, want, "{method} {headers}: {body}");
        assert!(!body.contains("keepalived_vrrp_state"), "{body}");
    }
    let (got, _) = fetch(&lab, &py, "a", "172.16.16.5:9650/other", ok, "GET");
    assert_eq!(got, 404);
}
