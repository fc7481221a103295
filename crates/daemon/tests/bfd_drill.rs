//! The BFD failover drill: a master tracks a BFD session (min_rx 50, min_tx 50, multiplier 3:
//! a 150 ms detection time) to a neighbour running keepalived 2.2.7's BFD; the neighbour's
//! cable is cut and the master must drop the VIP within the detection time plus a margin, while
//! VRRP alone would keep it. Run three times for havipd and three for keepalived on the same
//! hosts; the medians are printed (`--nocapture`) and havipd's is held to 150 ms + margin.

mod common;
use common::{Lab, wait_until};
use std::time::{Duration, Instant};

const VIP: &str = "10.9.0.100";
/// The detection time, and what the measure may add: the kernel removing the address, the
/// poll of `ip addr` (a process per look) and a loaded 2-core machine.
const DETECTION: Duration = Duration::from_millis(150);
const MARGIN: Duration = Duration::from_millis(120);

fn vrrp(priority: u8, track: bool) -> String {
    let (bfd, track) = if track {
        (
            "bfd_instance nbr {\n    neighbor_ip 10.9.0.3\n    min_rx 50\n    min_tx 50\n    multiplier 3\n}\n",
            "    track_bfd {\n        nbr\n    }\n",
        )
    } else {
        ("", "")
    };
    format!(
        "{bfd}vrrp_instance VD {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 71\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n{track}}}\n"
    )
}

/// The neighbour: keepalived's BFD toward the master, and an instance of its own.
const NEIGHBOUR: &str = "bfd_instance master {\n    neighbor_ip 10.9.0.1\n    min_rx 50\n    \
    min_tx 50\n    multiplier 3\n}\nvrrp_instance VN {\n    state BACKUP\n    interface eth0\n    \
    virtual_router_id 72\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        \
    10.9.0.200/24\n    }\n}\n";

/// Three cuts with `daemon` ("havipd" or "keepalived") on the master and the backup; the
/// times from each cut to the VIP leaving the master.
fn drill(daemon: &str) -> Option<Vec<Duration>> {
    let mut lab = Lab::new("bfdd", &["keepalived"])?;
    lab.host("m", &["10.9.0.1/24"]);
    lab.host("b", &["10.9.0.2/24"]);
    lab.host("n", &["10.9.0.3/24"]);
    lab.keepalived("n", "neighbour", "keepalived", NEIGHBOUR);
    if daemon == "havipd" {
        lab.havipd("m", "master", &vrrp(150, true));
        lab.havipd("b", "backup", &vrrp(100, false));
    } else {
        lab.keepalived("m", "master", "keepalived", &vrrp(150, true));
        lab.keepalived("b", "backup", "keepalived", &vrrp(100, false));
    }
    let mut out = Vec::new();
    for run in 0..3 {
        let settled = wait_until(Duration::from_secs(20), || {
            lab.holds("m", VIP) && !lab.holds("b", VIP)
        });
        assert!(
            settled.is_some(),
            "{daemon} run {run}: the master holds the VIP: master log:\n{}",
            lab.log("master")
        );
        // Let the session settle at its fast interval.
        std::thread::sleep(Duration::from_secs(1));
        let cut = Instant::now();
        lab.cable("n", false);
        while lab.holds("m", VIP) {
            assert!(
                cut.elapsed() < Duration::from_secs(3),
                "{daemon} run {run}: the master kept the VIP after its BFD path was cut: log:\n{}",
                lab.log("master")
            );
        }
        out.push(cut.elapsed());
        lab.cable("n", true);
    }
    Some(out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn a_master_drops_its_vip_within_the_bfd_detection_time_beside_keepalived() {
    let Some(havipd) = drill("havipd") else {
        return;
    };
    let Some(keepalived) = drill("keepalived") else {
        return;
    };
    println!("BFD drill, cut to VIP gone (ms): havipd {havipd:?}, keepalived {keepalived:?}");
    let (h, k) = (median(havipd.clone()), median(keepalived));
    println!(
        "BFD drill medians: havipd {} ms, keepalived {} ms",
        h.as_millis(),
        k.as_millis()
    );
    for t in &havipd {
        assert!(
            *t >= Duration::from_millis(90),
            "{t:?}: sooner than any detection time"
        );
    }
    assert!(h <= DETECTION + MARGIN, "havipd's median {h:?}");
}
