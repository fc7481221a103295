//! Notify scripts run under keepalived's privilege model: as `script_user` (here `nobody`), or
//! as the user a script names, and not at all when `enable_script_security` finds them
//! writable by others.

mod common;
use common::{Lab, wait_until};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn notify_scripts_run_as_their_user_and_unsafe_ones_do_not_run() {
    let Some(mut lab) = Lab::new("ntp", &[]) else {
        return;
    };
    lab.host("a", &["10.5.0.1/24"]);
    let out = lab.dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let script = |name: &str, mode: u32| {
        let path = lab.write(
            name,
            &format!("#!/bin/sh\nid -u > {}/{name}.uid\n", out.display()),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    };
    let (master, backup, unsafe_one) = (
        script("master.sh", 0o755),
        script("backup.sh", 0o755),
        script("fault.sh", 0o777),
    );
    let conf = format!(
        "global_defs {{\n    enable_script_security\n    script_user nobody\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 65\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.5.0.100/24\n    }}\n    \
         notify_master {master}\n    notify_backup {backup} root\n    notify_stop {unsafe_one}\n}}\n"
    );
    lab.havipd("a", "a", &conf);
    let uid = |name: &str| std::fs::read_to_string(out.join(format!("{name}.uid"))).ok();
    assert!(
        wait_until(Duration::from_secs(6), || {
            uid("master.sh").is_some_and(|u| u.ends_with('\n'))
        })
        .is_some(),
        "notify_master did not run:\n{}",
        lab.log("a")
    );
    let nobody = nix::unistd::User::from_name("nobody")
        .expect("passwd")
        .expect("nobody exists")
        .uid
        .to_string();
    assert_eq!(
        uid("master.sh").as_deref().map(str::trim),
        Some(nobody.as_str())
    );
    assert_eq!(uid("backup.sh").as_deref().map(str::trim), Some("0"));
    lab.signal("a", "TERM");
    assert_eq!(uid("fault.sh"), None, "an unsafe notify_stop ran");
    let log = lab.log("a");
    assert!(
        log.contains("notify_stop not run: enable_script_security is set"),
        "{log}"
    );
}

/// A notify script gets havipd's environment as keepalived's scripts get keepalived's: without
/// systemd's `NOTIFY_SOCKET` and `WATCHDOG_*` (with them, a script could speak to systemd as
/// havipd) and without `IFS`, `LD_PRELOAD`, `LD_LIBRARY_PATH` (keepalived 2.4.3); the rest is
/// inherited.
#[test]
fn notify_scripts_get_keepalived_s_environment_not_systemd_s() {
    let Some(mut lab) = Lab::new("nte", &[]) else {
        return;
    };
    lab.host("a", &["10.5.1.1/24"]);
    let listener = lab.dir.join("notify.sock");
    let _systemd = std::os::unix::net::UnixDatagram::bind(&listener).expect("bind");
    let env_out = lab.dir.join("env");
    let script = lab.write(
        "backup.sh",
        &format!(
            "#!/bin/sh\nenv > {}.tmp && mv {0}.tmp {0}\n",
            env_out.display()
        ),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let conf = lab.write(
        "a.conf",
        &common::instance(
            "VI_1",
            66,
            100,
            "10.5.1.100",
            &format!("    notify_backup {script}\n"),
        ),
    );
    let line = format!(
        "export NOTIFY_SOCKET={} WATCHDOG_USEC=5000000 WATCHDOG_PID=$$ LD_LIBRARY_PATH=/nonexistent IFS=' ' HAVIP_KEPT=yes; exec {} -n -l -f {conf} --state-dir {}",
        listener.display(),
        env!("CARGO_BIN_EXE_havipd"),
        lab.dir.join("a").display()
    );
    lab.spawn("a", "a", &["sh", "-c", &line]);
    assert!(
        wait_until(Duration::from_secs(6), || env_out.exists()).is_some(),
        "notify_backup did not run:\n{}",
        lab.log("a")
    );
    let env = std::fs::read_to_string(&env_out).expect("env");
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    for gone in [
        "NOTIFY_SOCKET",
        "WATCHDOG_USEC",
        "WATCHDOG_PID",
        "LD_LIBRARY_PATH",
        "IFS",
    ] {
        assert!(!names.contains(&gone), "{gone} given to a script:\n{env}");
    }
    assert!(
        env.contains("HAVIP_KEPT=yes") && names.contains(&"PATH"),
        "{env}"
    );
}
