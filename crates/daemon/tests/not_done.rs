//! Keywords havipd does not do yet (`not-done` diagnostics) are reported but are not
//! keepalived's complaints: `havipd -t` exits with the same code with them as without them
//! (`keepalived -t` exits 0 on this config with a real interface; on `lo`, which keepalived
//! refuses, both exit 5).

use std::path::Path;
use std::process::Command;

const WITHOUT: &str = "global_defs {
    enable_snmp_vrrp
}
vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100
    }
}
";

/// `havipd -t` on `config`: its exit code and what it logged.
fn config_test(dir: &Path, name: &str, config: &str) -> (Option<i32>, String) {
    let file = dir.join(name);
    std::fs::write(&file, config).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_havipd"))
        .args(["-t", "-l", "-f"])
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()
        .expect("havipd runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn keywords_not_done_are_logged_and_do_not_change_the_config_test() {
    let dir = tempfile::tempdir().expect("dir");
    let with = WITHOUT
        .replace(
            "    enable_snmp_vrrp\n",
            "    enable_snmp_vrrp\n    vrrp_min_garp\n",
        )
        .replace(
            "    priority 100\n",
            "    priority 100\n    garp_extra_if 30\n",
        );
    let (code_without, text_without) = config_test(dir.path(), "without.conf", WITHOUT);
    let (code_with, text) = config_test(dir.path(), "with.conf", &with);
    assert_eq!(code_with, code_without, "{text}\n---\n{text_without}");
    // Warnings are logged (enable_snmp_vrrp's info is not, at this log level).
    for (line, what) in [(3, "vrrp_min_garp"), (10, "garp_extra_if")] {
        assert!(
            text.contains(&format!("with.conf:{line}:5"))
                && text.contains(&format!("`{what}` is accepted but not done")),
            "no not-done report for {what} at line {line}:\n{text}"
        );
    }
    assert!(!text_without.contains("not done"), "{text_without}");
}
