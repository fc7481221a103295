//! `havip status/events/maintenance/send-garp/reload` against a real havipd in a namespace:
//! what an operator reads, and the exit codes (0 done, 1 refused, 2 unreachable).

use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

struct Daemon {
    ns: String,
    dir: PathBuf,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "`{cmd}` failed");
}

fn start() -> Option<Daemon> {
    if hostcheck::skip_reason("daemon verbs", &[]).is_some() {
        return None;
    }
    let havipd = lab::daemon::havipd_path().expect("havipd is built next to havip");
    let ns = format!("hvcli{}", std::process::id());
    let dir = std::env::temp_dir().join(&ns);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    sh(&format!(
        "ip netns add {ns} && ip -n {ns} link add d0 type veth peer name d1 && \
         ip -n {ns} link set d0 up && ip -n {ns} link set d1 up && ip -n {ns} addr add 10.8.0.1/24 dev d0"
    ));
    let conf = dir.join("k.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n state MASTER\n interface d0\n virtual_router_id 8\n priority 100\n \
         advert_int 1\n virtual_ipaddress {\n  10.8.0.100/24\n }\n}\n",
    )
    .expect("config");
    let child = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(havipd)
        .args(["-n", "-l", "-f"])
        .arg(&conf)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("havipd");
    Some(Daemon { ns, dir, child })
}

fn havip(d: &Daemon, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(args)
        .arg("--state-dir")
        .arg(d.dir.join("state"))
        .output()
        .expect("havip")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_operator_verbs_read_and_drive_a_running_daemon() {
    let Some(d) = start() else { return };
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut out = havip(&d, &["status"]);
    while !text(&out).contains("VI_1  MASTER") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        out = havip(&d, &["status"]);
    }
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("VI_1  MASTER  d0 vrid 8 VRRPv2 inet"), "{t}");
    assert!(t.contains("vip 10.8.0.100/24 on d0: present"), "{t}");

    let json = havip(&d, &["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON reply");
    assert_eq!(v["reply"], "status");
    assert_eq!(v["instances"][0]["effective_priority"], 100);
    // --json is --format json.
    let alias = havip(&d, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&alias.stdout).expect("--json");
    assert_eq!(v["reply"], "status");

    let events = havip(&d, &["events"]);
    assert!(
        text(&events).contains("VI_1 BACKUP -> MASTER"),
        "{}",
        text(&events)
    );

    let m = havip(&d, &["maintenance", "on", "VI_1"]);
    assert!(
        m.status.success() && text(&m).contains("VI_1: maintenance on"),
        "{}",
        text(&m)
    );
    let refused = havip(&d, &["maintenance", "on", "VI_9"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("no instance `VI_9`"));
    let garp = havip(&d, &["send-garp", "VI_1"]);
    assert_eq!(
        garp.status.code(),
        Some(1),
        "a backup has nothing to announce"
    );

    let gone = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["status", "--state-dir", "/nonexistent/havip"])
        .output()
        .expect("havip");
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        text(&gone).contains("cannot reach havipd"),
        "{}",
        text(&gone)
    );
}
