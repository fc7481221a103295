//! Tracking in namespaces: a hung vrrp_script is killed at its timeout without stalling the
//! adverts, weights (track_file) move the election, a tracked interface going down faults the
//! instance (netlink link events), and a sync group's members fault together. A track_file its
//! user replaces with a huge sparse file or a FIFO costs no memory and never stalls the loop; one
//! failing when havipd starts faults its instance from INIT, as keepalived does.
//!
//! Two havipd servers: `a` (priority 100, tracks things) and `b` (priority 90).

mod common;
use common::{Lab, instance, state_of, transitions_of, wait_until};
use std::path::PathBuf;
use std::time::Duration;

const VIP: &str = "10.7.0.12";
const VIP2: &str = "10.7.0.13";

/// Starts the pair in `lab` and waits for `a` to win; returns a's state directory.
fn pair(lab: &mut Lab, a_config: &str, b_config: &str) -> PathBuf {
    lab.host("a", &["10.7.0.5/24"]);
    lab.host("b", &["10.7.0.6/24"]);
    let a_state = lab.havipd("a", "a", a_config);
    std::thread::sleep(Duration::from_millis(300));
    lab.havipd("b", "b", b_config);
    takes(lab, "a", VIP, 8);
    a_state
}

/// Waits until `host` holds `vip`.
fn takes(lab: &Lab, host: &str, vip: &str, within: u64) {
    assert!(
        wait_until(Duration::from_secs(within), || lab.holds(host, vip)).is_some(),
        "{host} never took {vip}:\n--- a\n{}\n--- b\n{}",
        lab.log("a"),
        lab.log("b")
    );
}

fn path_in(lab: &Lab, name: &str) -> String {
    lab.dir.join(name).display().to_string()
}

