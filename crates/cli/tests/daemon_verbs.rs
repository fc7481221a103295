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

/// A havipd started as keepalived is, without `--state-dir`: Neutron's way (`ip netns exec`,
/// `-p`), or with `net_namespace` and `instance` at the top of its config, from here.
struct Started {
    ns: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Drop for Started {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "for p in $(ip netns pids {0}); do kill -9 $p; done; ip netns del {0}",
                self.ns
            ))
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(format!("/run/keepalived/{}", self.ns));
        let _ = std::fs::remove_dir("/run/keepalived");
    }
}

#[test]
fn status_finds_each_daemon_from_the_flags_it_was_started_with() {
    if hostcheck::skip_reason("daemon verbs by flags", &[]).is_some() {
        return;
    }
    let havipd = lab::daemon::havipd_path().expect("havipd is built next to havip");
    let ns = format!("hvclf{}", std::process::id());
    let dir = std::env::temp_dir().join(&ns);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut started = Started {
        ns: ns.clone(),
        dir: dir.clone(),
        children: Vec::new(),
    };
    sh(&format!(
        "ip netns add {ns} && ip -n {ns} link add d0 type veth peer name d1 && \
         ip -n {ns} link set d0 up && ip -n {ns} link set d1 up && \
         ip -n {ns} addr add 10.8.1.1/24 dev d0 && ip -n {ns} addr add 10.8.2.1/24 dev d1"
    ));
    let instance = |name: &str, ifname: &str, vrid: u8| {
        format!(
            "vrrp_instance {name} {{\n interface {ifname}\n virtual_router_id {vrid}\n \
             priority 100\n advert_int 1\n virtual_ipaddress {{\n  10.8.{vrid}.100/24\n }}\n}}\n"
        )
    };
    let by_pid = dir.join("by-pid.conf");
    std::fs::write(&by_pid, instance("BY_PID", "d0", 1)).expect("config");
    let pid = dir.join("keepalived.pid");
    let by_name = dir.join("by-name.conf");
    let top = format!("net_namespace {ns}\ninstance {ns}i\n");
    std::fs::write(&by_name, top + &instance("BY_NAME", "d1", 2)).expect("config");
    let quiet = || std::process::Stdio::null();
    for cmd in [
        Command::new("ip")
            .args(["netns", "exec", &ns])
            .arg(&havipd)
            .args(["-P", "-n", "-l", "-f"])
            .arg(&by_pid)
            .arg("-p")
            .arg(&pid)
            .arg("-r")
            .arg(dir.join("keepalived.pid-vrrp")),
        Command::new(&havipd).args(["-n", "-l", "-f"]).arg(&by_name),
    ] {
        started
            .children
            .push(cmd.stdout(quiet()).stderr(quiet()).spawn().expect("havipd"));
    }
    let status = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_havip"))
            .arg("status")
            .args(args)
            .output()
            .expect("havip")
    };
    let by_pid_flags = [std::ffi::OsStr::new("-p"), pid.as_os_str()];
    let by_name_flags = [std::ffi::OsStr::new("-f"), by_name.as_os_str()];
    let deadline = Instant::now() + Duration::from_secs(10);
    let answers = |flags: &[&std::ffi::OsStr], name: &str| {
        let mut out = status(flags);
        while !text(&out).contains(&format!("{name}  ")) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            out = status(flags);
        }
        out
    };
    let a = answers(&by_pid_flags, "BY_PID");
    assert!(
        text(&a).contains("BY_PID  ") && !text(&a).contains("BY_NAME"),
        "{}",
        text(&a)
    );
    let b = answers(&by_name_flags, "BY_NAME");
    assert!(
        text(&b).contains("BY_NAME  ") && !text(&b).contains("BY_PID"),
        "{}",
        text(&b)
    );
    // The same names given as flags instead of the config file.
    let instance_flag = format!("{ns}i");
    let as_flags = status(&[
        "-s".as_ref(),
        ns.as_ref(),
        "--instance".as_ref(),
        instance_flag.as_ref(),
    ]);
    assert!(text(&as_flags).contains("BY_NAME  "), "{}", text(&as_flags));
    // Another instance name is another daemon: none answers there.
    let other = status(&[
        "-f".as_ref(),
        by_name.as_os_str(),
        "--instance".as_ref(),
        "other".as_ref(),
    ]);
    assert_eq!(other.status.code(), Some(2), "{}", text(&other));
    assert!(
        text(&other).contains(&format!("/run/keepalived/{ns}/keepalived_other.pid.havip")),
        "{}",
        text(&other)
    );
}
