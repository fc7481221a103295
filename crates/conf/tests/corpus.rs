//! Snapshot tests (insta) of `check` on a corpus that exercises every family of diagnostic:
//! typos, cloud advice, IPv6 and v3, sync groups and references, IPVS sections, includes with
//! conditionals and parameters, pasted Unicode, broken braces, and a clean config.

use conf::host::FakeHost;
use conf::reader::Disk;
use conf::{Options, check};
use std::path::Path;

fn render(file: &str, config_id: Option<&str>) -> String {
    let host = FakeHost {
        interfaces: vec!["eth0".into(), "eth1".into()],
        scripts: vec!["/usr/local/bin/check.sh".into()],
        users: vec!["keepalived_script".into()],
    };
    let path = format!("tests/data/corpus/{file}");
    let opts = Options {
        cloud: true,
        config_id: config_id.map(String::from),
    };
    let report = check(&Disk, Path::new(&path), Some(&host), &opts);
    let mut out: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    out.push(format!(
        "exit {}; instances: {}",
        report.exit_code(),
        report
            .config
            .instances
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.join("\n")
}

macro_rules! snap {
    ($name:ident, $file:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), render($file, None));
        }
    };
}

snap!(typos, "typos.conf");
snap!(strict_multicast, "strict-multicast.conf");
snap!(v3_ipv6, "v3-ipv6.conf");
snap!(sync_groups, "sync-groups.conf");
snap!(ipvs, "ipvs.conf");
snap!(clean, "clean.conf");
snap!(braces, "braces.conf");
snap!(pasted, "pasted.conf");
snap!(includes, "includes.conf");
snap!(ah, "ah.conf");

/// keepalived 2.2.7 on ah.conf: AH clears the non-owner's MASTER (and keeps its nopreempt),
/// VRRPv3 and a missing auth_pass drop the block, the owner stays MASTER.
#[test]
fn ah_resolves_as_keepalived_does() {
    let report = check(
        &Disk,
        Path::new("tests/data/corpus/ah.conf"),
        None,
        &Options::default(),
    );
    let eff: Vec<_> = report
        .effective()
        .into_iter()
        .map(|e| e.expect("resolves"))
        .collect();
    let by = |n: &str| eff.iter().find(|e| e.name == n).expect("instance");
    let primary = by("primary");
    assert_eq!(primary.state, conf::model::InitialState::Backup);
    assert!(!primary.router.start_as_master && !primary.router.preempt);
    assert_eq!(primary.router.auth, vrrp::Auth::Ah);
    assert_eq!(primary.ah_key, Some(vrrp::ah::Key::from_pass("secret")));
    for n in ["v3", "nopass"] {
        assert_eq!(
            (by(n).router.auth, by(n).ah_key.is_none()),
            (vrrp::Auth::None, true),
            "{n}"
        );
    }
    let owner = by("owner");
    assert_eq!(
        (owner.state, owner.router.auth),
        (conf::model::InitialState::Master, vrrp::Auth::Ah)
    );
}

#[test]
fn includes_with_config_id() {
    insta::assert_snapshot!("includes_node1", render("includes.conf", Some("node1")));
}

#[test]
fn clean_config_exits_zero() {
    assert!(render("clean.conf", None).ends_with("exit 0; instances: VI_1"));
}
