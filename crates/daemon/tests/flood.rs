//! A flood of well-formed VRRPv3 adverts for a VRID the master does not run, sent at full speed
//! for 10 s to the master (VRRPv3, advert_int 0.1, priority 100), neither delays its adverts by
//! more than a millisecond nor lets its backup (90) take over: the kernel filter on the loop's
//! socket hands other VRIDs to the stray counter, so the flood never wakes the loop, and the
//! loop's timer is a timerfd (tokio's tick is 1 ms). The backup would take over after
//! Master_Down_Interval = 0.3 + 0.1 x 166/256 = 0.365 s without adverts; the master's timer
//! lateness (its metrics' histogram) shows how late its adverts left. The flood is counted.
//!
//! The kernel handles the flood's packets in softirq context, which no thread preempts
//! (`net.core.netdev_budget_usecs`, 2-8 ms a round): on a 2-core machine with both cores
//! flooded, any real-time thread is now and then woken more than 1 ms late (cyclictest at
//! SCHED_RR 50 beside this test: 1.3 ms at worst). So the test measures that floor itself
//! ([`RealtimeReference`]) and holds havipd to it: almost every advert within 1 ms, none later
//! than a bare real-time thread was woken plus half a millisecond of handling.

mod common;
use common::{
    Lab, RealtimeReference, assert_timers_on_time, instance, scrape_metrics, state_of,
    timer_lateness, transitions, wait_until,
};
use std::time::Duration;

const VIP: &str = "10.3.0.100";

