//! VMAC (`use_vmac`, as the Chinese seed recommends): the master holds the VIP on a macvlan
//! `vrrp.<VRID>` with the VRRP MAC 00:00:5e:00:01:<VRID>, so after a takeover the client's ARP
//! entry for the VIP is still right: the MAC moved with the address.

mod common;
use common::{Lab, instance, wait_until};
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
    lab.havipd("a", "a", &instance("VI_1", 90, 100, VIP, "    use_vmac\n"));
    std::thread::sleep(Duration::from_millis(300));
    lab.havipd("b", "b", &instance("VI_1", 90, 90, VIP, "    use_vmac\n"));
    assert!(
        wait_until(Duration::from_secs(6), || holds_on_vmac(&lab, "a")).is_some(),
        "a never put the VIP on vrrp.90:\n{}",
        lab.log("a")
    );
    assert_eq!(vmac_of(&lab, "a").as_deref(), Some(VMAC));
    assert!(
        !lab.holds("a", VIP),
        "the VIP belongs on the VMAC, not eth0"
    );
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some());
    assert!(client_sees(&lab).contains(VMAC), "{}", client_sees(&lab));
    // Graceful stop: a removes its VMAC interface; b takes over on its own.
    lab.signal("a", "TERM");
    assert_eq!(vmac_of(&lab, "a"), None, "a left vrrp.90 behind");
    assert!(
        wait_until(Duration::from_secs(3), || holds_on_vmac(&lab, "b")).is_some(),
        "b never took over:\n{}",
        lab.log("b")
    );
    assert_eq!(vmac_of(&lab, "b").as_deref(), Some(VMAC));
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some());
    assert!(client_sees(&lab).contains(VMAC), "{}", client_sees(&lab));
}
