//! `vrrp_track_process` in namespaces, from the kernel's process events: the master tracks a
//! process (a copy of `sleep` with a name unique to the test); killing it hands the VIP to the
//! backup, starting it again brings it back (preemption); a weight lowers the priority below the
//! backup's; a quorum of two full command lines; a reload tracks the new set; terminate_delay
//! holds the fault back and a quick restart cancels it; a fork storm neither delays the master's
//! adverts nor wedges the watcher. One test
//! measures the time from the kill to the backup holding the VIP with havipd and with Debian's
//! keepalived 2.2.7 as the master, on the same switch.
//!
//! havipd runs in a namespace and still gets the events (its socket is made in the initial
//! namespace). keepalived 2.2.7 cannot track processes in a namespace (the kernel refuses its
//! subscription there and it holds the instance in FAULT), so it runs in the initial namespace
//! on a veth to the lab's switch.

mod common;
use common::{Lab, instance, state_of, wait_until};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VIP: &str = "10.7.0.12";

/// Copies of `sleep` under a unique command name, killed on drop.
struct Processes {
    path: String,
    running: Vec<Child>,
}

impl Processes {
    /// `sleep` copied into the lab as `name` (at most 15 characters: the kernel's comm).
    fn new(lab: &Lab, name: &str) -> Processes {
        assert!(name.len() <= 15);
        let path = lab.dir.join(name);
        std::fs::copy("/bin/sleep", &path).expect("copy sleep");
        Processes {
            path: path.display().to_string(),
            running: Vec::new(),
        }
    }

