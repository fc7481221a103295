//! Gratuitous ARP on the wire, seen by a client's tcpdump: on becoming master havipd sends
//! `garp_master_repeat` broadcast ARP requests for the VIP (sender = target = VIP), spaced by
//! `vrrp_garp_interval`.

mod common;
use common::{Lab, instance, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

const VIP: &str = "10.5.0.12";

#[test]
fn garps_are_keepalived_s_frames_paced_by_garp_interval() {
    let Some(mut lab) = Lab::new("gar", &["tcpdump"]) else {
        return;
    };
    lab.host("a", &["10.5.0.5/24"]);
    lab.host("c", &["10.5.0.100/24"]);
    let mut dump = Command::new("ip")
        .args(["netns", "exec", &lab.ns("c")])
        .args(["tcpdump", "-l", "-n", "-e", "-tt", "-i", "eth0", "arp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump");
    std::thread::sleep(Duration::from_millis(500));
    let config = format!(
        "global_defs {{\n    vrrp_garp_interval 0.2\n    vrrp_garp_master_delay 0\n}}\n{}",
        instance("VI_1", 91, 100, VIP, "    garp_master_repeat 4\n")
    );
    lab.havipd("a", "a", &config);
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    std::thread::sleep(Duration::from_millis(1500));
    let _ = dump.kill();
    let out = dump.wait_with_output().expect("tcpdump output");
    let text = String::from_utf8_lossy(&out.stdout);
    let garps: Vec<f64> = text
        .lines()
        .filter(|l| l.contains(&format!("who-has {VIP} ")) && l.contains(&format!("tell {VIP},")))
        .inspect(|l| assert!(l.contains("ff:ff:ff:ff:ff:ff"), "not broadcast: {l}"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(garps.len(), 4, "{text}");
    for pair in garps.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            (0.19..0.4).contains(&gap),
            "GARPs {gap:.3} s apart, want 0.2 s:\n{text}"
        );
    }
}
