//! A thousand reloads leave havipd as they found it: the same tasks alive and the same memory
//! (PSS of the supervisor and the worker), with a tracked script, a notify script and a VIP.

mod common;
use common::{Lab, instance, scrape_metrics, wait_until};
use std::time::Duration;

const VIP: &str = "10.9.0.12";

/// Proportional set size of a process, in KiB.
fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn tasks(lab: &Lab) -> u64 {
    let text = scrape_metrics(lab, "a", 9651);
    text.lines()
        .find_map(|l| l.strip_prefix("havip_tasks "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .unwrap_or_else(|| panic!("no havip_tasks in the metrics:\n{text}"))
}

fn reload(socket: &std::path::Path) {
    match ctl::Client::one(socket, &ctl::Request::Reload).expect("control socket") {
        ctl::Reply::Reload(o) => assert!(o.applied, "{}", o.message),
        other => panic!("unexpected reply {other:?}"),
    }
}

#[test]
fn a_thousand_reloads_leave_tasks_and_memory_flat() {
    let Some(mut lab) = Lab::new("rld", &["python3"]) else {
        return;
    };
    lab.host("a", &["10.9.0.5/24"]);
    let extra = "    track_script {\n        chk\n    }\n    notify_master \"/bin/true\"\n";
    let config = format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n    interval 1\n}}\n{}",
        instance("VI_1", 97, 100, VIP, extra)
    );
    let state = lab.havipd_with(
        "a",
        "a",
        &config,
        "a",
        &["--metrics-listen", "127.0.0.1:9651"],
    );
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    let socket = state.join(ctl::SOCKET_NAME);
    let processes = || {
        let mut p = vec![lab.pid("a")];
        p.extend(lab.children_of("a"));
        p
    };
    let memory = || processes().into_iter().map(pss_kib).sum::<u64>();
    // Warm up: the allocator's pools and the runtime's worker state settle.
    for _ in 0..100 {
        reload(&socket);
    }
    let (tasks_before, pss_before) = (tasks(&lab), memory());
    for _ in 0..1000 {
        reload(&socket);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (tasks_after, pss_after) = (tasks(&lab), memory());
    eprintln!(
        "1,000 reloads: tasks {tasks_before} -> {tasks_after}, PSS {pss_before} -> {pss_after} KiB"
    );
    assert!(lab.holds("a", VIP), "the master let go of its VIP");
    assert!(
        tasks_after <= tasks_before + 2,
        "tasks grew: {tasks_before} -> {tasks_after}"
    );
    // Flat: less than 1 KiB a reload on average would show as 1,000 KiB.
    assert!(
        pss_after <= pss_before + 512,
        "memory grew: {pss_before} -> {pss_after} KiB"
    );
}