/// Sends VRRPv3 adverts for VRID 200 (checksum right) from SRC to DST for SECONDS; prints the
/// number sent.
const FLOOD: &str = r#"
import socket, struct, sys, time
src, dst, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
def checksum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
adv = bytes([0x31, 200, 100, 1, 0, 10, 0, 0]) + socket.inet_aton("10.3.0.200")
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + bytes([0, 112]) + struct.pack("!H", len(adv))
adv = adv[:6] + struct.pack("!H", checksum(pseudo + adv)) + adv[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
end, n = time.time() + secs, 0
while time.time() < end:
    for _ in range(200):
        s.sendto(adv, (dst, 0))
    n += 200
print(n)
"#;

#[test]
fn a_flood_for_other_vrids_delays_no_advert_and_causes_no_takeover() {
    let Some(mut lab) = Lab::new("fld", &["python3"]) else {
        return;
    };
    lab.host("a", &["10.3.0.1/24"]);
    lab.host("b", &["10.3.0.2/24"]);
    lab.host("c", &["10.3.0.9/24"]);
    let fast = "    advert_int 0.1\n";
    let v3 = "global_defs {\n    vrrp_version 3\n}\n";
    let conf = |prio| format!("{v3}{}", instance("VI_1", 67, prio, VIP, fast));
    // As an operator would on a busy host: the VRRP loop runs SCHED_RR (keepalived's
    // vrrp_rt_priority), so the flooders' CPU use cannot push its timers back.
    let a_conf = conf(100).replace(
        "vrrp_version 3\n",
        "vrrp_version 3\n    vrrp_rt_priority 50\n",
    );
    lab.havipd_with(
        "a",
        "a",
        &a_conf,
        "a",
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    assert!(wait_until(Duration::from_secs(3), || lab.holds("a", VIP)).is_some());
    let b_state = lab.havipd("b", "b", &conf(90));
    std::thread::sleep(Duration::from_millis(800));
    let before = timer_lateness(&lab, "a", 9650);
    let reference = RealtimeReference::start(Duration::from_secs(10));
    let script = lab.write("flood.py", FLOOD);
    let floods: Vec<_> = (0..2)
        .map(|_| {
            let ns = lab.ns("c");
            let script = script.clone();
            std::thread::spawn(move || {
                std::process::Command::new("ip")
                    .args([
                        "netns", "exec", &ns, "python3", &script, "10.3.0.9", "10.3.0.1", "10",
                    ])
                    .output()
                    .expect("flood")
            })
        })
        .collect();
    let sent: u64 = floods
        .into_iter()
        .map(|f| {
            let out = f.join().expect("flood thread");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        })
        .sum();
    let after = timer_lateness(&lab, "a", 9650);
    let floor = reference.worst();
    let during: Vec<(String, u64)> = after
        .iter()
        .zip(&before)
        .map(|((le, n), (_, m))| (le.clone(), n - m))
        .collect();
    eprintln!("flood: {sent} adverts in 10 s; master's timer lateness during it: {during:?}");
    assert!(
        sent > 100_000,
        "the flood was too slow to prove anything: {sent}"
    );
    let b_master = transitions(&b_state)
        .iter()
        .any(|(_, _, to)| to == "MASTER");
    assert!(!b_master, "b took over during the flood");
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    // 100 adverts in 10 s. Before the kernel filter, the flood kept the SCHED_RR loop busy all
    // the time and the kernel's real-time throttling (sched_rt_runtime_us 950000 of 1000000)
    // stopped it for up to 50 ms a second: one in ten was 2-100 ms late; before the timerfd,
    // tokio's 1 ms tick alone made some 1-2 ms late. Both fail here.
    assert!(
        lab.log("a").contains("VRRP loop scheduled"),
        "{}",
        lab.log("a")
    );
    assert_timers_on_time(&during, floor);
    // Counted off the loop: the stray counter's share shows in the metrics.
    let counted: u64 = scrape_metrics(&lab, "a", 9650)
        .lines()
        .filter(|l| l.starts_with("havip_dropped_packets_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    eprintln!("flood: {counted} of {sent} counted as dropped");
    assert!(10 * counted >= 9 * sent, "{counted} of {sent} counted");
}

/// `stats.json`'s `dropped` counters of `name` (written on SIGUSR2).
fn dropped(lab: &Lab, name: &str, state: &std::path::Path) -> serde_json::Value {
    let file = state.join("stats.json");
    let _ = std::fs::remove_file(&file);
    lab.kill(name, "USR2");
    wait_until(Duration::from_secs(3), || file.exists()).expect("stats.json on SIGUSR2");
    std::thread::sleep(Duration::from_millis(50));
    let text = std::fs::read_to_string(&file).expect("stats.json");
    serde_json::from_str::<serde_json::Value>(&text).expect("JSON")["dropped"].clone()
}

/// The kernel filter follows the configuration: before a reload, b's adverts for VRID 68 are
/// counted as for no instance (by the stray counter); the reload adds VRID 68 at a lower
/// priority than b's, and a hears b at once: it stays BACKUP past Master_Down_Interval and
/// never takes the VIP (a filter left as it was would make it MASTER beside b).
#[test]
fn a_reload_that_adds_a_vrid_hears_that_vrid_s_peers() {
    let Some(mut lab) = Lab::new("flr", &[]) else {
        return;
    };
    lab.host("a", &["10.3.0.1/24"]);
    lab.host("b", &["10.3.0.2/24"]);
    const VIP2: &str = "10.3.0.101";
    let first = instance("VI_1", 67, 100, VIP, "");
    let a_state = lab.havipd("a", "a", &first);
    assert!(wait_until(Duration::from_secs(5), || lab.holds("a", VIP)).is_some());
    let b_conf = format!(
        "{}{}",
        instance("VI_1", 67, 90, VIP, ""),
        instance("VI_2", 68, 150, VIP2, "")
    );
    lab.havipd("b", "b", &b_conf);
    assert!(wait_until(Duration::from_secs(6), || lab.holds("b", VIP2)).is_some());
    std::thread::sleep(Duration::from_secs(2));
    let before = dropped(&lab, "a", &a_state);
    assert!(
        before["no_instance"].as_u64().unwrap_or(0) >= 2,
        "b's VRID 68 adverts were not counted: {before}"
    );
    lab.write(
        "a.conf",
        &format!("{first}{}", instance("VI_2", 68, 100, VIP2, "")),
    );
    lab.kill("a", "HUP");
    assert!(
        wait_until(Duration::from_secs(3), || state_of(&a_state, "VI_2")
            == "BACKUP")
        .is_some(),
        "VI_2 never started:\n{}",
        lab.log("a")
    );
    // Master_Down_Interval is 3 x 1 s + skew: well past it, a is still BACKUP.
    let took = wait_until(Duration::from_secs(5), || lab.holds("a", VIP2));
    assert!(
        took.is_none(),
        "a took VRID 68's VIP beside b:\n{}",
        lab.log("a")
    );
    assert_eq!(state_of(&a_state, "VI_2"), "BACKUP");
    assert!(lab.holds("b", VIP2) && lab.holds("a", VIP));
}
