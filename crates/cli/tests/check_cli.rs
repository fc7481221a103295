//! `havip check` as a user runs it: exit statuses, text and JSON output, --explain, profiles.

use std::process::{Command, Output};

fn havip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs havip")
}

const SEED: &str = "../conf/tests/data/seeds/en-primary.conf";
const CLEAN: &str = "../conf/tests/data/corpus/clean.conf";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn seed_config_has_errors_and_says_where() {
    let o = havip(&["check", "-f", SEED, "--no-host-checks"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("en-primary.conf:17:1: error [stray-block]"),
        "{out}"
    );
    assert!(
        out.contains("en-primary.conf:52:8: error [undefined-reference]"),
        "{out}"
    );
    assert!(out.contains("1 instance(s); 2 error(s)"), "{out}");
}

#[test]
fn clean_config_exits_zero_and_explains() {
    let o = havip(&["check", "-f", CLEAN, "--no-host-checks", "--explain"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("state BACKUP, priority 100, nopreempt, VRRPv2, vrid 88, interface eth0"),
        "{out}"
    );
    assert!(out.contains("advert_int 2 s: backup takes over after 6.609375 s without adverts, 0.609375 s after a resignation"), "{out}");
    assert!(
        out.contains("adverts from 172.16.16.5, unicast to 172.16.16.6"),
        "{out}"
    );
    assert!(out.contains("tracks: chk_service"), "{out}");
}

/// `auth_type AH` is explained as AH, and the MASTER it clears as BACKUP.
#[test]
fn ah_is_explained() {
    let o = havip(&[
        "check",
        "-f",
        "../conf/tests/data/corpus/ah.conf",
        "--no-host-checks",
        "--profile",
        "none",
        "--explain",
    ]);
    let out = stdout(&o);
    let primary = out
        .split("\nprimary (")
        .nth(1)
        .and_then(|s| s.split("\nv3 (").next())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        primary.contains("state BACKUP, priority 150, nopreempt"),
        "{out}"
    );
    assert!(primary.contains("  auth AH\n"), "{out}");
    assert!(out.contains("[ah-master-cleared]"), "{out}");
}

#[test]
fn json_output_is_documented_shape() {
    let o = havip(&[
        "check",
        "-f",
        SEED,
        "--no-host-checks",
        "--format",
        "json",
        "--explain",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["exit"], 2);
    assert_eq!(v["summary"]["errors"], 2);
    let d = &v["diagnostics"][0];
    for key in [
        "severity", "code", "location", "text", "message", "hint", "end_line",
    ] {
        assert!(d.get(key).is_some(), "diagnostic field {key} missing: {d}");
    }
    assert_eq!(d["location"]["line"], 3);
    let i = &v["instances"][0];
    assert_eq!(i["name"], "VI_1");
    assert_eq!(i["runnable"], true);
    assert_eq!(i["master_down_us"], 3_609_375);
    assert_eq!(i["effective"]["router"]["vrid"], 51);
}

#[test]
fn profile_none_drops_the_cloud_advice() {
    let cloud = stdout(&havip(&["check", "-f", SEED, "--no-host-checks"]));
    let plain = stdout(&havip(&[
        "check",
        "-f",
        SEED,
        "--no-host-checks",
        "--profile",
        "none",
    ]));
    assert!(cloud.contains("[cloud-advert-int]"));
    assert!(!plain.contains("[cloud-"), "{plain}");
}

#[test]
fn host_checks_find_missing_interfaces() {
    let o = havip(&["check", "-f", CLEAN]);
    let out = stdout(&o);
    // This machine has no eth0 (tests run in CI containers and namespaces), nor the script.
    if !std::path::Path::new("/sys/class/net/eth0").exists() {
        assert!(out.contains("[no-such-interface]"), "{out}");
    }
    assert!(out.contains("[script-not-found]"), "{out}");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn missing_file_and_bad_flags_are_clear_errors() {
    let o = havip(&["check", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("cannot read the configuration"),
        "{}",
        stdout(&o)
    );
    let o = havip(&["check", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid value 'yaml' for '--format"));
}

#[test]
fn explain_lists_tracked_processes() {
    let dir = std::env::temp_dir().join(format!("havip-explain-proc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("keepalived.conf");
    std::fs::write(
        &file,
        "vrrp_track_process haproxy { process haproxy\n weight -20 }\n\
         vrrp_track_process ha_cfg { process /usr/sbin/haproxy -f /etc/haproxy.cfg\n quorum 2\n quorum_max 4 }\n\
         vrrp_instance VI_1 { interface eth0\n virtual_router_id 51\n virtual_ipaddress { 10.0.0.9 }\n\
           track_process { haproxy\n ha_cfg } }\n",
    )
    .expect("write config");
    let o = havip(&[
        "check",
        "-f",
        file.to_str().expect("UTF-8 path"),
        "--no-host-checks",
        "--explain",
    ]);
    let out = stdout(&o);
    std::fs::remove_dir_all(&dir).expect("remove scratch dir");
    assert!(
        out.contains(
            "tracks: process haproxy (command name `haproxy`, at least 1 running, weight -20), \
             process ha_cfg (command line `/usr/sbin/haproxy -f /etc/haproxy.cfg`, 2-4 running, else FAULT)"
        ),
        "{out}"
    );
}

/// `--mover FILE`: the mover settings are checked against keepalived.conf's instances and the
/// credentials file's owner and mode, each problem with its file:line:col; a sound file is clean.
#[test]
fn mover_file_problems_are_diagnostics_with_their_place() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("cloud-credentials");
    std::fs::write(&key, "secret_id AKIDEXAMPLE\nsecret_key s3cr3t\n").expect("write key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mover = dir.path().join("mover.conf");
    let bad = format!(
        "mover VI_9 {{\n    provider tencent\n}}\nmover VI_1 {{\n    provider tencent\n    region ap-guangzhou\n    credentials file {}\n    eni eni-1\n    method route\n    endpoint ftp://x\n}}\n",
        key.display()
    );
    std::fs::write(&mover, bad).expect("write mover");
    let m = mover.to_str().expect("utf-8 path");
    let o = havip(&["check", "-f", CLEAN, "--no-host-checks", "--mover", m]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    for want in [
        format!("{m}:1:1: error [mover-unknown-instance]"),
        format!("{m}:4:1: error [mover-missing]"),
        format!("{m}:10:5: error [mover-bad-value]"),
    ] {
        assert!(out.contains(&want), "{want} in {out}");
    }
    assert!(!out.contains("mover-credentials-unsafe"), "{out}");
    let o = havip(&["check", "-f", CLEAN, "--mover", m]);
    assert!(
        stdout(&o).contains(&format!("{m}:7:5: error [mover-credentials-unsafe]")),
        "{}",
        stdout(&o)
    );
    let good = format!(
        "mover {{\n    provider tencent\n    region ap-guangzhou\n    credentials file {}\n    eni eni-1\n    method migrate\n}}\n",
        key.display()
    );
    std::fs::write(&mover, good).expect("write mover");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = havip(&["check", "-f", CLEAN, "--no-host-checks", "--mover", m]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
