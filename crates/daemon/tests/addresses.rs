//! What the master installs besides the VIP itself: `brd`, `scope` and `label` on the address,
//! `virtual_routes` and `virtual_rules`; all of it goes again when it stops.

mod common;
use common::{Lab, wait_until};
use std::time::Duration;

const CONFIG: &str = "vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 92
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.4.0.12/24 brd 10.4.0.255 scope global label eth0:vip
    }
    virtual_routes {
        10.99.0.0/16 via 10.4.0.1 dev eth0 metric 7
        blackhole 10.98.0.0/16
    }
    virtual_rules {
        from 10.4.0.12/32 table 100 priority 1000
    }
}
";

fn show(lab: &Lab, argv: &[&str]) -> String {
    String::from_utf8_lossy(&lab.exec("a", argv).stdout).into_owned()
}

#[test]
fn master_installs_address_options_routes_and_rules_and_removes_them() {
    let Some(mut lab) = Lab::new("adr", &[]) else {
        return;
    };
    lab.host("a", &["10.4.0.5/24"]);
    lab.havipd("a", "a", CONFIG);
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", "10.4.0.12")).is_some(),
        "{}",
        lab.log("a")
    );
    let addr = show(&lab, &["ip", "-o", "addr", "show", "dev", "eth0"]);
    assert!(
        addr.contains("inet 10.4.0.12/24 brd 10.4.0.255 scope global secondary eth0:vip"),
        "{addr}"
    );
    let settle = wait_until(Duration::from_secs(2), || {
        show(&lab, &["ip", "route", "show", "10.99.0.0/16"]).contains("via 10.4.0.1")
    });
    assert!(settle.is_some(), "{}", lab.log("a"));
    let route = show(&lab, &["ip", "route", "show", "10.99.0.0/16"]);
    assert!(
        route.contains("dev eth0") && route.contains("metric 7"),
        "{route}"
    );
    let blackhole = show(&lab, &["ip", "route", "show", "10.98.0.0/16"]);
    assert!(blackhole.contains("blackhole"), "{blackhole}");
    let rules = show(&lab, &["ip", "rule", "show"]);
    assert!(
        rules.contains("1000:\tfrom 10.4.0.12 lookup 100"),
        "{rules}"
    );
    lab.signal("a", "TERM");
    assert!(!lab.holds("a", "10.4.0.12"));
    assert_eq!(show(&lab, &["ip", "route", "show", "10.99.0.0/16"]), "");
    assert_eq!(show(&lab, &["ip", "route", "show", "10.98.0.0/16"]), "");
    let rules = show(&lab, &["ip", "rule", "show"]);
    assert!(!rules.contains("lookup 100"), "{rules}");
}
