//! Lifecycle in namespaces: SIGHUP reload without flap (unchanged instances keep their state,
//! new ones start, removed ones resign, an invalid config is rejected), VIPs left by a crashed
//! run, a flood of malformed protocol-112 packets, and an invalid config at start.

mod common;
use common::{Lab, instance, state_of, transitions_of, wait_until};
use std::time::Duration;

const VIP: &str = "10.8.0.12";
const VIP2: &str = "10.8.0.13";

#[test]
fn invalid_config_at_start_exits_non_zero_with_the_diagnostics() {
    // No root needed: the check runs before anything touches the network.
    let dir = std::env::temp_dir().join(format!("havip-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = dir.join("bad.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    interface no-such-if0\n    virtual_router_id 51\n    priority 100\n}\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_havipd"))
        .args(["-n", "-l", "-f"])
        .arg(&conf)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()
        .expect("havipd");
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bad.conf:2:5: error [no-such-interface]"),
        "the diagnostic names the file, line and column:\n{err}"
    );
    assert!(err.contains("nothing started"), "{err}");
}

#[test]
fn reload_keeps_unchanged_instances_starts_new_ones_and_rejects_invalid_configs() {
    let Some(mut lab) = Lab::new("lrl", &[]) else {
        return;
    };
    lab.host("a", &["10.8.0.5/24"]);
    let one = instance("VI_1", 81, 100, VIP, "");
    let state = lab.havipd("a", "a", &one);
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    // The transition log is written off the event loop: it may trail the address by a moment.
    assert!(
        wait_until(Duration::from_secs(2), || transitions_of(&state, "VI_1")
            .last()
            .is_some_and(|t| t.1 == "MASTER"))
        .is_some(),
        "VI_1's MASTER transition never logged"
    );
    let before = transitions_of(&state, "VI_1");
    // Add VI_2 and reload; VI_1 must hold its VIP all along.
    lab.write(
        "a.conf",
        &format!("{one}{}", instance("VI_2", 82, 100, VIP2, "")),
    );
    lab.kill("a", "HUP");
    let lost = wait_until(Duration::from_secs(1), || !lab.holds("a", VIP));
    assert!(lost.is_none(), "VI_1 dropped its VIP during the reload");
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", VIP2)).is_some(),
        "VI_2 never started:\n{}",
        lab.log("a")
    );
    assert_eq!(transitions_of(&state, "VI_1"), before, "VI_1 flapped");
    // An invalid config is rejected and the running one kept.
    lab.write(
        "a.conf",
        "vrrp_instance VI_1 {\n    interface no-such-if0\n    virtual_router_id 81\n}\n",
    );
    lab.kill("a", "HUP");
    assert!(
        wait_until(Duration::from_secs(3), || lab
            .log("a")
            .contains("reload rejected"))
        .is_some(),
        "{}",
        lab.log("a")
    );
    assert!(lab.running("a"));
    assert!(lab.holds("a", VIP) && lab.holds("a", VIP2));
    // Remove VI_2: it stops and gives its VIP back; VI_1 is untouched.
    lab.write("a.conf", &one);
    lab.kill("a", "HUP");
    assert!(
        wait_until(Duration::from_secs(3), || !lab.holds("a", VIP2)).is_some(),
        "VI_2 kept its VIP:\n{}",
        lab.log("a")
    );
    assert_eq!(state_of(&state, "VI_2"), "STOP");
    assert!(lab.holds("a", VIP));
    assert_eq!(transitions_of(&state, "VI_1"), before, "VI_1 flapped");
}

#[test]
fn vips_left_by_a_crashed_run_are_removed_when_not_master() {
    let Some(mut lab) = Lab::new("llv", &[]) else {
        return;
    };
    lab.host("a", &["10.8.0.5/24"]);
    lab.host("b", &["10.8.0.6/24"]);
    let a_conf = instance("VI_1", 83, 100, VIP, "    nopreempt\n");
    lab.havipd("a", "a", &a_conf);
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    // Crash: no resignation, the VIP stays on the interface.
    lab.crash("a");
    assert!(lab.holds("a", VIP), "the crashed run should leave its VIP");
    lab.havipd("b", "b", &instance("VI_1", 83, 90, VIP, ""));
    assert!(wait_until(Duration::from_secs(6), || lab.holds("b", VIP)).is_some());
    // a comes back (nopreempt: b stays master) and must drop the stale VIP at once.
    lab.havipd("a", "a2", &a_conf);
    assert!(
        wait_until(Duration::from_secs(1), || !lab.holds("a", VIP)).is_some(),
        "the leftover VIP was not removed:\n{}",
        lab.log("a2")
    );
    assert!(
        lab.log("a2")
            .contains("removed a VIP left by a previous run")
    );
    let dual = wait_until(Duration::from_secs(4), || lab.holds("a", VIP));
    assert!(dual.is_none(), "a took the VIP back despite nopreempt");
    assert!(lab.holds("b", VIP));
}

/// Python sending `count` random protocol-112 payloads from the client, half of them starting
/// like a VRRPv2 advert for VRID 84 (so they get past the first byte), in bursts of 50.
const FLOOD: &str = r#"
import os, socket, sys, time
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.8.0.100"))
for i in range(count):
    n = 1 + (i * 7919) % 60
    p = bytearray(os.urandom(n))
    if i % 2 and n >= 2:
        p[0], p[1] = 0x21, 84
    s.sendto(bytes(p), (dst, 0))
    if i % 50 == 49:
        time.sleep(0.02)
"#;

#[test]
fn malformed_flood_changes_no_state_and_is_counted() {
    let Some(mut lab) = Lab::new("lfl", &["python3"]) else {
        return;
    };
    lab.host("a", &["10.8.0.5/24"]);
    lab.host("b", &["10.8.0.6/24"]);
    lab.host("c", &["10.8.0.100/24"]);
    let a = lab.havipd("a", "a", &instance("VI_1", 84, 100, VIP, ""));
    std::thread::sleep(Duration::from_millis(300));
    let b = lab.havipd("b", "b", &instance("VI_1", 84, 90, VIP, ""));
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    std::thread::sleep(Duration::from_millis(1500));
    let (a_before, b_before) = (transitions_of(&a, "VI_1"), transitions_of(&b, "VI_1"));
    let script = lab.write("flood.py", FLOOD);
    let sent = 2000;
    for dst in ["10.8.0.5", "224.0.0.18"] {
        let out = lab.exec("c", &["python3", &script, dst, &sent.to_string()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    lab.kill("a", "USR2");
    let stats_path = a.join("stats.json");
    let stats = wait_until(Duration::from_secs(3), || stats_path.exists())
        .and_then(|_| std::fs::read_to_string(&stats_path).ok())
        .expect("stats.json written on SIGUSR2");
    let v: serde_json::Value = serde_json::from_str(&stats).expect("stats JSON");
    let dropped = &v["dropped"];
    let total = ["malformed", "invalid", "no_instance", "overflow"]
        .iter()
        .map(|k| dropped[k].as_u64().unwrap_or(0))
        .sum::<u64>();
    // a receives the unicast flood and the multicast one: every packet is counted (by the loop,
    // by the stray counter the kernel filter hands other VRIDs to, or as dropped unread by a
    // full socket queue, from the kernel's count).
    assert_eq!(total, 2 * sent, "{stats}");
    assert_eq!(v["instances"]["VI_1"]["state"], "MASTER", "{stats}");
    assert_eq!(transitions_of(&a, "VI_1"), a_before);
    assert_eq!(transitions_of(&b, "VI_1"), b_before);
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
}
