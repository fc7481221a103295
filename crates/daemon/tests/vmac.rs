//! VMAC (`use_vmac`, as the Chinese seed recommends): the master holds the VIP on a macvlan
//! `vrrp.<VRID>` with the VRRP MAC 00:00:5e:00:01:<VRID>, so after a takeover the client's ARP
//! entry for the VIP is still right: the MAC moved with the address.

mod common;
use common::{Lab, instance, last_state, transitions, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

const VIP: &str = "10.6.0.12";
const VMAC: &str = "00:00:5e:00:01:5a"; // VRID 90

fn vmac_of(lab: &Lab, host: &str) -> Option<String> {
    let out = lab.exec(host, &["ip", "-o", "link", "show", "dev", "vrrp.90"]);
    out.status.success().then(|| {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .unwrap_or_default()
            .to_string()
    })
}

fn holds_on_vmac(lab: &Lab, host: &str) -> bool {
    let out = lab.exec(host, &["ip", "-o", "addr", "show", "dev", "vrrp.90"]);
    String::from_utf8_lossy(&out.stdout).contains(&format!("{VIP}/24"))
}

fn client_sees(lab: &Lab) -> String {
    let out = lab.exec("c", &["ip", "neigh", "show", VIP]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn vmac_carries_the_vip_and_its_mac_moves_on_takeover() {
    let Some(mut lab) = Lab::new("vmc", &[]) else {
        return;
    };
    lab.host("a", &["10.6.0.5/24"]);
    lab.host("b", &["10.6.0.6/24"]);
    lab.host("c", &["10.6.0.100/24"]);
    // a's eth0 starts with an arp_announce of its operator's; havipd changes the base's ARP
    // settings for the VMAC and must put these values back when it stops.
    lab.sh_in("a", "echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_announce");
    let base_arp = |lab: &Lab| {
        ["arp_ignore", "arp_filter", "arp_announce"].map(|k| {
            lab.sh_in("a", &format!("cat /proc/sys/net/ipv4/conf/eth0/{k}"))
                .trim()
                .to_string()
        })
    };
    let found = base_arp(&lab);
    assert_eq!(found, ["0", "0", "1"]);
    lab.havipd("a", "a", &instance("VI_1", 90, 100, VIP, "    use_vmac\n"));
    std::thread::sleep(Duration::from_millis(300));
    let b_state = lab.havipd("b", "b", &instance("VI_1", 90, 90, VIP, "    use_vmac\n"));
    assert!(
        wait_until(Duration::from_secs(6), || holds_on_vmac(&lab, "a")).is_some(),
        "a never put the VIP on vrrp.90:\n{}",
        lab.log("a")
    );
    // b hears a's adverts, which come from a MAC its own VMAC has: one master.
    assert!(
        !transitions(&b_state)
            .iter()
            .any(|(_, _, to)| to == "MASTER"),
        "b became master too:\n{}",
        lab.log("b")
    );
    assert_eq!(vmac_of(&lab, "a").as_deref(), Some(VMAC));
    assert!(
        !lab.holds("a", VIP),
        "the VIP belongs on the VMAC, not eth0"
    );
    assert!(
        wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some(),
        "the client cannot reach the VIP ({}):\n--- a\n{}\n--- b\n{}",
        client_sees(&lab),
        lab.log("a"),
        lab.log("b")
    );
    assert!(client_sees(&lab).contains(VMAC), "{}", client_sees(&lab));
    assert_eq!(
        base_arp(&lab),
        ["1", "1", "2"],
        "keepalived's base settings"
    );
    // Graceful stop: a removes its VMAC interface and puts eth0's settings back; b takes over
    // on its own.
    lab.signal("a", "TERM");
    assert_eq!(vmac_of(&lab, "a"), None, "a left vrrp.90 behind");
    assert_eq!(
        base_arp(&lab),
        found,
        "eth0's settings not restored:\n{}",
        lab.log("a")
    );
    assert!(
        wait_until(Duration::from_secs(3), || holds_on_vmac(&lab, "b")).is_some(),
        "b never took over:\n{}",
        lab.log("b")
    );
    assert_eq!(vmac_of(&lab, "b").as_deref(), Some(VMAC));
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some());
    assert!(client_sees(&lab).contains(VMAC), "{}", client_sees(&lab));
}

const VIP6: &str = "fd00:6::12";
const VMAC6: &str = "00:00:5e:00:02:5b"; // IPv6, VRID 91

fn v3_ipv6_vmac(priority: u8) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_6 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 91\n    \
         priority {priority}\n    advert_int 0.5\n    use_vmac\n    virtual_ipaddress {{\n        \
         {VIP6}/64\n    }}\n}}\n"
    )
}

/// VRRPv3 over IPv6 with `use_vmac`: adverts leave the VMAC with its virtual MAC, from the
/// link-local address the instance advertises from (keepalived puts the base interface's
/// link-local on the VMAC), so the backup hears them: one master, seen on the wire.
#[test]
fn ipv6_vmac_adverts_are_on_the_wire_and_elect_one_master() {
    let Some(mut lab) = Lab::new("vm6", &["tcpdump"]) else {
        return;
    };
    lab.host("a", &["fd00:6::5/64"]);
    lab.host("b", &["fd00:6::6/64"]);
    lab.host("c", &["fd00:6::100/64"]);
    let a_state = lab.havipd("a", "a", &v3_ipv6_vmac(100));
    std::thread::sleep(Duration::from_millis(300));
    let b_state = lab.havipd("b", "b", &v3_ipv6_vmac(90));
    // Past start-up and one Master_Down_Interval (1.5 s + skew) of the backup.
    std::thread::sleep(Duration::from_secs(3));
    let mut dump = Command::new("ip")
        .args(["netns", "exec", &lab.ns("c")])
        .args(["tcpdump", "-l", "-n", "-e", "-i", "eth0", "ip6 proto 112"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump");
    std::thread::sleep(Duration::from_secs(3));
    let _ = dump.kill();
    let out = dump.wait_with_output().expect("tcpdump output");
    let text = String::from_utf8_lossy(&out.stdout);
    let adverts: Vec<&str> = text.lines().filter(|l| l.contains("VRRP")).collect();
    assert!(
        adverts.len() >= 4,
        "no VRRPv3 adverts on the wire in 3 s:\n{text}\n--- a\n{}",
        lab.log("a")
    );
    assert!(
        adverts
            .iter()
            .all(|l| l.starts_with(VMAC6) || l.contains(&format!("{VMAC6} >"))),
        "adverts not from the VMAC's MAC:\n{text}"
    );
    let masters = |state: &std::path::Path| last_state(state).as_deref() == Some("MASTER");
    assert!(masters(&a_state), "{}", lab.log("a"));
    assert!(!masters(&b_state), "two masters:\n{}", lab.log("b"));
    let on_vmac = lab.exec("a", &["ip", "-o", "addr", "show", "dev", "vrrp.91"]);
    assert!(
        String::from_utf8_lossy(&on_vmac.stdout).contains(VIP6),
        "{}",
        String::from_utf8_lossy(&on_vmac.stdout)
    );
}
