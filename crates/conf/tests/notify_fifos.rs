//! global_defs' notify FIFOs and their readers, and which instances write their priority
//! changes there.

use conf::{Options, check_text};

fn config(global: &str, rest: &str) -> conf::model::Config {
    let text = format!(
        "global_defs {{\n{global}\n}}\n{rest}\n\
         vrrp_instance A {{\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {{\n    10.0.0.1\n  }}\n}}\n\
         vrrp_instance B {{\n  interface eth0\n  virtual_router_id 6\n  notify_priority_changes false\n  \
         virtual_ipaddress {{\n    10.0.0.2\n  }}\n}}\n"
    );
    check_text(&text, &Options::default()).config
}

#[test]
fn both_fifos_with_their_readers_and_owners_the_global_first() {
    let cfg = config(
        "  vrrp_notify_fifo /run/v.fifo nobody\n  vrrp_notify_fifo_script \"/bin/r v\" root\n  \
         notify_fifo /run/g.fifo\n  notify_fifo_script /bin/r",
        "",
    );
    let fifos = cfg.global.notify_fifos();
    let got: Vec<_> = fifos
        .iter()
        .map(|f| {
            (
                f.keyword,
                f.path.as_str(),
                f.owner.clone(),
                f.script
                    .as_ref()
                    .map(|s| (s.command.clone(), s.user.clone())),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "notify_fifo",
                "/run/g.fifo",
                None,
                Some(("/bin/r".into(), None))
            ),
            (
                "vrrp_notify_fifo",
                "/run/v.fifo",
                Some(conf::model::RunUser {
                    user: "nobody".into(),
                    group: None
                }),
                Some(("/bin/r v".into(), Some("root".into())))
            ),
        ]
    );
}

#[test]
fn a_vrrp_fifo_on_the_global_fifos_path_is_ignored_with_its_reader() {
    let cfg = config(
        "  notify_fifo /run/f\n  vrrp_notify_fifo /run/f\n  vrrp_notify_fifo_script /bin/r",
        "",
    );
    let fifos = cfg.global.notify_fifos();
    assert_eq!(fifos.len(), 1);
    assert_eq!(fifos[0].keyword, "notify_fifo");
    assert!(fifos[0].script.is_none());
}

#[test]
fn priority_changes_come_from_the_instance_then_its_sync_group_then_global() {
    let none = config("", "");
    assert!(!none.notify_priority_changes("A"));
    let global = config("  vrrp_notify_priority_changes", "");
    assert!(global.notify_priority_changes("A"));
    assert!(
        !global.notify_priority_changes("B"),
        "the instance's own false wins"
    );
    let group = "vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify_priority_changes\n}";
    let grouped = config("  vrrp_notify_priority_changes off", group);
    assert!(
        grouped.notify_priority_changes("A"),
        "the group's wins over global"
    );
    assert!(!grouped.notify_priority_changes("B"));
}
