//! `auth_type AH` between havipd and Debian's keepalived 2.2.7, as one virtual router in either
//! role (multicast, and unicast): the primary (configured `state MASTER`, which AH clears to
//! BACKUP in both daemons) wins the election after Master_Down_Interval, no moment has two
//! holders, the primary stops and the secondary takes over, the primary comes back and takes
//! the VIP back (its first adverts continue above the sequence numbers it heard). A wrong
//! `auth_pass` on one side: each refuses the other, so each becomes master, and havipd counts
//! the rejections.

mod common;
use common::{Lab, scrape_metrics, stats_of, wait_until};
use std::time::{Duration, Instant};

const VIP: &str = "172.16.16.12";

/// An AH instance: `peer` set makes it unicast.
fn config(state: &str, priority: u8, pass: &str, unicast: Option<(&str, &str)>) -> String {
    let unicast = unicast.map_or(String::new(), |(src, peer)| {
        format!("    unicast_src_ip {src}\n    unicast_peer {{\n        {peer}\n    }}\n")
    });
    format!(
        "global_defs {{\n    vrrp_garp_master_delay 1\n}}\n\
         vrrp_instance VI_AH {{\n    state {state}\n    interface eth0\n    virtual_router_id 57\n    \
         priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type AH\n        \
         auth_pass {pass}\n    }}\n{unicast}    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// Starts `daemon` ("havipd" or "keepalived") on `host` as `name`.
fn start(lab: &mut Lab, (host, name): (&str, &str), daemon: &str, config: &str) {
    if daemon == "havipd" {
        lab.havipd(host, name, config);
    } else {
        lab.keepalived(host, name, "keepalived", config);
    }
}

fn lab_of(tag: &str) -> Option<Lab> {
    let mut lab = Lab::new(tag, &["keepalived"])?;
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.host("c", &["172.16.16.100/24"]);
    Some(lab)
}

/// Watches for `within`: true if both servers held the VIP at some moment.
fn dual_master(lab: &Lab, within: Duration) -> bool {
    wait_until(within, || lab.holds("a", VIP) && lab.holds("b", VIP)).is_some()
}

/// The whole cycle: election, no dual master, takeover on stop, return. Prints the timings.
fn pair(tag: &str, primary: &str, secondary: &str, unicast: bool) {
    let Some(mut lab) = lab_of(tag) else { return };
    let (ua, ub) = if unicast {
        (
            Some(("172.16.16.5", "172.16.16.6")),
            Some(("172.16.16.6", "172.16.16.5")),
        )
    } else {
        (None, None)
    };
    let primary_conf = config("MASTER", 150, "s3cret", ua);
    let secondary_conf = config("BACKUP", 100, "s3cret", ub);
    let t0 = Instant::now();
    start(&mut lab, ("a", "a"), primary, &primary_conf);
    std::thread::sleep(Duration::from_millis(500));
    start(&mut lab, ("b", "b"), secondary, &secondary_conf);
    let elected = wait_until(Duration::from_secs(10), || lab.holds("a", VIP));
    assert!(
        elected.is_some(),
        "{primary} primary never took the VIP:\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    let elected = elected.map(|t| t - t0).unwrap_or_default();
    assert!(
        elected >= Duration::from_secs(3),
        "AH clears state MASTER: the primary waits Master_Down_Interval, not {elected:?}"
    );
    assert!(
        !dual_master(&lab, Duration::from_secs(3)),
        "dual master: {primary} and {secondary}\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some(),
        "the client cannot reach the VIP on the primary"
    );
    // Takeover on the primary's stop (it resigns with priority 0).
    let stop = Instant::now();
    lab.kill("a", "TERM");
    let took = wait_until(Duration::from_secs(5), || lab.holds("b", VIP));
    assert!(
        took.is_some(),
        "{secondary} secondary never took over:\n{}",
        lab.log("b")
    );
    let takeover = took.map(|t| t - stop).unwrap_or_default();
    assert!(!lab.holds("a", VIP));
    lab.signal("a", "TERM");
    // Return: the primary starts again (its counter from 0), hears the secondary's numbers,
    // and after Master_Down_Interval its adverts go above them: the secondary yields.
    let back = Instant::now();
    start(&mut lab, ("a", "a2"), primary, &primary_conf);
    let returned = wait_until(Duration::from_secs(10), || {
        lab.holds("a", VIP) && !lab.holds("b", VIP)
    });
    assert!(
        returned.is_some(),
        "the {primary} primary did not take the VIP back:\n{}\n{}",
        lab.log("a2"),
        lab.log("b")
    );
    let returned = returned.map(|t| t - back).unwrap_or_default();
    assert!(
        !dual_master(&lab, Duration::from_secs(2)),
        "dual master after the return\n{}\n{}",
        lab.log("a2"),
        lab.log("b")
    );
    eprintln!(
        "AH {} {primary} primary / {secondary} secondary: elected after {:.2} s, takeover on stop \
         {:.3} s, return {:.2} s",
        if unicast { "unicast" } else { "multicast" },
        elected.as_secs_f64(),
        takeover.as_secs_f64(),
        returned.as_secs_f64()
    );
}

#[test]
fn havipd_primary_keepalived_secondary_ah_multicast() {
    pair("ahh", "havipd", "keepalived", false);
}

#[test]
fn keepalived_primary_havipd_secondary_ah_multicast() {
    pair("ahk", "keepalived", "havipd", false);
}

#[test]
fn havipd_primary_keepalived_secondary_ah_unicast() {
    pair("ahu", "havipd", "keepalived", true);
}

#[test]
fn keepalived_primary_havipd_secondary_ah_unicast() {
    pair("ahv", "keepalived", "havipd", true);
}

/// Another `auth_pass` on one side: neither accepts the other's adverts, so both become
/// master; havipd counts each refused advert as an authentication failure (bad ICV), and
/// keepalived logs each of havipd's as an invalid HMAC-MD5.
#[test]
fn a_wrong_auth_pass_is_refused_by_both() {
    let Some(mut lab) = lab_of("ahw") else { return };
    let state = lab.havipd_with(
        "a",
        "a",
        &config("BACKUP", 150, "s3cret", None),
        "a",
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    lab.keepalived(
        "b",
        "b",
        "keepalived",
        &config("BACKUP", 100, "wrong", None),
    );
    let both = wait_until(Duration::from_secs(12), || {
        lab.holds("a", VIP) && lab.holds("b", VIP)
    });
    assert!(
        both.is_some(),
        "with different keys each side should become master:\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        lab.holds("a", VIP) && lab.holds("b", VIP),
        "both stay master"
    );
    let s = stats_of(&lab, "a", &state, "VI_AH");
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    // keepalived restarts its advert timer on every packet it reads, refused ones too
    // (vrrp_dispatcher_read), so as a master it falls silent while havipd's adverts keep
    // arriving: havipd sees the adverts it sent before that (at least the first, on becoming
    // master). Two keepalived with different keys behave the same.
    assert!(
        n("auth_ah_invalid_icv") >= 1,
        "havipd counted no bad ICV: {s}"
    );
    assert_eq!(n("auth_failure"), n("auth_ah_invalid_icv"), "{s}");
    let metric = format!(
        "havip_auth_ah_rejected_total{{iname=\"VI_AH\",reason=\"invalid_icv\"}} {}",
        n("auth_ah_invalid_icv")
    );
    let text = scrape_metrics(&lab, "a", 9650);
    assert!(text.contains(&metric), "{metric} not in:\n{text}");
    assert_eq!(n("advert_rcvd"), 0, "nothing passed to the router: {s}");
    let refused = lab
        .log("b")
        .matches("IPSEC-AH : invalid IPSEC HMAC-MD5 value")
        .count();
    assert!(
        refused >= 3,
        "keepalived refuses each of havipd's adverts:\n{}",
        lab.log("b")
    );
}

/// A reload keeps the sequence counter (keepalived keeps `ipsecah_counter`): havipd, master,
/// reloaded with the same configuration and then with the instance changed (restarted), goes
/// on numbering above what keepalived accepted, so keepalived never refuses a number as
/// already processed and never takes the VIP while havipd holds it.
#[test]
fn reloads_keep_the_sequence_numbers() {
    let Some(mut lab) = lab_of("ahr") else { return };
    let conf = config("BACKUP", 150, "s3cret", None);
    let state = lab.havipd("a", "a", &conf);
    lab.keepalived(
        "b",
        "b",
        "keepalived",
        &config("BACKUP", 100, "s3cret", None),
    );
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", VIP)).is_some(),
        "havipd never took the VIP:\n{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_secs(2));
    lab.reload("a");
    assert!(
        !dual_master(&lab, Duration::from_secs(4)),
        "keepalived took over after an unchanged reload:\n{}",
        lab.log("b")
    );
    // The instance changed: havipd stops it (priority 0), starts it again as a backup with
    // its counter, and takes the VIP back after Master_Down_Interval.
    std::fs::write(
        lab.dir.join("a.conf"),
        conf.replace("vrrp_garp_master_delay 1", "vrrp_garp_master_delay 2"),
    )
    .expect("config");
    lab.reload("a");
    assert!(
        wait_until(Duration::from_secs(5), || lab.holds("b", VIP)).is_some(),
        "keepalived did not take over while the changed instance restarted:\n{}",
        lab.log("a")
    );
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", VIP)
            && !lab.holds("b", VIP))
        .is_some(),
        "havipd did not take the VIP back after the changed instance restarted:\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    let log = lab.log("b");
    assert!(
        !log.contains("already processed"),
        "keepalived refused havipd's numbers after a reload:\n{log}"
    );
    let s = stats_of(&lab, "a", &state, "VI_AH");
    assert_eq!(s["auth_failure"].as_u64(), Some(0), "{s}");
}
