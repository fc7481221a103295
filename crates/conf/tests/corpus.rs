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

#[test]
fn includes_with_config_id() {
    insta::assert_snapshot!("includes_node1", render("includes.conf", Some("node1")));
}

#[test]
fn clean_config_exits_zero() {
    assert!(render("clean.conf", None).ends_with("exit 0; instances: VI_1"));
}
