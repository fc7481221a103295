//! A network namespace holding the interfaces a keepalived.conf names, for tests that run
//! havipd, `havip check` and keepalived on a config as the host it is meant for.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// A network namespace with the interfaces a config names (veth pairs, up), removed on drop.
pub struct Netns(pub String);

impl Netns {
    /// Creates namespace `name` with `lo` up and one veth pair per interface name, each end
    /// up and the named end given an address of 192.0.2.0/24.
    pub fn new(name: String, interfaces: &[String]) -> Netns {
        sh(&format!(
            "ip netns add {name} && ip -n {name} link set lo up"
        ));
        let ns = Netns(name);
        for (k, ifname) in interfaces.iter().enumerate() {
            let n = &ns.0;
            sh(&format!(
                "ip -n {n} link add '{ifname}' type veth peer name hvpeer{k} && \
                 ip -n {n} addr add 192.0.2.{}/24 dev '{ifname}' && \
                 ip -n {n} link set '{ifname}' up && ip -n {n} link set hvpeer{k} up",
                k + 1
            ));
        }
        ns
    }

    /// A command running `program` inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Runs `cmd` with `sh -c`; panics with its standard error if it fails.
pub fn sh(cmd: &str) {
    let out = Command::new("sh").args(["-c", cmd]).output().expect("sh");
    assert!(
        out.status.success(),
        "`{cmd}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The interfaces a config names: instances', tracked ones, and those of addresses and routes.
pub fn interfaces(path: &Path, config_id: Option<&str>) -> Vec<String> {
    let opts = conf::Options {
        config_id: config_id.map(str::to_string),
        ..conf::Options::default()
    };
    let report = conf::check(&conf::reader::Disk, path, None, &opts);
    let cfg = &report.config;
    let mut names: Vec<String> = Vec::new();
    for i in &cfg.instances {
        names.extend(i.interface().map(str::to_string));
        names.extend(i.track_interfaces.iter().map(|t| t.name.clone()));
        names.extend(i.vips.iter().filter_map(|v| v.dev.clone()));
        names.extend(i.routes.iter().filter_map(|r| r.value.dev.clone()));
    }
    for g in &cfg.sync_groups {
        names.extend(g.track_interfaces.iter().map(|t| t.name.clone()));
    }
    names.retain(|n| !n.is_empty() && n != "lo" && n.len() <= 15 && !n.contains(['/', ' ', '\'']));
    names.sort();
    names.dedup();
    names
}

/// `havip check --profile none`'s verdict in the namespace (whether havipd runs the config at
/// `path`, read with `extra` arguments such as `-i ID`) and its JSON report.
pub fn check_runs(ns: &Netns, path: &Path, extra: &[String]) -> (bool, String) {
    let out = ns
        .command(env!("CARGO_BIN_EXE_havip"))
        .args(["check", "--profile", "none", "--format", "json"])
        .args(extra)
        .arg("-f")
        .arg(path)
        .output()
        .expect("havip check runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: serde_json::Value = serde_json::from_str(&text).expect("a JSON report");
    (report["runs"].as_bool().expect("runs"), text)
}

/// Stops a daemon started by a test: SIGTERM, up to 10 s to exit, then SIGKILL; reaped.
pub fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(std::process::Stdio::null())
        .status();
    let stopped = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() && std::time::Instant::now() < stopped {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
