//! keepalived-compatible dumps: for the same config, Debian's keepalived 2.2.7 and havipd,
//! each asked by the signal keepalived's `--signum` names, write keepalived.json with the same
//! keys and value types, and keepalived.stats with the same lines; SIGUSR1 writes
//! keepalived.data; files land in `$TMPDIR`, mode 0600. keepalived.json and the status
//! (`havip status --json`) list every tracked object with its state and weight.

mod common;
use common::{Lab, last_state, wait_until};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const CONFIG: &str = "vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n}\n\
vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 9\n    priority 100\n    \
advert_int 1\n    virtual_ipaddress {\n        10.7.0.100/24\n    }\n    track_script {\n        chk\n    }\n}\n";

fn signum(binary: &str, name: &str) -> String {
    let out = std::process::Command::new(binary)
        .arg(format!("--signum={name}"))
        .output()
        .expect("--signum");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Starts `argv` in `host` with TMPDIR set; returns its TMPDIR.
fn start(lab: &mut Lab, host: &str, argv: &str) -> std::path::PathBuf {
    let tmp = lab.dir.join(format!("{host}-tmp"));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let script = format!("export TMPDIR={}; exec {argv}", tmp.display());
    lab.spawn(host, host, &["sh", "-c", &script]);
    tmp
}

fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::Number(n) if n.is_f64() => Value::from("float"),
        Value::Number(_) => Value::from("int"),
        Value::String(_) => Value::from("string"),
        Value::Bool(_) => Value::from("bool"),
        Value::Null => Value::from("null"),
    }
}

fn read_after_signal(lab: &Lab, host: &str, sig: &str, file: &Path) -> String {
    let _ = std::fs::remove_file(file);
    lab.kill(host, sig);
    assert!(
        wait_until(Duration::from_secs(3), || file.exists()).is_some(),
        "{host} wrote no {}:\n{}",
        file.display(),
        lab.log(host)
    );
    std::thread::sleep(Duration::from_millis(100));
    std::fs::read_to_string(file).expect("dump")
}

