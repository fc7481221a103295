//! havipd and Debian's keepalived 2.2.7 as one virtual router: the English seed pair (VRRPv2,
//! PASS auth, unicast), each daemon in either role. keepalived gets the configs with the pasted
//! no-break spaces made plain (it cannot read them; havipd can).

mod common;
use common::{Lab, wait_until};
use std::time::Duration;

const VIP: &str = "172.16.16.12";

fn seed_ascii(name: &str) -> String {
    let path = format!(
        "{}/../conf/tests/data/seeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("seed")
        .replace('\u{a0}', " ")
}

/// Starts `daemon` ("havipd" or "keepalived") on `host` with the seed config `config`.
fn start(lab: &mut Lab, host: &str, daemon: &str, config: &str) {
    let conf = lab.write(&format!("{host}.conf"), &seed_ascii(config));
    let d = lab.dir.display().to_string();
    match daemon {
        "havipd" => lab.spawn(
            host,
            host,
            &[
                env!("CARGO_BIN_EXE_havipd"),
                "-n",
                "-l",
                "-f",
                &conf,
                "--state-dir",
                &format!("{d}/{host}"),
            ],
        ),
        _ => lab.spawn(
            host,
            host,
            &[
                "keepalived",
                "-n",
                "-l",
                "-P",
                "-f",
                &conf,
                "-p",
                &format!("{d}/{host}.pid"),
                "-r",
                &format!("{d}/{host}.vrrp.pid"),
            ],
        ),
    }
}

/// The primary (priority 100) wins, the secondary stays backup, and no moment has two holders;
/// then the primary stops and the secondary takes over.
fn pair(tag: &str, primary: &str, secondary: &str) {
    let Some(mut lab) = Lab::new(tag, &["keepalived"]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.host("c", &["172.16.16.100/24"]);
    start(&mut lab, "a", primary, "en-primary.conf");
    std::thread::sleep(Duration::from_millis(500));
    start(&mut lab, "b", secondary, "en-secondary.conf");
    assert!(
        wait_until(Duration::from_secs(10), || lab.holds("a", VIP)).is_some(),
        "{primary} primary never took the VIP:\n{}",
        lab.log("a")
    );
    // Watch for two seconds: exactly one holder all along.
    let dual = wait_until(Duration::from_secs(2), || {
        lab.holds("a", VIP) && lab.holds("b", VIP)
    });
    assert!(
        dual.is_none(),
        "dual master: {primary} and {secondary} both hold the VIP\n{}\n{}",
        lab.log("a"),
        lab.log("b")
    );
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    assert!(lab.ping("c", VIP));
    lab.signal("a", "TERM");
    assert!(
        wait_until(Duration::from_secs(3), || lab.holds("b", VIP)).is_some(),
        "{secondary} secondary never took over:\n{}",
        lab.log("b")
    );
    assert!(!lab.holds("a", VIP));
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some());
}

#[test]
fn havipd_primary_keepalived_secondary_v2_pass() {
    pair("ihk", "havipd", "keepalived");
}

#[test]
fn keepalived_primary_havipd_secondary_v2_pass() {
    pair("ikh", "keepalived", "havipd");
}
