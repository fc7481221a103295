//! The start-up delay havipd applies: `vrrp_startup_delay`, or keepalived 2.4's
//! `vrrp_delay_after_boot` less the time since boot, the longer of the two.

use conf::effective::startup_delay;
use conf::model::{Setting, Value};
use conf::{Location, Options, check_text};
use vrrp::Micros;

fn config(global: &str) -> conf::model::Config {
    let text = format!(
        "global_defs {{\n{global}\n}}\nvrrp_instance A {{\n  interface eth0\n  \
         virtual_router_id 5\n  virtual_ipaddress {{\n    10.0.0.1\n  }}\n}}\n"
    );
    check_text(&text, &Options::default()).config
}

#[test]
fn vrrp_startup_delay_is_read_in_microseconds() {
    assert_eq!(startup_delay(&config(""), Micros(0)), Micros::ZERO);
    let cfg = config("  vrrp_startup_delay 2.5");
    assert_eq!(startup_delay(&cfg, Micros(900_000_000)), Micros(2_500_000));
}

#[test]
fn delay_after_boot_counts_from_boot_and_the_longer_delay_wins() {
    let mut cfg = config("  vrrp_startup_delay 2");
    cfg.global.settings.0.insert(
        "vrrp_delay_after_boot".into(),
        Setting {
            value: Value::Micros(60_000_000),
            loc: Location {
                file: "t".into(),
                line: 2,
                col: 3,
            },
            text: "vrrp_delay_after_boot 60".into(),
        },
    );
    assert_eq!(startup_delay(&cfg, Micros(45_000_000)), Micros(15_000_000));
    assert_eq!(startup_delay(&cfg, Micros(59_000_000)), Micros(2_000_000));
    assert_eq!(startup_delay(&cfg, Micros(600_000_000)), Micros(2_000_000));
}
