//! Interfaces that come and go. An instance's interface deleted and created again (a new
//! index, as a re-created VLAN or bond or a hot-plugged card gets) is resolved again: the
//! master's adverts, group membership and VIP are back on the new interface. And the state of
//! a tracked interface is read at start, not assumed: one that is down from the start faults
//! the instance at once. The instance comes back as it was running: an edit of the config
//! file that was never reloaded (no SIGHUP) is not picked up on the way; and it comes back
//! when the re-created interface gets its address only after its link is up (no link event
//! follows the address).

mod common;
use common::{Lab, instance, last_state, wait_until};
use std::time::Duration;

const VIP: &str = "10.8.0.12";

#[test]
fn a_re_created_interface_gets_its_instance_back() {
    let Some(mut lab) = Lab::new("rif", &[]) else {
        return;
    };
    lab.host("a", &["10.8.0.5/24"]);
    lab.host("b", &["10.8.0.6/24"]);
    lab.host("c", &["10.8.0.100/24"]);
    let a_state = lab.havipd("a", "a", &instance("VI_1", 95, 100, VIP, ""));
    std::thread::sleep(Duration::from_millis(300));
    let b_state = lab.havipd("b", "b", &instance("VI_1", 95, 90, VIP, ""));
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some());
    let unreloaded = instance("VI_1", 95, 100, "10.8.0.13", "");
    lab.write("a.conf", &unreloaded);
    // Gone for less than b's Master_Down_Interval (3.65 s): b may or may not take over.
    lab.replug("a", &["10.8.0.5/24"], Duration::from_millis(500));
    // a, of higher priority, preempts again from its new interface within b's
    // Master_Down_Interval plus a's own start (3 adverts of 1 s) and a margin.
    let back = wait_until(Duration::from_secs(10), || {
        lab.holds("a", VIP)
            && !lab.holds("b", VIP)
            && last_state(&b_state).as_deref() != Some("MASTER")
    });
    assert!(
        back.is_some(),
        "a did not come back on its new eth0:\n--- a\n{}\n--- b\n{}",
        lab.log("a"),
        lab.log("b")
    );
    assert_eq!(
        last_state(&a_state).as_deref(),
        Some("MASTER"),
        "{}",
        lab.log("a")
    );
    assert!(
        lab.log("a").contains("interface re-created"),
        "{}",
        lab.log("a")
    );
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", VIP)).is_some());
    assert!(
        !lab.holds("a", "10.8.0.13"),
        "the unreloaded edit was applied"
    );
    // b hears a's adverts on a's new interface: it stays backup for good.
    std::thread::sleep(Duration::from_secs(4));
    assert_ne!(
        last_state(&b_state).as_deref(),
        Some("MASTER"),
        "{}",
        lab.log("b")
    );
}

#[test]
fn an_interface_re_created_before_its_address_gets_its_instance_back_with_the_address() {
    let Some(mut lab) = Lab::new("rad", &[]) else {
        return;
    };
    lab.host("a", &["10.8.2.5/24"]);
    lab.host("c", &["10.8.2.100/24"]);
    let vip = "10.8.2.12";
    let a_state = lab.havipd("a", "a", &instance("VI_1", 97, 100, vip, ""));
    assert!(wait_until(Duration::from_secs(6), || lab.holds("a", vip)).is_some());
    // Up without an address: nothing to advertise from yet.
    lab.replug("a", &[], Duration::from_millis(300));
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        lab.log("a").contains("instances not restored yet"),
        "{}",
        lab.log("a")
    );
    lab.sh_in("a", "ip addr add 10.8.2.5/24 dev eth0");
    // Alone on the link, a is master again after Master_Down_Interval (3.6 s) and a margin.
    let back = wait_until(Duration::from_secs(8), || {
        lab.holds("a", vip) && last_state(&a_state).as_deref() == Some("MASTER")
    });
    assert!(
        back.is_some(),
        "a did not come back once eth0 had its address:\n{}",
        lab.log("a")
    );
    assert!(wait_until(Duration::from_secs(3), || lab.ping("c", vip)).is_some());
}

#[test]
fn a_tracked_interface_down_at_start_faults_the_instance_at_once() {
    let Some(mut lab) = Lab::new("tdn", &[]) else {
        return;
    };
    lab.host("a", &["10.8.1.5/24"]);
    lab.sh_in("a", "ip link add eth1 type veth peer name eth1p");
    let extra = "    track_interface {\n        eth1\n    }\n";
    let a_state = lab.havipd("a", "a", &instance("VI_1", 96, 100, "10.8.1.12", extra));
    // Alone on the link it would be master after 3.6 s; with eth1 down it is FAULT from the
    // start, and stays so.
    assert!(
        wait_until(Duration::from_secs(3), || last_state(&a_state).as_deref()
            == Some("FAULT"))
        .is_some(),
        "{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        last_state(&a_state).as_deref(),
        Some("FAULT"),
        "{}",
        lab.log("a")
    );
    assert!(!lab.holds("a", "10.8.1.12"));
}
