//! `havip vpc serve` as a process: killed (-9) in the middle of a burst of CreateHaVip, it
//! comes back with every HAVIP it acknowledged; and the keys file is checked at start.

use serde_json::json;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{call, start_with};

#[test]
fn killing_the_server_mid_burst_loses_no_acknowledged_havip() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keys"), common::KEYS_FILE).expect("keys");
    // A burst faster than the cloud's 20 requests a second: the limit is lifted.
    let server = start_with(dir.path(), &["--requests-per-second", "0"]);
    let vpc = call(
        &server.host,
        "CreateVpc",
        &json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"}),
    )
    .expect("vpc")["Vpc"]["VpcId"]
        .clone();
    let subnet = call(
        &server.host,
        "CreateSubnet",
        &json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": "z"}),
    )
    .expect("subnet")["Subnet"]["SubnetId"]
        .clone();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (host, acked) = (server.host.clone(), acked.clone());
            let (vpc, subnet) = (vpc.clone(), subnet.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    let body =
                        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": format!("w{w}-{n}")});
                    match call(&host, "CreateHaVip", &body) {
                        Ok(r) => {
                            if let (Some(id), Ok(mut v)) =
                                (r["HaVip"]["HaVipId"].as_str(), acked.lock())
                            {
                                v.push(id.to_string());
                            }
                        }
                        Err(_) => return n,
                    }
                }
                0
            })
        })
        .collect();
    // Let the burst run, then crash the server under it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.lock().map(|v| v.len()).unwrap_or(0) < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();
    for w in workers {
        let _ = w.join();
    }
    let acked = acked.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(
        acked.len() >= 200,
        "the burst was too small: {}",
        acked.len()
    );
    let restarted = start_with(dir.path(), &["--requests-per-second", "0"]);
    let mut stored = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = call(
            &restarted.host,
            "DescribeHaVips",
            &json!({"Offset": offset, "Limit": 100}),
        )
        .expect("describe");
        let set = page["HaVipSet"].as_array().cloned().unwrap_or_default();
        if set.is_empty() {
            break;
        }
        stored.extend(
            set.iter()
                .filter_map(|h| h["HaVipId"].as_str().map(str::to_string)),
        );
        offset += set.len();
    }
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged HAVIPs lost: {lost:?}",
        lost.len()
    );
    eprintln!(
        "{} acknowledged, {} stored after the crash",
        acked.len(),
        stored.len()
    );
}

#[test]
fn a_bad_keys_file_is_named_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keys"), "# comment\nonly-one-word\n").expect("keys");
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["vpc", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("vpc.db"))
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .output()
        .expect("havip");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("keys:2: expected `SecretId SecretKey [AppId]`, found 1 words"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("keys"),
        "AKIDa key-a 1300000001\nAKIDb key-b acct-b\n",
    )
    .expect("keys");
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["vpc", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("vpc.db"))
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .output()
        .expect("havip");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("keys:2: the AppId `acct-b` of AKIDb is not a number"),
        "{err}"
    );
}

#[test]
fn a_listen_address_off_the_loopback_needs_an_opt_in_and_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keys"), "AKIDx secret\n").expect("keys");
    let serve = |extra: &[&str]| refused(dir.path(), "0.0.0.0:0", extra);
    let err = serve(&[]);
    assert!(
        err.contains("not a loopback address") && err.contains("--allow-remote"),
        "{err}"
    );
    let err = serve(&["--allow-remote"]);
    assert!(err.contains("needs TLS"), "{err}");
    let err = serve(&["--allow-remote", "--tls-cert", "/nonexistent.pem"]);
    assert!(err.contains("--tls-key"), "{err}");
    assert!(
        !dir.path().join("vpc.db").exists(),
        "nothing made before the refusal"
    );
}

#[test]
fn the_ovn_backend_s_flags_are_checked_before_anything_is_made() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keys"), "AKIDx secret\n").expect("keys");
    let serve = |extra: &[&str]| refused(dir.path(), "127.0.0.1:0", extra);
    let err = serve(&["--backend", "ovn", "--ovn-nb", "unix:/nonexistent/nb.sock"]);
    assert!(err.contains("needs --ovn-nb and --ovn-sb"), "{err}");
    let err = serve(&[
        "--ovn-nb",
        "unix:/nonexistent/nb.sock",
        "--ovn-sb",
        "unix:/x",
    ]);
    assert!(err.contains("go with --backend ovn"), "{err}");
    let err = serve(&[
        "--backend",
        "ovn",
        "--ovn-nb",
        "10.0.0.1:6641",
        "--ovn-sb",
        "unix:/x",
    ]);
    assert!(
        err.contains("--ovn-nb") && err.contains("tcp:IP:PORT"),
        "{err}"
    );
    let err = serve(&["--ovn-gateway-chassis", "gw-1"]);
    assert!(err.contains("go with --backend ovn"), "{err}");
    let err = serve(&[
        "--backend",
        "ovn",
        "--ovn-nb",
        "unix:/x",
        "--ovn-sb",
        "unix:/x",
        "--ovn-gateway-chassis",
        "gw 1;",
    ]);
    assert!(
        err.contains("--ovn-gateway-chassis") && err.contains("`gw 1;` is not a chassis name"),
        "{err}"
    );
    let err = serve(&[
        "--backend",
        "ovn",
        "--ovn-nb",
        "unix:/x",
        "--ovn-sb",
        "unix:/x",
        "--ovn-gateway-chassis",
        "gw-1,gw-2",
        "--ovn-gateway-chassis",
        "gw-1",
    ]);
    assert!(
        err.contains("--ovn-gateway-chassis") && err.contains("`gw-1` is named twice"),
        "{err}"
    );
    assert!(
        !dir.path().join("vpc.db").exists(),
        "nothing made before the refusal"
    );
    // A northbound database that does not answer: the start fails and says where.
    let err = serve(&[
        "--backend",
        "ovn",
        "--ovn-nb",
        "unix:/nonexistent/nb.sock",
        "--ovn-sb",
        "unix:/x",
    ]);
    assert!(err.contains("unix:/nonexistent/nb.sock"), "{err}");
}

/// Runs `havip vpc serve` on `listen` with files in `dir` and `extra` flags, expecting a
/// refusal (exit code 2); its message.
fn refused(dir: &std::path::Path, listen: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["vpc", "serve", "--listen", listen, "--db"])
        .arg(dir.join("vpc.db"))
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--internal-secret")
        .arg(dir.join("secret"))
        .args(extra)
        .output()
        .expect("havip");
    assert_eq!(out.status.code(), Some(2), "{extra:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}
