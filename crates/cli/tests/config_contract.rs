//! The config contract: `havip check` (keepalived's checks, no cloud advice) says a config
//! cannot run (`"runs": false`, "cannot run") exactly when havipd refuses to start with it. Each config runs in a namespace of its
//! own whose interfaces are the ones it names; havipd "starts" when it tells systemd
//! READY=1 (a notify socket of the test's), and "refuses" when it exits first. Over every
//! config the repository ships (the corpus, the seed guides' configs, the examples), Debian's
//! samples, and generated configs with the values havipd would otherwise misread.

mod netns;

use netns::{Netns, check_runs, interfaces};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether havipd reaches READY with the config in the namespace (stopped at once if so), and
/// what it logged.
fn starts(ns: &Netns, path: &Path, dir: &Path) -> (bool, String) {
    let socket_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let log = dir.join("havipd.log");
    let havipd = lab::daemon::havipd_path().expect("havipd is built next to havip");
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(havipd)
        .args(["-n", "-l", "-f"])
        .arg(path)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("havipd runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    let ready = loop {
        if let Ok(n) = socket.recv(&mut buf)
            && String::from_utf8_lossy(&buf[..n])
                .lines()
                .any(|l| l == "READY=1")
        {
            break true;
        }
        if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            break false;
        }
    };
    netns::stop(&mut child);
    (ready, std::fs::read_to_string(&log).unwrap_or_default())
}

/// Configs with the values havipd would misread if check let them through, and their
/// well-formed neighbours (name, global_defs body, instance body, `vrrp_script` body).
const GENERATED: &[(&str, &str, &str, &str)] = &[
    ("plain", "", "", ""),
    ("script-weight-300", "", "", "weight 300"),
    ("script-weight-253", "", "", "weight -253 reverse"),
    (
        "track-weight-400",
        "",
        "track_script {\n chk weight 400\n}",
        "",
    ),
    (
        "vip-prefix-33",
        "",
        "virtual_ipaddress {\n 10.0.0.5/33\n}",
        "",
    ),
    (
        "vip-scope-bad",
        "",
        "virtual_ipaddress {\n 10.0.0.6/24 scope galaxy\n}",
        "",
    ),
    (
        "vip-scope-link",
        "",
        "virtual_ipaddress {\n 10.0.0.6/24 scope link\n}",
        "",
    ),
    (
        "route-unknown-word",
        "",
        "virtual_routes {\n 10.1.0.0/16 via 192.0.2.254 blah\n}",
        "",
    ),
    (
        "route-ipv6-default",
        "",
        "virtual_routes {\n default via fe80::1 dev eth0\n}",
        "",
    ),
    (
        "route-mixed-family",
        "",
        "virtual_routes {\n 10.1.0.0/16 via fe80::1\n}",
        "",
    ),
    (
        "rule-unknown-word",
        "",
        "virtual_rules {\n from 10.0.0.0/8 goto 5\n}",
        "",
    ),
    (
        "rule-from-all",
        "",
        "virtual_rules {\n from all fwmark 3 table 3\n}",
        "",
    ),
    ("script-user-unknown", "script_user no-such-user-hv", "", ""),
    (
        "notify-user-unknown",
        "",
        "notify_master \"/bin/true\" no-such-user-hv",
        "",
    ),
];

fn generated(dir: &Path) -> Vec<PathBuf> {
    GENERATED
        .iter()
        .map(|(name, global, instance, script)| {
            let text = format!(
                "global_defs {{\n{global}\n}}\n\
                 vrrp_script chk {{\n script \"/bin/true\"\n{script}\n}}\n\
                 vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n \
                 priority 100\n advert_int 1\n virtual_ipaddress {{\n  10.0.0.100/24\n }}\n\
                 {instance}\n}}\n"
            );
            let path = dir.join(format!("{name}.conf"));
            std::fs::write(&path, text).expect("write config");
            path
        })
        .collect()
}

/// Every config the repository ships, and Debian's samples (installed with keepalived).
fn shipped() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for (dir, pick) in [
        ("crates/conf/tests/data/corpus", ".conf"),
        ("crates/cli/tests/data/verdicts", ".conf"),
        ("crates/conf/tests/data/seeds", ".conf"),
        ("examples/three-node", ".conf"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("shipped configs")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(pick))
            .collect();
        files.sort();
        out.extend(files);
    }
    let samples = Path::new("/usr/share/doc/keepalived/samples");
    let mut debian: Vec<PathBuf> = std::fs::read_dir(samples)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    debian.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("keepalived.conf"))
    });
    debian.sort();
    if debian.is_empty() {
        hostcheck::skip(
            "Debian's samples in the contract",
            "keepalived is not installed",
        );
    }
    out.extend(debian);
    out
}

#[test]
fn check_says_cannot_run_exactly_when_havipd_will_not_start() {
    if hostcheck::skip_reason("config contract", &[]).is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let mut configs = shipped();
    configs.extend(generated(dir.path()));
    let mut broken = Vec::new();
    let (mut runs, mut refused) = (0, 0);
    for (k, path) in configs.iter().enumerate() {
        let ns = Netns::new(
            format!("hvcc{}x{k}", std::process::id() % 100_000),
            &interfaces(path, None),
        );
        let work = dir.path().join(format!("run{k}"));
        std::fs::create_dir_all(&work).expect("work dir");
        let (check_says_runs, report) = check_runs(&ns, path, &[]);
        let (started, log) = starts(&ns, path, &work);
        if started {
            runs += 1;
        } else {
            refused += 1;
        }
        if check_says_runs != started {
            broken.push(format!(
                "{}: check says it {}, havipd {}\n--- check\n{report}\n--- havipd\n{log}",
                path.display(),
                if check_says_runs {
                    "runs"
                } else {
                    "cannot run"
                },
                if started { "started" } else { "refused" }
            ));
        }
    }
    eprintln!(
        "contract over {} configs: {runs} run, {refused} refused",
        configs.len()
    );
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
    // The generated set has both sides, so neither verdict is taken for granted.
    assert!(runs >= 5 && refused >= 5, "{runs} run, {refused} refused");
}