#[test]
fn hung_script_is_killed_at_its_timeout_and_never_stalls_the_adverts() {
    let Some(mut lab) = Lab::new("tsc", &[]) else {
        return;
    };
    let flag = path_in(&lab, "hang");
    let script = lab.write(
        "chk.sh",
        &format!("#!/bin/sh\nif [ -e {flag} ]; then sleep 30; fi\nexit 0\n"),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let a = format!(
        "vrrp_script chk {{\n    script \"{script}\"\n    interval 1\n    timeout 1\n    fall 4\n    rise 1\n}}\n{}",
        instance(
            "VI_1",
            71,
            100,
            VIP,
            "    track_script {\n        chk\n    }\n"
        )
    );
    let b = instance("VI_1", 71, 90, VIP, "");
    let a_state = pair(&mut lab, &a, &b);
    std::fs::write(&flag, "").expect("flag");
    // Four timed-out runs (about 4-8 s), then FAULT: a resigns and b takes over within skew.
    takes(&lab, "b", VIP, 15);
    let b_master = transitions_of(&lab.dir.join("b"), "VI_1")
        .into_iter()
        .find(|(_, to, _)| to == "MASTER")
        .expect("b became master");
    assert_eq!(
        b_master.2, "master resigned (priority 0)",
        "a must have kept advertising while its script hung"
    );
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    assert!(
        lab.log("a").contains("script timed out and was killed"),
        "{}",
        lab.log("a")
    );
    std::fs::remove_file(&flag).expect("unflag");
    // The hung runs were killed with their children: no `sleep 30` survives.
    std::thread::sleep(Duration::from_millis(2500));
    let ps = lab.sh_in(
        "a",
        "for p in $(ip netns pids \"$(ip netns identify $$)\"); do tr '\\0' ' ' < /proc/$p/cmdline; echo; done",
    );
    assert!(!ps.contains("sleep 30"), "a hung script survived:\n{ps}");
    // The script recovers (rise 1): a leaves FAULT and preempts again.
    takes(&lab, "a", VIP, 10);
}

#[test]
fn track_file_weight_moves_the_election_both_ways() {
    let Some(mut lab) = Lab::new("tfw", &[]) else {
        return;
    };
    let file = path_in(&lab, "weight");
    let a = format!(
        "track_file w {{\n    file {file}\n    weight 1\n}}\n{}",
        instance("VI_1", 72, 100, VIP, "    track_file {\n        w\n    }\n")
    );
    let b = instance("VI_1", 72, 90, VIP, "");
    let a_state = pair(&mut lab, &a, &b);
    std::fs::write(&file, "-20\n").expect("write");
    takes(&lab, "b", VIP, 8);
    assert!(
        wait_until(Duration::from_secs(3), || !lab.holds("a", VIP)).is_some(),
        "a still holds the VIP at priority 80"
    );
    let a_log = transitions_of(&a_state, "VI_1");
    assert_eq!(
        a_log.last().map(|t| t.2.as_str()),
        Some("higher priority 90 from 10.7.0.6"),
        "{a_log:?}"
    );
    std::fs::write(&file, "0\n").expect("write");
    takes(&lab, "a", VIP, 8);
}

#[test]
fn tracked_interface_down_faults_and_up_recovers() {
    let Some(mut lab) = Lab::new("tif", &[]) else {
        return;
    };
    let a = instance(
        "VI_1",
        73,
        100,
        VIP,
        "    track_interface {\n        t0\n    }\n",
    );
    let b = instance("VI_1", 73, 90, VIP, "");
    lab.host("a", &["10.7.0.5/24"]);
    lab.host("b", &["10.7.0.6/24"]);
    lab.sh_in(
        "a",
        "ip link add t0 type veth peer name t1 && ip link set t0 up && ip link set t1 up",
    );
    let a_state = lab.havipd("a", "a", &a);
    std::thread::sleep(Duration::from_millis(300));
    lab.havipd("b", "b", &b);
    takes(&lab, "a", VIP, 8);
    lab.sh_in("a", "ip link set t1 down");
    takes(&lab, "b", VIP, 3);
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    lab.sh_in("a", "ip link set t1 up");
    takes(&lab, "a", VIP, 8);
}

#[test]
fn sync_group_members_fault_together() {
    let Some(mut lab) = Lab::new("tsg", &[]) else {
        return;
    };
    let group = "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n";
    let file = path_in(&lab, "bad");
    let a = format!(
        "{group}track_file bad {{\n    file {file}\n    weight 0\n}}\n{}{}",
        instance("VI_1", 74, 100, VIP, ""),
        instance(
            "VI_2",
            75,
            100,
            VIP2,
            "    track_file {\n        bad\n    }\n"
        )
    );
    let b = format!(
        "{group}{}{}",
        instance("VI_1", 74, 90, VIP, ""),
        instance("VI_2", 75, 90, VIP2, "")
    );
    let a_state = pair(&mut lab, &a, &b);
    takes(&lab, "a", VIP2, 5);
    // Only VI_2 tracks the file; VI_1 follows it into FAULT and b takes both.
    std::fs::write(&file, "1\n").expect("write");
    takes(&lab, "b", VIP, 5);
    takes(&lab, "b", VIP2, 3);
    assert!(!lab.holds("a", VIP) && !lab.holds("a", VIP2));
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    assert_eq!(state_of(&a_state, "VI_2"), "FAULT");
    std::fs::write(&file, "0\n").expect("write");
    takes(&lab, "a", VIP, 8);
    takes(&lab, "a", VIP2, 3);
}

/// The peak resident memory of a daemon's processes (supervisor and worker), in KiB.
fn peak_kib(lab: &Lab, name: &str) -> u64 {
    let mut pids = lab.children_of(name);
    pids.push(lab.pid(name));
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Starts the pair with `a` tracking a file (weight 1, value 0 at first); returns its path.
fn pair_tracking_a_file(lab: &mut Lab, vrid: u8) -> String {
    let file = path_in(lab, "weight");
    std::fs::write(&file, "0\n").expect("write");
    let a = format!(
        "track_file w {{\n    file {file}\n    weight 1\n}}\n{}",
        instance(
            "VI_1",
            vrid,
            100,
            VIP,
            "    track_file {\n        w\n    }\n"
        )
    );
    let b = instance("VI_1", vrid, 90, VIP, "");
    pair(lab, &a, &b);
    file
}

/// The user who owns a track_file replaces it with a 2 GiB sparse file starting `-20`: havipd
/// reads its first bytes (as keepalived, 127), so the value counts (a's priority 80 loses to
/// b's 90) and its memory stays small.
#[test]
fn a_huge_sparse_track_file_is_read_in_a_few_bytes() {
    let Some(mut lab) = Lab::new("tfh", &[]) else {
        return;
    };
    let file = pair_tracking_a_file(&mut lab, 73);
    let huge = path_in(&lab, "huge");
    std::fs::write(&huge, "-20\n").expect("write");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse");
    std::fs::rename(&huge, &file).expect("rename");
    takes(&lab, "b", VIP, 8);
    std::thread::sleep(Duration::from_millis(500));
    let peak = peak_kib(&lab, "a");
    eprintln!("havipd's peak resident memory after a 2 GiB track file: {peak} KiB");
    assert!(peak < 64 * 1024, "havipd read the huge file: {peak} KiB");
}

/// The user who owns a track_file replaces it with a FIFO no one writes: it reads as 0
/// (keepalived's value: its non-blocking read gets nothing) and the loop never waits on it:
/// a keeps advertising and b never takes over; a regular file again is read again.
#[test]
fn a_fifo_track_file_never_stalls_the_loop() {
    let Some(mut lab) = Lab::new("tfo", &[]) else {
        return;
    };
    let file = pair_tracking_a_file(&mut lab, 74);
    let b_state = lab.dir.join("b");
    let _ = std::fs::remove_file(&file);
    nix::unistd::mkfifo(
        std::path::Path::new(&file),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .expect("mkfifo");
    // b would take over after 3 s without adverts.
    std::thread::sleep(Duration::from_secs(5));
    let b_master = transitions_of(&b_state, "VI_1")
        .iter()
        .any(|(_, to, _)| to == "MASTER");
    assert!(!b_master, "a stopped advertising:\n{}", lab.log("a"));
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    let tmp = path_in(&lab, "next");
    std::fs::write(&tmp, "-20\n").expect("write");
    std::fs::rename(&tmp, &file).expect("rename");
    takes(&lab, "b", VIP, 8);
}

/// A track_file of weight 0 that already holds a non-zero number when havipd starts faults the
/// instance from INIT, as keepalived 2.2.7 does (it reads its track files before its instances
/// start): no BACKUP first, so no notify_backup or mail for a state it was never meant to be in.
#[test]
fn a_track_file_failing_at_start_faults_from_init() {
    let Some(mut lab) = Lab::new("tfs", &[]) else {
        return;
    };
    lab.host("a", &["10.7.0.5/24"]);
    let file = path_in(&lab, "bad");
    std::fs::write(&file, "1\n").expect("write");
    let a = format!(
        "track_file bad {{\n    file {file}\n    weight 0\n}}\n{}",
        instance(
            "VI_1",
            76,
            100,
            VIP,
            "    track_file {\n        bad\n    }\n"
        )
    );
    let a_state = lab.havipd("a", "a", &a);
    wait_until(Duration::from_secs(5), || {
        state_of(&a_state, "VI_1") == "FAULT"
    })
    .expect("VI_1 never entered FAULT");
    std::thread::sleep(Duration::from_millis(500));
    let moves: Vec<(String, String)> = transitions_of(&a_state, "VI_1")
        .into_iter()
        .map(|(from, to, _)| (from, to))
        .collect();
    assert_eq!(
        moves,
        [("INIT".to_string(), "FAULT".to_string())],
        "{}",
        lab.log("a")
    );
    std::fs::write(&file, "0\n").expect("write");
    takes(&lab, "a", VIP, 8);
}
