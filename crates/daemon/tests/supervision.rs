//! havipd's two processes: the one started supervises a VRRP worker. `kill -9` of havipd makes
//! the worker resign (priority 0, addresses removed) as keepalived's child does when its parent
//! dies; a dead worker is restarted and cleans up after itself (or, with `-R`, havipd stops);
//! signals sent at any moment, start-up and shutdown included, never kill it.
//!
//! Timing bounds come from VRRPv2 arithmetic at advert_int 1: a backup of priority 90 takes
//! over Skew_Time = (256 - 90) / 256 = 0.65 s after a priority-0 advert, and
//! Master_Down_Interval = 3 + 0.65 = 3.65 s after the last advert when there is none.

mod common;
use common::{Lab, instance, wait_until};
use std::time::{Duration, Instant};

const VIP: &str = "10.7.0.100";

/// a (priority 100) master and b (90) backup of VRID 61.
fn pair(tag: &str, a_flags: &[&str]) -> Option<Lab> {
    let mut lab = Lab::new(tag, &[])?;
    lab.host("a", &["10.7.0.1/24"]);
    lab.host("b", &["10.7.0.2/24"]);
    lab.havipd_with("a", "a", &instance("VI_1", 61, 100, VIP, ""), "a", a_flags);
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some(),
        "a never became master:\n{}",
        lab.log("a")
    );
    lab.havipd("b", "b", &instance("VI_1", 61, 90, VIP, ""));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!lab.holds("b", VIP), "b took the VIP from a running master");
    Some(lab)
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

fn worker_of(lab: &Lab, name: &str) -> u32 {
    let workers = lab.children_of(name);
    assert_eq!(workers.len(), 1, "{name}'s workers: {workers:?}");
    workers[0]
}

#[test]
fn kill_9_of_havipd_makes_its_worker_resign() {
    let Some(mut lab) = pair("svk", &[]) else {
        return;
    };
    let worker = worker_of(&lab, "a");
    // The supervisor is one thread without a runtime (it forks its worker; see
    // supervisor.rs), and shares the worker's program pages rather than mapping its own.
    let supervisor = lab.pid("a");
    assert_eq!(threads(supervisor), 1, "the supervisor runs threads");
    assert_eq!(
        std::fs::read_link(format!("/proc/{supervisor}/exe")).ok(),
        std::fs::read_link(format!("/proc/{worker}/exe")).ok()
    );
    let killed = Instant::now();
    lab.signal("a", "KILL");
    // The worker resigned: b takes over after Skew_Time, long before Master_Down_Interval.
    let b_took = wait_until(Duration::from_millis(1500), || lab.holds("b", VIP));
    assert!(
        b_took.is_some(),
        "b did not take over within 1.5 s (Skew_Time 0.65 s): a did not resign\n{}",
        lab.log("a")
    );
    assert!(!lab.holds("a", VIP), "a's VIP stayed behind");
    assert!(
        wait_until(Duration::from_secs(2), || !std::path::Path::new(&format!(
            "/proc/{worker}/exe"
        ))
        .exists())
        .is_some(),
        "the worker outlived its supervisor"
    );
    let log = lab.log("a");
    assert!(log.contains("masters resign with priority 0"), "{log}");
    eprintln!(
        "b took over {:?} after kill -9 of a",
        b_took.map(|t| t - killed)
    );
}

#[test]
fn a_dead_worker_is_restarted_and_removes_what_it_left() {
    let Some(mut lab) = pair("svr", &[]) else {
        return;
    };
    let first = worker_of(&lab, "a");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status();
    let restarted = wait_until(Duration::from_secs(2), || {
        lab.log("a")
            .contains("removed a VIP left by a previous run")
    });
    assert!(
        restarted.is_some(),
        "no new worker cleaned up:\n{}",
        lab.log("a")
    );
    assert!(lab.running("a"), "the supervisor stopped");
    let second = worker_of(&lab, "a");
    assert_ne!(first, second);
    assert!(lab.log("a").contains("the VRRP worker died"));
    // a (priority 100, preempting) is master again after its Master_Down_Interval (3.61 s)
    // at most, and b gives way once it hears a.
    let settled = wait_until(Duration::from_secs(6), || {
        lab.holds("a", VIP) && !lab.holds("b", VIP)
    });
    assert!(
        settled.is_some(),
        "a={} b={}\n{}",
        lab.holds("a", VIP),
        lab.holds("b", VIP),
        lab.log("a")
    );
    lab.signal("a", "TERM");
    assert!(!lab.holds("a", VIP));
}

#[test]
fn with_dont_respawn_a_dead_worker_stops_havipd() {
    let Some(mut lab) = pair("svd", &["-R"]) else {
        return;
    };
    let worker = worker_of(&lab, "a");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &worker.to_string()])
        .status();
    assert!(
        wait_until(Duration::from_secs(2), || !lab.running("a")).is_some(),
        "havipd -R outlived its worker"
    );
    assert!(lab.log("a").contains("not restarting it (-R)"));
}

/// Sends SIGHUP, SIGUSR1 and SIGUSR2 in turn, one every `every`, to `pid` until `stop`.
/// Whether process `pid` is havipd with SIGHUP blocked on its main thread (`SigBlk` of
/// /proc/PID/status, a hex mask whose bit n-1 is signal n).
fn holds_sighup(pid: u32) -> bool {
    let execd = std::fs::read_link(format!("/proc/{pid}/exe"))
        .is_ok_and(|p| p.to_string_lossy().contains("havipd"));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let blocked = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    execd && blocked & (1 << (libc::SIGHUP - 1)) != 0
}

fn pelt(pid: u32, every: Duration, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let signals = [
        nix::sys::signal::Signal::SIGHUP,
        nix::sys::signal::Signal::SIGUSR1,
        nix::sys::signal::Signal::SIGUSR2,
    ];
    let target = nix::unistd::Pid::from_raw(pid as i32);
    let mut k = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if nix::sys::signal::kill(target, signals[k % 3]).is_err() {
            return;
        }
        k += 1;
        std::thread::sleep(every);
    }
}

#[test]
fn signals_at_any_moment_never_kill_it() {
    let Some(mut lab) = Lab::new("svs", &[]) else {
        return;
    };
    lab.host("a", &["10.7.0.1/24"]);
    lab.havipd("a", "a", &instance("VI_1", 62, 100, VIP, ""));
    let pid = lab.pid("a");
    // From main's first line, which holds the signals (before it, in the exec and the dynamic
    // loader, a signal's default action ends any program, keepalived as well): the moment the
    // main thread's blocked set holds SIGHUP.
    let held = wait_until(Duration::from_secs(2), || holds_sighup(pid));
    assert!(held.is_some(), "havipd never held its signals");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pelter = {
        let stop = stop.clone();
        std::thread::spawn(move || pelt(pid, Duration::from_millis(1), stop))
    };
    // Start-up, then reloads (every SIGHUP is one) for 3 s, then shutdown under fire.
    let master = wait_until(Duration::from_secs(6), || lab.holds("a", VIP));
    std::thread::sleep(Duration::from_secs(3));
    lab.kill("a", "TERM");
    let stopped = wait_until(Duration::from_secs(10), || !lab.running("a"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = pelter.join();
    let log = lab.log("a");
    assert!(master.is_some(), "never master under signals:\n{log}");
    assert!(stopped.is_some(), "did not stop on SIGTERM:\n{log}");
    assert!(!log.contains("worker died"), "{log}");
    assert!(log.contains("havipd stopped"), "{log}");
    assert_eq!(lab.exit_code("a"), Some(0), "{log}");
    assert!(!lab.holds("a", VIP));
}