    /// Starts one, with `argv0` as its command line's first word if given.
    fn start(&mut self, argv0: Option<&str>) {
        let mut cmd = Command::new(&self.path);
        if let Some(a) = argv0 {
            cmd.arg0(a);
        }
        cmd.arg("1000").stdin(Stdio::null());
        // The copy was written by this process: a fork of a test running beside this one may
        // still hold it open for writing (ETXTBSY) for a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        let child = loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other.expect("start"),
            }
        };
        self.running.push(child);
    }

    /// Kills the last one started (SIGKILL); returns when.
    fn kill_one(&mut self) -> Instant {
        let mut child = self.running.pop().expect("a running process");
        let at = Instant::now();
        child.kill().expect("kill");
        let _ = child.wait();
        at
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.running {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A name unique to this test run.
fn unique(tag: &str) -> String {
    format!("hp{}{tag}", std::process::id() % 100_000)
}

/// Waits until `host` holds `vip`; returns when.
fn takes(lab: &Lab, host: &str, within: u64) -> Instant {
    wait_until(Duration::from_secs(within), || lab.holds(host, VIP)).unwrap_or_else(|| {
        panic!(
            "{host} never took {VIP}:\n--- a\n{}\n--- b\n{}",
            lab.log("a"),
            lab.log("b")
        )
    })
}

/// Starts the pair (a tracks with `a_extra` and `definitions`, priority 100; b 90).
fn pair(lab: &mut Lab, vrid: u8, definitions: &str, a_extra: &str) -> std::path::PathBuf {
    lab.host("a", &["10.7.0.5/24"]);
    lab.host("b", &["10.7.0.6/24"]);
    let a = format!("{definitions}{}", instance("VI_1", vrid, 100, VIP, a_extra));
    let a_state = lab.havipd("a", "a", &a);
    std::thread::sleep(Duration::from_millis(300));
    lab.havipd("b", "b", &instance("VI_1", vrid, 90, VIP, ""));
    a_state
}

const TRACK: &str = "    track_process {\n        tp\n    }\n";

#[test]
fn killing_the_tracked_process_hands_the_vip_over_and_its_return_takes_it_back() {
    let Some(mut lab) = Lab::new("ptf", &[]) else {
        return;
    };
    let name = unique("f");
    let mut procs = Processes::new(&lab, &name);
    procs.start(None);
    let a_state = pair(
        &mut lab,
        81,
        &format!("vrrp_track_process tp {{\n    process {name}\n}}\n"),
        TRACK,
    );
    takes(&lab, "a", 8);
    let killed = procs.kill_one();
    let b_took = takes(&lab, "b", 5);
    assert!(!lab.holds("a", VIP));
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    eprintln!("havipd: kill to takeover {:?}", b_took - killed);
    procs.start(None);
    takes(&lab, "a", 5);
    assert!(lab.log("a").contains("events=true"), "{}", lab.log("a"));
}

#[test]
fn a_weight_lowers_the_priority_below_the_backup_and_a_reload_tracks_the_new_set() {
    let Some(mut lab) = Lab::new("ptw", &[]) else {
        return;
    };
    let name = unique("w");
    let mut procs = Processes::new(&lab, &name);
    procs.start(None);
    let definitions = format!("vrrp_track_process tp {{\n    process {name}\n    weight -20\n}}\n");
    let a_state = pair(&mut lab, 82, &definitions, TRACK);
    takes(&lab, "a", 8);
    procs.kill_one();
    // 100 - 20 = 80 < 90: b preempts; a stays a backup, not faulty.
    takes(&lab, "b", 5);
    assert!(wait_until(Duration::from_secs(3), || !lab.holds("a", VIP)).is_some());
    assert_eq!(state_of(&a_state, "VI_1"), "BACKUP");
    procs.start(None);
    takes(&lab, "a", 5);
    // A reload that tracks a process no one runs (unweighted): a faults, b takes over.
    let missing = unique("m");
    let reloaded = format!(
        "vrrp_track_process tp {{\n    process {missing}\n}}\n{}",
        instance("VI_1", 82, 100, VIP, TRACK)
    );
    lab.write("a.conf", &reloaded);
    lab.reload("a");
    takes(&lab, "b", 5);
    assert!(
        wait_until(Duration::from_secs(3), || state_of(&a_state, "VI_1")
            == "FAULT")
        .is_some()
    );
}

#[test]
fn a_quorum_of_full_command_lines() {
    let Some(mut lab) = Lab::new("ptq", &[]) else {
        return;
    };
    let (name, argv0) = (unique("q"), unique("qa"));
    let mut procs = Processes::new(&lab, &name);
    procs.start(Some(&argv0));
    procs.start(Some(&argv0));
    // Another command line of the same program does not count.
    procs.start(None);
    let definitions =
        format!("vrrp_track_process tp {{\n    process {argv0} 1000\n    quorum 2\n}}\n");
    let a_state = pair(&mut lab, 83, &definitions, TRACK);
    takes(&lab, "a", 8);
    // The last started (`sleep 1000` under its own name) goes: still two.
    procs.kill_one();
    std::thread::sleep(Duration::from_millis(500));
    assert!(lab.holds("a", VIP), "{}", lab.log("a"));
    procs.kill_one();
    takes(&lab, "b", 5);
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    procs.start(Some(&argv0));
    takes(&lab, "a", 5);
}

/// Kills the tracked process of the master on `master` `runs` times; the kill-to-takeover
/// times, in ms.
fn takeovers(lab: &Lab, master: &str, procs: &mut Processes, runs: usize) -> Vec<u128> {
    (0..runs)
        .map(|_| {
            takes(lab, master, 10);
            std::thread::sleep(Duration::from_millis(1500));
            let killed = procs.kill_one();
            let took = takes(lab, "b", 5);
            procs.start(None);
            (took - killed).as_millis()
        })
        .collect()
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn kill_to_takeover_beside_keepalived() {
    let Some(mut lab) = Lab::new("ptk", &["keepalived"]) else {
        return;
    };
    let name = unique("k");
    let mut procs = Processes::new(&lab, &name);
    procs.start(None);
    let definitions = format!("vrrp_track_process tp {{\n    process {name}\n}}\n");
    pair(&mut lab, 84, &definitions, TRACK);
    let havipd = takeovers(&lab, "a", &mut procs, 3);
    lab.signal("a", "TERM");
    // keepalived in place of havipd on the master, on the same switch.
    let link = lab.root_host("k", "10.7.0.7/24");
    let config = format!("{definitions}{}", instance("VI_1", 84, 100, VIP, TRACK))
        .replace("interface eth0", &format!("interface {link}"));
    lab.keepalived_here("a", "keepalived", &config);
    let keepalived = takeovers(&lab, "k", &mut procs, 3);
    eprintln!(
        "kill to takeover (ms), median of 3: havipd {} {havipd:?}, keepalived 2.2.7 {} {keepalived:?}",
        median(havipd.clone()),
        median(keepalived.clone())
    );
    // Both detect the exit at once; the backup then waits its skew time (about 0.65 s at 90).
    assert!(median(havipd) < 1500);
    assert!(median(keepalived) < 1500);
}

#[test]
fn a_fork_storm_neither_delays_the_adverts_nor_wedges_the_watcher() {
    let Some(mut lab) = Lab::new("pts", &[]) else {
        return;
    };
    let name = unique("s");
    let mut procs = Processes::new(&lab, &name);
    procs.start(None);
    let definitions = format!("vrrp_track_process tp {{\n    process {name}\n}}\n");
    pair(&mut lab, 85, &definitions, TRACK);
    let b_state = lab.dir.join("b");
    takes(&lab, "a", 8);
    // Two shells fork and exec as fast as they can for 5 s: every exec is an event the
    // watcher reads /proc for, off the loop.
    let storms: Vec<Child> = (0..2)
        .map(|_| {
            Command::new("timeout")
                .args(["5", "sh", "-c", "while :; do /bin/true; done"])
                .spawn()
                .expect("storm")
        })
        .collect();
    for mut s in storms {
        let _ = s.wait();
    }
    assert!(lab.holds("a", VIP), "{}", lab.log("a"));
    assert!(
        !common::transitions_of(&b_state, "VI_1")
            .iter()
            .any(|(_, to, _)| to == "MASTER"),
        "b took over during the storm:\n{}",
        lab.log("b")
    );
    // The watcher kept up: the kill is still seen at once.
    procs.kill_one();
    takes(&lab, "b", 5);
}

#[test]
fn terminate_delay_waits_and_a_quick_restart_cancels_it() {
    let Some(mut lab) = Lab::new("ptd", &[]) else {
        return;
    };
    let name = unique("d");
    let mut procs = Processes::new(&lab, &name);
    procs.start(None);
    let definitions =
        format!("vrrp_track_process tp {{\n    process {name}\n    terminate_delay 1.5\n}}\n");
    let a_state = pair(&mut lab, 86, &definitions, TRACK);
    takes(&lab, "a", 8);
    // Back within the delay: nothing happens.
    procs.kill_one();
    std::thread::sleep(Duration::from_millis(500));
    procs.start(None);
    assert!(
        wait_until(Duration::from_millis(2500), || !lab.holds("a", VIP)).is_none(),
        "a lost the VIP though its process came back within terminate_delay:\n{}",
        lab.log("a")
    );
    // Gone for good: FAULT once the delay has passed, then b takes over after its skew.
    let killed = procs.kill_one();
    let took = takes(&lab, "b", 6) - killed;
    assert!(
        took >= Duration::from_millis(1500),
        "b took over {took:?} after the kill, before terminate_delay ended"
    );
    assert_eq!(state_of(&a_state, "VI_1"), "FAULT");
    procs.start(None);
    takes(&lab, "a", 5);
}
