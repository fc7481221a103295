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
    // The probes are behind the same guards.
    for probe in ["healthz", "ready"] {
        let url = format!("172.16.16.5:9650/{probe}");
        let (got, body) = fetch(&lab, &py, "a", &url, serde_json::json!({}), "GET");
        assert_eq!(got, 401, "/{probe} without the token: {body}");
        assert!(!body.contains("VI_1"), "{body}");
        let (got, body) = fetch(&lab, &py, "a", &url, ok.clone(), "GET");
        assert!(
            got == 200 || got == 503,
            "/{probe} with the token: {got} {body}"
        );
    }
    let (got, _) = fetch(&lab, &py, "a", "172.16.16.5:9650/other", ok, "GET");
    assert_eq!(got, 404);
}

/// Holds N connections to 127.0.0.1:PORT for SECONDS: even ones idle, odd ones sending a
/// request a byte a second; any the server closes is opened again at once. Prints JSON counts.
const CLIENTS: &str = r#"
import json, resource, socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
def connect():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except (BlockingIOError, OSError):
        pass
    return [s, 0]
conns = [connect() for _ in range(n)]
made, closed = n, 0
end = time.time() + secs
while time.time() < end:
    for k, c in enumerate(conns):
        s = c[0]
        try:
            if s.recv(4096) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            s.close(); conns[k] = connect(); made += 1; closed += 1
            continue
        if k % 2 and c[1] < len(req):
            try:
                s.send(req[c[1]:c[1] + 1]); c[1] += 1
            except BlockingIOError:
                pass
            except OSError:
                pass
    time.sleep(1)
print(json.dumps({"made": made, "closed_by_server": closed}))
"#;

/// Open descriptors of a process.
fn descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// 2,000 clients, idle or sending a byte a second and reconnecting whenever closed, for 12 s
/// against the metrics listener of a master advertising every 0.1 s: its adverts leave on time
/// (the flood test's measure, against a bare real-time thread's floor), the backup never takes over, and the
/// worker's descriptors stay bounded (the cap of 32 connections; the header time-out frees
/// the slow ones).
#[test]
fn two_thousand_idle_or_slow_clients_delay_no_advert_and_hold_few_descriptors() {
    let Some(mut lab) = Lab::new("mcl", &["python3"]) else {
        return;
    };
    lab.host("a", &["172.16.17.1/24"]);
    lab.host("b", &["172.16.17.2/24"]);
    let vip = "172.16.17.100";
    let conf = |prio, extra: &str| {
        format!(
            "global_defs {{\n    vrrp_version 3\n{extra}}}\n{}",
            common::instance("VI_1", 68, prio, vip, "    advert_int 0.1\n")
        )
    };
    start(
        &mut lab,
        "a",
        &conf(100, "    vrrp_rt_priority 50\n"),
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    assert!(wait_until(Duration::from_secs(3), || lab.holds("a", vip)).is_some());
    start(&mut lab, "b", &conf(90, ""), &[]);
    std::thread::sleep(Duration::from_millis(800));
    let worker = *lab.children_of("a").first().expect("a's worker");
    let before_fds = descriptors(worker);
    let before = common::timer_lateness(&lab, "a", 9650);
    let reference = common::RealtimeReference::start(Duration::from_secs(12));
    let script = lab.write("clients.py", CLIENTS);
    let ns = lab.ns("a");
    let clients = std::thread::spawn(move || {
        std::process::Command::new("ip")
            .args([
                "netns", "exec", &ns, "python3", &script, "9650", "2000", "12",
            ])
            .output()
            .expect("clients")
    });
    let mut most_fds = 0;
    while !clients.is_finished() {
        most_fds = most_fds.max(descriptors(worker));
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = clients.join().expect("clients thread");
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("clients failed: {}", String::from_utf8_lossy(&out.stderr)));
    let after = common::timer_lateness(&lab, "a", 9650);
    let during: Vec<(String, u64)> = after
        .iter()
        .zip(&before)
        .map(|((le, n), (_, m))| (le.clone(), n - m))
        .collect();
    eprintln!(
        "2,000 clients: {counts}; worker descriptors {before_fds} before, {most_fds} at most; timer lateness during: {during:?}"
    );
    common::assert_timers_on_time(&during, reference.worst());
    assert!(
        most_fds <= before_fds + 40,
        "descriptors grew from {before_fds} to {most_fds}"
    );
    assert!(lab.holds("a", vip) && !lab.holds("b", vip), "b took over");
    assert!(
        !common::transitions(&lab.dir.join("b"))
            .iter()
            .any(|(_, _, to)| to == "MASTER"),
        "b took over"
    );
    // The listener still answers once the clients are gone.
    assert!(common::scrape_metrics(&lab, "a", 9650).contains("havip_timer_lateness_seconds"));
}
