//! The keywords whose rows say *done* reach what havipd runs: each global default and each
//! instance override lands in the instance's `vrrp::RouterConfig` (whose behaviour the `vrrp`
//! crate's router tests exercise), in the process scheduling, or in the tracked files.

use conf::Options;
use conf::effective::{Effective, Scheduling, scheduling};
use vrrp::{Micros, Version};

fn resolve(text: &str) -> (conf::Report, Vec<Effective>) {
    let report = conf::check_text(text, &Options::default());
    let effective = report
        .effective()
        .into_iter()
        .map(|e| e.expect("the instance resolves"))
        .collect();
    (report, effective)
}

const GLOBALS: &str = "global_defs {
    vrrp_garp_master_delay 7
    vrrp_garp_master_repeat 3
    vrrp_garp_master_refresh 60
    vrrp_garp_master_refresh_repeat 2
    vrrp_garp_lower_prio_delay 9
    vrrp_garp_lower_prio_repeat 4
    vrrp_down_timer_adverts 5
    vrrp_lower_prio_no_advert
    vrrp_higher_prio_send_advert
    vrrp_check_unicast_src
    vrrp_skip_check_adv_addr
    vrrp_version 3
    vrrp_priority -5
    vrrp_rt_priority 20
}
";

const INSTANCE: &str = "vrrp_instance A {
    interface eth0
    virtual_router_id 9
    priority 100
    mcast_src_ip 10.0.0.2
    virtual_ipaddress {
        10.0.0.9/24
    }
";

#[test]
fn global_defaults_reach_every_instance() {
    let (report, e) = resolve(&format!("{GLOBALS}{INSTANCE}}}\n"));
    let r = &e[0].router;
    assert_eq!(r.garp.master_delay, Micros::from_secs(7));
    assert_eq!(r.garp.master_repeat, 3);
    assert_eq!(r.garp.master_refresh, Micros::from_secs(60));
    assert_eq!(r.garp.master_refresh_repeat, 2);
    assert_eq!(r.garp.lower_prio_delay, Micros::from_secs(9));
    assert_eq!(r.garp.lower_prio_repeat, 4);
    assert_eq!(r.down_timer_adverts, 5);
    assert!(r.lower_prio_no_advert && r.higher_prio_send_advert);
    assert!(r.check_unicast_src && r.skip_check_adv_addr);
    assert_eq!(r.version, Version::V3);
    assert_eq!(r.primary_address, std::net::IpAddr::from([10, 0, 0, 2]));
    assert_eq!(
        scheduling(&report.config),
        Scheduling {
            realtime: Some(20),
            nice: Some(-5)
        }
    );
}

#[test]
fn instance_settings_override_the_globals() {
    let text = format!(
        "{GLOBALS}{INSTANCE}    garp_master_delay 1\n    garp_master_repeat 2\n    garp_master_refresh 5\n    \
         garp_master_refresh_repeat 3\n    garp_lower_prio_delay 4\n    garp_lower_prio_repeat 6\n    \
         down_timer_adverts 2\n    lower_prio_no_advert off\n    higher_prio_send_advert off\n    \
         skip_check_adv_addr off\n    version 2\n    unicast_src_ip 10.0.0.3\n}}\n"
    );
    let (_, e) = resolve(&text);
    let r = &e[0].router;
    assert_eq!(
        (r.garp.master_delay, r.garp.master_repeat),
        (Micros::from_secs(1), 2)
    );
    assert_eq!(
        (r.garp.master_refresh, r.garp.master_refresh_repeat),
        (Micros::from_secs(5), 3)
    );
    assert_eq!(
        (r.garp.lower_prio_delay, r.garp.lower_prio_repeat),
        (Micros::from_secs(4), 6)
    );
    assert_eq!(r.down_timer_adverts, 2);
    assert!(!r.lower_prio_no_advert && !r.higher_prio_send_advert);
    // keepalived ORs the global vrrp_skip_check_adv_addr with the instance's.
    assert!(r.skip_check_adv_addr);
    assert_eq!(r.version, Version::V2);
    // unicast_src_ip wins over mcast_src_ip.
    assert_eq!(r.primary_address, std::net::IpAddr::from([10, 0, 0, 3]));
}

#[test]
fn the_old_name_vrrp_track_file_defines_a_track_file() {
    let text = format!(
        "vrrp_track_file f {{\n    file /run/f\n    weight 3\n}}\n{INSTANCE}    track_file {{\n        f\n    }}\n}}\n"
    );
    let (report, _) = resolve(&text);
    let f = &report.config.track_files["f"];
    assert_eq!(f.file(), Some("/run/f"));
    assert!(
        report.diagnostics.iter().any(|d| d.code == "deprecated"),
        "{:?}",
        report.diagnostics
    );
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code == "undefined-reference")
    );
}