fn stats_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn json_stats_and_data_dumps_match_keepalived_s_shape() {
    let Some(mut lab) = Lab::new("dmp", &["keepalived"]) else {
        return;
    };
    lab.host("k", &["10.7.0.1/24"]);
    lab.host("h", &["10.7.1.1/24"]);
    let kconf = lab.write("k.conf", CONFIG);
    // Both hosts share a switch: a VRID of its own keeps havipd out of an election against
    // keepalived (equal priorities: whichever is master first stays master).
    let hconf = lab.write(
        "h.conf",
        &CONFIG.replace("virtual_router_id 9", "virtual_router_id 10"),
    );
    let dir = lab.dir.clone();
    let ka_cmd = format!(
        "keepalived -P -n -l -f {kconf} -p {0}/k.pid -r {0}/k.vpid",
        dir.display()
    );
    let ktmp = start(&mut lab, "k", &ka_cmd);
    let our_cmd = format!(
        "{} -n -l -f {hconf} --state-dir {}",
        env!("CARGO_BIN_EXE_havipd"),
        dir.join("h-state").display()
    );
    let htmp = start(&mut lab, "h", &our_cmd);
    // Each becomes master after Master_Down_Interval (3.6 s); on a loaded machine that can
    // take longer than a fixed wait.
    let h_state = dir.join("h-state");
    assert!(
        wait_until(Duration::from_secs(15), || last_state(&h_state).as_deref()
            == Some("MASTER"))
        .is_some(),
        "havipd never became master:\n{}",
        lab.log("h")
    );
    std::thread::sleep(Duration::from_secs(1));
    let havipd = env!("CARGO_BIN_EXE_havipd");
    for name in ["JSON", "DATA", "STATS", "RELOAD", "STOP"] {
        assert_eq!(signum("keepalived", name), signum(havipd, name), "{name}");
    }
    let json = signum(havipd, "JSON");
    // keepalived's parent relays the signal to its VRRP child.
    let ka: Value = serde_json::from_str(&read_after_signal(
        &lab,
        "k",
        &json,
        &ktmp.join("keepalived.json"),
    ))
    .expect("keepalived's JSON");
    let text = read_after_signal(&lab, "h", &json, &htmp.join("keepalived.json"));
    let ours: Value = serde_json::from_str(&text).expect("havipd's JSON");
    assert_eq!(ours[0]["data"]["trackers"][0]["name"], "chk", "{text}");
    // havipd's own key, which keepalived's readers ignore.
    let mut ours = ours;
    for e in ours.as_array_mut().into_iter().flatten() {
        e["data"].as_object_mut().map(|d| d.remove("trackers"));
    }
    assert_eq!(
        shape(&ours),
        shape(&ka),
        "ours:\n{text}\nkeepalived's:\n{ka:#}"
    );
    assert_eq!(ours[0]["data"]["state"], 2, "{text}");
    assert_eq!(
        ours[0]["data"]["vips"][0],
        "10.7.0.100/24 dev eth0 scope global set"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(htmp.join("keepalived.json"))
            .expect("file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    let ka_stats = read_after_signal(&lab, "k", "USR2", &ktmp.join("keepalived.stats"));
    let our_stats = read_after_signal(&lab, "h", "USR2", &htmp.join("keepalived.stats"));
    assert_eq!(
        stats_lines(&our_stats),
        stats_lines(&ka_stats),
        "{our_stats}"
    );
    let data = read_after_signal(&lab, "h", "USR1", &htmp.join("keepalived.data"));
    for line in [
        "VRRP Instance = VI_1",
        "State = MASTER",
        "VRRP Script = chk",
        "Status = GOOD",
    ] {
        assert!(data.contains(line), "{line} missing:\n{data}");
    }
    assert!(lab.running("h"), "a dump signal must not stop havipd");
}

/// Plants, at every name a dump goes through (the final file and the fixed temporary name
/// havipd used before, `.keepalived.X.tmp`), first symbolic links to a file root cares about,
/// then files a user owns; after each signal, the linked file is untouched and the dump is a
/// regular file of root's, mode 0600 (keepalived's CVE-2018-19044/19046). The temporary
/// directory is world-writable and sticky, as /tmp is.
#[test]
fn dumps_never_write_through_planted_links_or_files() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
    let Some(mut lab) = Lab::new("dsl", &[]) else {
        return;
    };
    lab.host("h", &["10.7.2.1/24"]);
    let hconf = lab.write(
        "h.conf",
        &CONFIG.replace("virtual_router_id 9", "virtual_router_id 11"),
    );
    let victim = lab.dir.join("precious");
    std::fs::write(&victim, "precious\n").expect("victim");
    let tmp = lab.dir.join("h-tmp");
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let cmd = format!(
        "{} -n -l -f {hconf} --state-dir {}",
        env!("CARGO_BIN_EXE_havipd"),
        lab.dir.join("h-state").display()
    );
    start(&mut lab, "h", &cmd);
    let nobody = 65534;
    let json = signum(env!("CARGO_BIN_EXE_havipd"), "JSON");
    let dumps = [
        ("USR1", "keepalived.data"),
        ("USR2", "keepalived.stats"),
        (json.as_str(), "keepalived.json"),
    ];
    let state = lab.dir.join("h-state");
    assert!(
        wait_until(Duration::from_secs(10), || last_state(&state).is_some()).is_some(),
        "{}",
        lab.log("h")
    );
    for planted in ["symlink", "user's file"] {
        for (sig, name) in dumps {
            let names = [tmp.join(format!(".{name}.tmp")), tmp.join(name)];
            for n in &names {
                let _ = std::fs::remove_file(n);
                if planted == "symlink" {
                    symlink(&victim, n).expect("plant a link");
                } else {
                    std::fs::write(n, "the user's\n").expect("plant a file");
                    std::fs::set_permissions(n, std::fs::Permissions::from_mode(0o666))
                        .expect("chmod");
                }
                std::os::unix::fs::lchown(n, Some(nobody), Some(nobody)).expect("chown");
            }
            let dump = &names[1];
            lab.kill("h", sig);
            let written = wait_until(Duration::from_secs(3), || {
                std::fs::symlink_metadata(dump).is_ok_and(|m| m.is_file() && m.uid() == 0)
            });
            let meta = std::fs::symlink_metadata(dump).expect("dump");
            assert!(
                written.is_some(),
                "{name} over a planted {planted}: not root's regular file ({:?}, uid {}):\n{}",
                meta.file_type(),
                meta.uid(),
                lab.log("h")
            );
            assert_eq!(meta.mode() & 0o777, 0o600, "{name}");
            assert_eq!(
                std::fs::read_to_string(&victim).expect("victim"),
                "precious\n",
                "{name} wrote through a planted {planted}"
            );
            let text = std::fs::read_to_string(dump).expect("dump");
            assert!(
                !text.contains("the user's") && !text.is_empty(),
                "{name}: {text}"
            );
        }
    }
    assert!(lab.running("h"), "a dump signal must not stop havipd");
}

/// An instance tracking one of each kind (an interface, a script, a file, a process): the
/// status (what `havip status --json` prints) and keepalived.json list each with its state,
/// weight and effect.
#[test]
fn status_and_json_dump_list_every_tracked_object() {
    let Some(mut lab) = Lab::new("dtr", &[]) else {
        return;
    };
    lab.host("h", &["10.7.2.1/24"]);
    lab.sh_in(
        "h",
        "ip link add t0 type veth peer name t1 && ip link set t1 up && ip link set t0 up",
    );
    let file = lab.write("w", "3\n");
    let missing = format!("nosuch{}", std::process::id());
    let conf = format!(
        "vrrp_script ok {{\n    script /bin/true\n    interval 1\n    weight 10\n}}\n\
         track_file w {{\n    file {file}\n    weight 2\n}}\n\
         vrrp_track_process p {{\n    process {missing}\n    weight -20\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 11\n    priority 100\n    \
         advert_int 1\n    virtual_ipaddress {{\n        10.7.2.100/24\n    }}\n    \
         track_interface {{\n        t0 weight 5\n    }}\n    track_script {{\n        ok\n    }}\n    \
         track_file {{\n        w\n    }}\n    track_process {{\n        p\n    }}\n}}\n"
    );
    let tmp = lab.dir.join("h-tmp");
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let conf_path = lab.write("h.conf", &conf);
    let state = lab.dir.join("h-state");
    let cmd = format!(
        "export TMPDIR={}; exec {} -n -l -f {conf_path} --state-dir {}",
        tmp.display(),
        env!("CARGO_BIN_EXE_havipd"),
        state.display()
    );
    lab.spawn("h", "h", &["sh", "-c", &cmd]);
    let socket = state.join(ctl::SOCKET_NAME);
    let status = || match ctl::Client::one(&socket, &ctl::Request::Status) {
        Ok(ctl::Reply::Status(s)) => Some(s),
        _ => None,
    };
    // The script has run once: all four are known.
    let settled = wait_until(Duration::from_secs(10), || {
        status().is_some_and(|s| {
            s.instances[0].trackers.len() == 4
                && s.instances[0].effective_priority == 100 + 5 + 10 + 6 - 20
        })
    });
    let s = status().expect("status");
    assert!(
        settled.is_some(),
        "{:#?}\n{}",
        s.instances[0].trackers,
        lab.log("h")
    );
    let rows: Vec<(String, String, bool, i64, i64)> = s.instances[0]
        .trackers
        .iter()
        .map(|t| (t.kind.clone(), t.name.clone(), t.ok, t.weight, t.effect))
        .collect();
    let row = |k: &str, n: &str, ok, w, e| (k.to_string(), n.to_string(), ok, w, e);
    assert_eq!(
        rows,
        [
            row("interface", "t0", true, 5, 5),
            row("script", "ok", true, 10, 10),
            row("file", "w", false, 2, 6),
            row("process", "p", false, -20, -20),
        ]
    );
    let json_sig = std::process::Command::new(env!("CARGO_BIN_EXE_havipd"))
        .arg("--signum=JSON")
        .output()
        .expect("--signum");
    let sig = String::from_utf8_lossy(&json_sig.stdout).trim().to_string();
    let text = read_after_signal(&lab, "h", &sig, &tmp.join("keepalived.json"));
    let dump: Value = serde_json::from_str(&text).expect("JSON");
    let listed = &dump[0]["data"]["trackers"];
    assert_eq!(
        listed,
        &serde_json::to_value(&s.instances[0].trackers).expect("json"),
        "{text}"
    );
}
