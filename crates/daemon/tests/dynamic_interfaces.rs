//! `dynamic_interfaces`, side by side with Debian's keepalived 2.2.7: an instance on an
//! interface that does not exist yet does not stop the daemon; once the interface is created
//! (with an address) the instance runs, and becomes master after its Master_Down_Interval, as
//! keepalived's does, within 0.5 s of it.

mod common;
use common::{Lab, wait_until};
use std::time::{Duration, Instant};

const VIP: &str = "10.8.4.12";

fn config() -> String {
    format!(
        "global_defs {{\n    dynamic_interfaces\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth1\n    virtual_router_id 65\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    )
}

/// Seconds from creating `eth1` until `daemon` holds the VIP on it.
fn master_after_creation(daemon: &str) -> Option<f64> {
    let mut lab = Lab::new("dyn", &["keepalived"])?;
    lab.host("a", &["10.8.3.5/24"]);
    if daemon == "havipd" {
        lab.havipd("a", "d", &config());
    } else {
        lab.keepalived("a", "d", "keepalived", &config());
    }
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        lab.running("d"),
        "{daemon} stopped without its interface:\n{}",
        lab.log("d")
    );
    let created = Instant::now();
    lab.sh_in(
        "a",
        "ip link add eth1 type veth peer name eth1p && ip addr add 10.8.4.5/24 dev eth1 && \
         ip link set eth1p up && ip link set eth1 up",
    );
    let holds = |lab: &Lab| lab.sh_in("a", "ip -o addr show dev eth1").contains(VIP);
    let Some(at) = wait_until(Duration::from_secs(8), || holds(&lab)) else {
        panic!("{daemon} never ran the instance:\n{}", lab.log("d"));
    };
    Some((at - created).as_secs_f64())
}

#[test]
fn an_instance_waits_for_its_interface_as_keepalived_s_does() {
    let Some(havipd) = master_after_creation("havipd") else {
        return;
    };
    let Some(keepalived) = master_after_creation("keepalived") else {
        return;
    };
    eprintln!(
        "master after the interface appeared: havipd {havipd:.3} s, keepalived {keepalived:.3} s"
    );
    assert!(
        (havipd - keepalived).abs() < 0.5,
        "havipd {havipd:.3} s, keepalived {keepalived:.3} s"
    );
}
