//! The seeds' topology in namespaces: HAVIP-01 (172.16.16.5) and HAVIP-02 (172.16.16.6) with
//! the English seed's configs as printed (no-break spaces and all), and a client
//! (172.16.16.100) pinging the HAVIP 172.16.16.12.
//!
//! Bounds (the secondary has priority 50 in that seed): after a link cut the secondary takes
//! over Master_Down_Interval = 3 s + 206/256 s = 3.8047 s after the primary's last advert
//! (+50 ms allowed); after a graceful stop, Skew_Time = 0.8047 s (+50 ms).

mod common;
use common::{Lab, transitions, wait_until};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const VIP: &str = "172.16.16.12";
const MDI_SECONDARY: f64 = 3.0 + 206.0 / 256.0;
const SKEW_SECONDARY: f64 = 206.0 / 256.0;

fn seed(name: &str) -> String {
    format!(
        "{}/../conf/tests/data/seeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Starts havipd in `host` with a seed config (as printed); its state directory is `<lab>/<state>`.
fn start_havipd(lab: &mut Lab, host: &str, name: &str, config: &str, state: &str) {
    let text = std::fs::read_to_string(seed(config)).expect("seed config");
    lab.havipd_in(host, name, &text, state);
}

/// Starts the seed pair (primary first, as the guide does) and waits for the election.
fn seed_pair(tag: &str) -> Option<Lab> {
    let mut lab = Lab::new(tag, &[])?;
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.host("c", &["172.16.16.100/24"]);
    start_havipd(&mut lab, "a", "a", "en-primary.conf", "a");
    std::thread::sleep(Duration::from_millis(500));
    start_havipd(&mut lab, "b", "b", "en-secondary.conf", "b");
    assert!(
        wait_until(Duration::from_secs(8), || lab.holds("a", VIP)).is_some(),
        "primary never took the VIP:\n{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !lab.holds("b", VIP),
        "secondary holds the VIP too:\n{}",
        lab.log("b")
    );
    assert!(lab.ping("c", VIP), "the client cannot ping the VIP");
    Some(lab)
}

fn master_time(lab: &Lab, host: &str) -> f64 {
    transitions(&lab.dir.join(host))
        .iter()
        .rev()
        .find(|(_, _, to)| to == "MASTER")
        .map(|(t, _, _)| *t)
        .unwrap_or_else(|| panic!("{host} never became master:\n{}", lab.log(host)))
}

#[test]
fn link_cut_of_the_primary_hands_over_within_mdi() {
    let Some(lab) = seed_pair("cut") else { return };
    // Cut half-way between two adverts, so the last one sent is unambiguous.
    let became = master_time(&lab, "a");
    let phase = (now() - became).fract();
    std::thread::sleep(Duration::from_secs_f64((1.5 - phase) % 1.0));
    let cut = now();
    lab.cable("a", false);
    assert!(
        wait_until(Duration::from_secs(8), || lab.holds("b", VIP)).is_some(),
        "secondary never took over:\n{}",
        lab.log("b")
    );
    let last_advert = became + (cut - became).floor();
    let takeover = master_time(&lab, "b") - last_advert;
    eprintln!("takeover {takeover:.4} s after the last advert (MDI {MDI_SECONDARY:.4} s)");
    assert!(
        (MDI_SECONDARY - 0.03..=MDI_SECONDARY + 0.05).contains(&takeover),
        "takeover {takeover:.4} s, expected MDI {MDI_SECONDARY:.4} s + 50 ms"
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some(),
        "the client cannot reach the VIP on the secondary"
    );
}

#[test]
fn graceful_stop_hands_over_within_skew_and_nopreempt_keeps_the_new_master() {
    let Some(mut lab) = seed_pair("stop") else {
        return;
    };
    let stop = now();
    lab.signal("a", "TERM");
    assert!(
        !lab.holds("a", VIP),
        "a stopped primary must remove its VIP"
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab.holds("b", VIP)).is_some(),
        "secondary never took over:\n{}",
        lab.log("b")
    );
    let a_stop = transitions(&lab.dir.join("a"))
        .iter()
        .find(|(_, _, to)| to == "STOP")
        .map(|(t, _, _)| *t)
        .unwrap_or(stop);
    let handover = master_time(&lab, "b") - a_stop;
    eprintln!("handover {handover:.4} s after the stop (skew {SKEW_SECONDARY:.4} s)");
    assert!(
        (SKEW_SECONDARY - 0.03..=SKEW_SECONDARY + 0.05).contains(&handover),
        "handover {handover:.4} s, expected skew {SKEW_SECONDARY:.4} s + 50 ms"
    );
    assert!(
        lab.log("a").contains("notify_action.sh STOP"),
        "notify_stop ran:\n{}",
        lab.log("a")
    );
    // The old primary returns: with nopreempt it stays backup, though its priority is higher.
    start_havipd(&mut lab, "a", "a2", "en-primary.conf", "a");
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        lab.holds("b", VIP) && !lab.holds("a", VIP),
        "nopreempt: the new master keeps the VIP\n{}",
        lab.log("a2")
    );
    let last = transitions(&lab.dir.join("a"))
        .last()
        .cloned()
        .expect("transitions");
    assert_eq!(last.2, "BACKUP");
    assert!(lab.ping("c", VIP));
}
