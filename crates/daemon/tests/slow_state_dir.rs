//! A state directory whose writes block delays no advert: the files are written by a thread of
//! their own. a (VRRPv3, advert_int 0.1, priority 100) is master and b (90) listens; a's
//! `transitions.jsonl` is a FIFO no one reads when a second instance of a's faults, so the
//! line's write is held for 2 s. b would take over after
//! Master_Down_Interval = 0.3 + 0.1 x 166/256 = 0.365 s without adverts; it must hear about
//! 20 in those 2 s and stay backup.

mod common;
use common::{Lab, instance, stats_of, transitions, wait_until};
use std::time::Duration;

const VIP: &str = "10.4.0.100";

#[test]
fn blocked_state_writes_delay_no_advert() {
    let Some(mut lab) = Lab::new("ssd", &["mkfifo"]) else {
        return;
    };
    lab.host("a", &["10.4.0.1/24"]);
    lab.host("b", &["10.4.0.2/24"]);
    let fast = "    advert_int 0.1\n";
    let v3 = "global_defs {\n    vrrp_version 3\n}\n";
    let flag = lab.dir.join("flag");
    std::fs::write(&flag, "0\n").expect("flag");
    let second = format!("{fast}    track_file {{\n        flag\n    }}\n");
    let a_state = lab.havipd(
        "a",
        "a",
        &format!(
            "{v3}track_file flag {{\n    file {}\n    weight 0\n}}\n{}{}",
            flag.display(),
            instance("VI_1", 66, 100, VIP, fast),
            instance("VI_2", 67, 100, "10.4.0.101", &second)
        ),
    );
    assert!(wait_until(Duration::from_secs(3), || lab.holds("a", VIP)).is_some());
    let b_state = lab.havipd(
        "b",
        "b",
        &format!("{v3}{}", instance("VI_1", 66, 90, VIP, fast)),
    );
    std::thread::sleep(Duration::from_millis(800));
    let heard_before = stats_of(&lab, "b", &b_state, "VI_1")["advert_rcvd"]
        .as_u64()
        .expect("b's counters");
    // The next transition's line opens a FIFO no one reads: it blocks until we read it.
    let fifo = a_state.join("transitions.jsonl");
    lab.sh_in("a", &format!("rm {0} && mkfifo {0}", fifo.display()));
    // A tracked file with weight 0 and a value other than 0 faults VI_2.
    std::fs::write(&flag, "1\n").expect("flag");
    std::thread::sleep(Duration::from_secs(2));
    let heard = stats_of(&lab, "b", &b_state, "VI_1")["advert_rcvd"]
        .as_u64()
        .expect("b's counters")
        - heard_before;
    let b_master = transitions(&b_state)
        .iter()
        .any(|(_, _, to)| to == "MASTER");
    // Release the write: the transition arrives.
    let text = lab.sh_in("a", &format!("timeout 5 cat {}", fifo.display()));
    assert!(!b_master, "b took over while a's state write was blocked");
    assert!(heard >= 18, "b heard {heard} adverts in 2 s at 0.1 s");
    assert!(text.contains("FAULT") && text.contains("VI_2"), "{text}");
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
}
