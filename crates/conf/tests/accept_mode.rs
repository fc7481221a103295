//! keepalived's accept mode per instance, and its drop table's name and priority.

use conf::accept_mode::{DropTable, accepts, drop_table};
use conf::{Options, check_text};

fn modes(global: &str, instance: &str) -> bool {
    let text = format!(
        "global_defs {{\n{global}\n}}\nvrrp_instance A {{\n  interface eth0\n  \
         virtual_router_id 5\n{instance}\n  virtual_ipaddress {{\n    10.0.0.1\n  }}\n}}\n"
    );
    let report = check_text(&text, &Options::default());
    accepts(&report.config, &report.config.instances[0])
}

#[test]
fn accept_mode_follows_keepalived() {
    assert!(modes("", ""), "on by default outside strict mode");
    assert!(
        !modes("  vrrp_strict\n  vrrp_version 3", ""),
        "off in strict mode"
    );
    assert!(modes("  vrrp_strict\n  vrrp_version 3", "  accept"));
    assert!(
        modes("  vrrp_strict\n  vrrp_version 3", "  priority 255"),
        "owner"
    );
    assert!(
        !modes("  vrrp_strict", "  accept"),
        "VRRPv2 in strict mode never accepts"
    );
    assert!(!modes("", "  no_accept"));
    assert!(modes("", "  no_accept\n  accept"), "the later line wins");
    assert!(!modes("", "  accept\n  no_accept"));
    assert!(modes(
        "  vrrp_strict\n  vrrp_version 3",
        "  strict_mode off"
    ));
}

#[test]
fn the_drop_table_is_keepalived_at_minus_one_unless_named() {
    let cfg = |global: &str| {
        let text = format!("global_defs {{\n{global}\n}}\n");
        drop_table(&check_text(&text, &Options::default()).config)
    };
    let table = |name: &str, priority| DropTable {
        name: name.into(),
        priority,
    };
    assert_eq!(cfg(""), table("keepalived", -1));
    assert_eq!(
        cfg("  nftables havip\n  nftables_priority -5"),
        table("havip", -5)
    );
}

#[test]
fn accept_under_strict_vrrpv2_is_reported_where_it_is_written() {
    let text = "global_defs {\n  vrrp_strict\n}\nvrrp_instance A {\n  interface eth0\n  \
                virtual_router_id 5\n  accept\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n";
    let report = check_text(text, &Options::default());
    let found: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "accept-v2-strict")
        .map(|d| format!("{}:{}", d.location.line, d.location.col))
        .collect();
    assert_eq!(found, ["7:3"]);
    let v3 = text.replace("vrrp_strict\n", "vrrp_strict\n  vrrp_version 3\n");
    let report = check_text(&v3, &Options::default());
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.code != "accept-v2-strict")
    );
}
