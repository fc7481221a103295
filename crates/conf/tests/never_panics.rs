//! The whole check is total: arbitrary bytes, and token soups made of real keywords, braces,
//! quotes, includes, conditionals and parameters, never panic and always give a report.

use conf::reader::MemoryFiles;
use conf::{Options, check};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn run(bytes: Vec<u8>) -> conf::Report {
    let files = MemoryFiles(
        [
            (PathBuf::from("/k.conf"), bytes.clone()),
            (PathBuf::from("/inc.conf"), bytes),
        ]
        .into_iter()
        .collect(),
    );
    check(
        &files,
        Path::new("/k.conf"),
        None,
        &Options {
            cloud: true,
            config_id: Some("a".into()),
        },
    )
}

const WORDS: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "group",
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "eth0",
    "virtual_router_id",
    "priority",
    "advert_int",
    "0.01",
    "255",
    "0",
    "-1",
    "1e309",
    "nopreempt",
    "preempt_delay",
    "authentication",
    "auth_type",
    "PASS",
    "auth_pass",
    "unicast_peer",
    "unicast_src_ip",
    "10.0.0.1",
    "fd00::1",
    "10.0.0.1/33",
    "virtual_ipaddress",
    "dev",
    "brd",
    "track_script",
    "weight",
    "-300",
    "track_interface",
    "notify",
    "include",
    "/inc.conf",
    "/*.conf",
    "@a",
    "@^a",
    "$X=1",
    "$X",
    "${X}",
    "\"",
    "\"q\"",
    "{",
    "}",
    "{",
    "}",
    "#",
    "!",
    "\u{a0}",
    "\u{ff5b}",
    "\u{200b}",
    "\r",
    "virtual_server",
    "vrrp_strict",
    "garp_master_refresh",
    "version",
    "3",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let r = run(bytes);
        prop_assert!((0..=2).contains(&r.exit_code()));
    }

    #[test]
    fn keyword_soup(lines in prop::collection::vec(prop::collection::vec(prop::sample::select(WORDS), 0..6), 0..40)) {
        let text: String = lines.iter().map(|l| l.join(" ") + "\n").collect();
        let r = run(text.into_bytes());
        for d in &r.diagnostics {
            prop_assert!(!d.message.is_empty());
        }
        let _ = r.effective();
    }
}
