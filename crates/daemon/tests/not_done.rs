//! Keywords havipd does not do yet (`not-done` diagnostics) are reported but are not
//! keepalived's complaints: `havipd -t` exits 0 on a config keepalived 2.2.7 passes
//! (`keepalived -t` exits 0 on this config with a real interface).

use std::process::Command;

const CONFIG: &str = "global_defs {
    vrrp_startup_delay 1
    enable_snmp_vrrp
}
vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 100
    mcast_dst_ip 224.0.0.19
    virtual_ipaddress {
        10.0.0.100
    }
}
";

#[test]
fn keywords_not_done_are_logged_and_the_config_test_passes() {
    let dir = std::env::temp_dir().join(format!("havip-not-done-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("keepalived.conf");
    std::fs::write(&file, CONFIG).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_havipd"))
        .args(["-t", "-l", "-f"])
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()
        .expect("havipd runs");
    let _ = std::fs::remove_dir_all(&dir);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Warnings are logged (enable_snmp_vrrp's info is not, at this log level).
    for (line, what) in [(2, "vrrp_startup_delay"), (10, "mcast_dst_ip")] {
        assert!(
            text.contains(&format!("keepalived.conf:{line}:5"))
                && text.contains(&format!("`{what}` is accepted but not done")),
            "no not-done report for {what} at line {line}:\n{text}"
        );
    }
}
