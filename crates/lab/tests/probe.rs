//! The client probe on real sockets, without `ping`: inside a namespace of its own, one echo
//! request every 10 ms to the loopback address (IPv4 and IPv6), every reply with the kernel's
//! receive time, and an unanswered target seen as one outage up to the end.

use lab::probe::{self, Pinger};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A namespace with its loopback up, deleted on drop.
struct Ns(String);

impl Ns {
    fn new(tag: &str) -> Option<Ns> {
        if hostcheck::skip_reason(&format!("probe {tag}"), &[]).is_some() {
            return None;
        }
        let name = format!("hvprobe{}{tag}", std::process::id());
        let ok = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ip netns add {name} && ip -n {name} link set lo up"
            ))
            .status()
            .is_ok_and(|s| s.success());
        let ns = Ns(name);
        assert!(ok, "namespace {}", ns.0);
        Some(ns)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn probe_for_a_second(tag: &str, target: &str) {
    let Some(ns) = Ns::new(tag) else { return };
    let start = now();
    let pinger = Pinger::start(&ns.0, target).expect("probe starts");
    std::thread::sleep(Duration::from_secs(1));
    let replies = pinger.stop();
    let end = now();
    // 100 requests in a second, on a fixed schedule; a loaded machine may be a few late.
    assert!(
        (90..=101).contains(&replies.len()),
        "{} replies",
        replies.len()
    );
    let mut seqs: Vec<u32> = replies.iter().map(|r| r.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs.first(), Some(&1));
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(replies.iter().all(|r| (start..=end).contains(&r.time)));
    assert!(probe::outages(&replies).is_empty());
    let mut gaps: Vec<f64> = replies.windows(2).map(|w| w[1].time - w[0].time).collect();
    gaps.sort_by(f64::total_cmp);
    let median = gaps[gaps.len() / 2];
    assert!((0.008..0.012).contains(&median), "median gap {median} s");
}

#[test]
fn probes_the_loopback_every_10_ms_over_ipv4() {
    probe_for_a_second("v4", "127.0.0.1");
}

#[test]
fn probes_the_loopback_every_10_ms_over_ipv6() {
    probe_for_a_second("v6", "::1");
}

#[test]
fn an_unanswered_target_is_one_outage_to_the_end() {
    let Some(ns) = Ns::new("none") else { return };
    // The loopback goes down 300 ms in: no reply after that, up to the end.
    let pinger = Pinger::start(&ns.0, "127.0.0.1").expect("probe starts");
    std::thread::sleep(Duration::from_millis(300));
    let ok = Command::new("ip")
        .args(["-n", &ns.0, "link", "set", "lo", "down"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    std::thread::sleep(Duration::from_millis(500));
    let end = now();
    let replies = pinger.stop();
    let out = probe::outages_until(&replies, end);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!((400.0..=600.0).contains(&out[0].ms()), "{out:?}");
    assert!(Pinger::start(&ns.0, "not-an-address").is_err());
}

/// The lab's spread loss (`"spread": true`) drops the same packets every run: on the loopback
/// each echo passes the output and input hooks twice (request, reply), and the nftables
/// counters of each hook drop exactly the places `sim::spread_drops` names.
#[test]
fn spread_loss_drops_the_same_packets_as_the_simulator() {
    let Some(ns) = Ns::new("spread") else { return };
    if hostcheck::skip_reason("probe spread loss", &["nft"]).is_some() {
        return;
    }
    lab::faults::loss(&ns.0, 30, true).expect("loss rules");
    let pinger = Pinger::start(&ns.0, "127.0.0.1").expect("probe starts");
    std::thread::sleep(Duration::from_millis(600));
    let replies = pinger.stop();
    let answered: Vec<u32> = replies.iter().map(|r| r.seq).collect();
    let last = *answered.iter().max().expect("some replies");
    // Echo `seq` crosses output, input (request), output, input (reply); a drop ends it.
    let mut counted = [0u64; 2]; // output, input
    let mut expected = Vec::new();
    for seq in 1..=last {
        let through = [0, 1, 0, 1].into_iter().all(|hook| {
            let dropped = sim::spread_drops(counted[hook], 30);
            counted[hook] += 1;
            !dropped
        });
        if through {
            expected.push(seq);
        }
    }
    assert_eq!(answered, expected);
    assert!(expected.len() < last as usize, "some echoes lost");
}
