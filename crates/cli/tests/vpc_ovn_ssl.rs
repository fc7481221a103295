//! `havip vpc serve --backend ovn` over `ssl:`: OVN's northbound and southbound databases on
//! `ovsdb-server`s that listen only on `pssl:`, certificates from `ovs-pki`, and serve's
//! `--private-key/--certificate/--ca-cert` (OVN's own options). The API's changes reach the
//! northbound database; a CA that did not sign the databases' certificates stops the start.

mod common;
use common::{call, start_with};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An ovsdb-server for OVN's `db` (`nb` or `sb`) listening only on `pssl:` on loopback.
struct SslDb {
    child: Child,
    port: u16,
}

impl Drop for SslDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ssl_db(dir: &Path, db: &str, key: &Path, cert: &Path, ca: &Path) -> SslDb {
    let file = dir.join(format!("{db}.db"));
    let schema = format!("/usr/share/ovn/ovn-{db}.ovsschema");
    let made = Command::new("ovsdb-tool")
        .arg("create")
        .arg(&file)
        .arg(&schema)
        .status();
    assert!(made.is_ok_and(|s| s.success()), "ovsdb-tool create {db}");
    let port = common::free_port();
    let child = Command::new("ovsdb-server")
        .arg(&file)
        .arg(format!("--remote=pssl:{port}:127.0.0.1"))
        .arg(format!("--private-key={}", key.display()))
        .arg(format!("--certificate={}", cert.display()))
        .arg(format!("--ca-cert={}", ca.display()))
        .arg(format!(
            "--unixctl={}",
            dir.join(format!("{db}.ctl")).display()
        ))
        .arg(format!(
            "--log-file={}",
            dir.join(format!("{db}.log")).display()
        ))
        .arg("--no-chdir")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ovsdb-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "ovsdb-server {db} never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    SslDb { child, port }
}

/// `ovs-pki` in `dir`: a PKI and `names` signed by its switch CA; the CA certificate.
fn pki(dir: &Path, names: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("pki dir");
    let pki = dir.join("pki");
    let run = |args: &[&str]| {
        let out = Command::new("ovs-pki")
            .arg(format!("--dir={}", pki.display()))
            .args(args)
            .current_dir(dir)
            .output()
            .expect("ovs-pki");
        assert!(
            out.status.success(),
            "ovs-pki {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init"]);
    for name in names {
        run(&["req+sign", name, "switch"]);
    }
    pki.join("switchca/cacert.pem")
}

#[test]
fn serve_drives_ovn_over_ssl_and_refuses_a_database_another_ca_signed() {
    let tools = [
        "ovsdb-server",
        "ovsdb-tool",
        "ovs-pki",
        "openssl",
        "ovn-nbctl",
    ];
    if hostcheck::skip_reason("vpc serve over ssl:", &tools).is_some() {
        return;
    }
    if !Path::new("/usr/share/ovn/ovn-nb.ovsschema").exists() {
        hostcheck::skip(
            "vpc serve over ssl:",
            "OVN's schemas are missing (.ci/run installs ovn-central)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("keys"), common::KEYS_FILE).expect("keys");
    let ca = pki(&d.join("ours"), &["db", "serve"]);
    let other_ca = pki(&d.join("theirs"), &[]);
    let file = |n: &str| d.join("ours").join(n);
    let nb = ssl_db(d, "nb", &file("db-privkey.pem"), &file("db-cert.pem"), &ca);
    let sb = ssl_db(d, "sb", &file("db-privkey.pem"), &file("db-cert.pem"), &ca);
    let (nb_addr, sb_addr) = (
        format!("ssl:127.0.0.1:{}", nb.port),
        format!("ssl:127.0.0.1:{}", sb.port),
    );
    let (key, cert) = (file("serve-privkey.pem"), file("serve-cert.pem"));
    let flags = |ca: &Path| -> Vec<String> {
        [
            "--backend",
            "ovn",
            "--ovn-nb",
            &nb_addr,
            "--ovn-sb",
            &sb_addr,
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["--private-key".into(), key.display().to_string()])
        .chain(["--certificate".into(), cert.display().to_string()])
        .chain(["--ca-cert".into(), ca.display().to_string()])
        .collect()
    };
    // Without the files, and with another CA: refused at start, naming why.
    let out = serve_once(
        d,
        &[
            "--backend",
            "ovn",
            "--ovn-nb",
            &nb_addr,
            "--ovn-sb",
            &sb_addr,
        ],
    );
    assert!(
        out.contains("--private-key, --certificate and --ca-cert"),
        "{out}"
    );
    let wrong = flags(&other_ca);
    let out = serve_once(d, &wrong.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.contains(&nb_addr) && out.contains("UnknownIssuer"),
        "{out}"
    );
    // With them: the API's VPC and subnet become OVN's router and switch.
    let right = flags(&ca);
    let server = start_with(d, &right.iter().map(String::as_str).collect::<Vec<_>>());
    let vpc = call(
        &server.host,
        "CreateVpc",
        &json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"}),
    )
    .expect("CreateVpc")["Vpc"]["VpcId"]
        .clone();
    call(
        &server.host,
        "CreateSubnet",
        &json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.1.0/24", "Zone": "z"}),
    )
    .expect("CreateSubnet");
    let nbctl = Command::new("ovn-nbctl")
        .arg(format!("--db={nb_addr}"))
        .arg(format!("--private-key={}", key.display()))
        .arg(format!("--certificate={}", cert.display()))
        .arg(format!("--ca-cert={}", ca.display()))
        .args(["--timeout=10", "show"])
        .output()
        .expect("ovn-nbctl");
    let shown = String::from_utf8_lossy(&nbctl.stdout);
    assert!(
        nbctl.status.success() && shown.contains("switch"),
        "{shown}{}",
        String::from_utf8_lossy(&nbctl.stderr)
    );
    drop(server);
}

/// Runs `havip vpc serve` with `extra`, expecting it to stop at start; its standard error.
fn serve_once(dir: &Path, extra: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["vpc", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("refused.db"))
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--internal-secret")
        .arg(dir.join("internal.secret"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("havip");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("vpc serve {extra:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(2), "{extra:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}
