//! Many havipds on one host, each started as keepalived is started, with keepalived's flags
//! only (no `--state-dir`): one pair the way OpenStack Neutron's L3 agent starts keepalived
//! (`ip netns exec NS havipd -P -f CONF -p PID -r PID-vrrp`, one directory per router), the
//! other with a top-level `net_namespace` and `instance` in the config, started from this
//! namespace. All four run, each pair elects one master, each answers on the socket derived
//! from its own flags, stopping one leaves the others; invocations keepalived refuses (the same
//! pid file) are refused, and keepalived 2.2.7 itself refuses havipd's pid file.

mod common;

use common::{Lab, wait_until};
use ctl::placement::Keys;
use ctl::{Client, Reply, Request, Status};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A pair's instance named after its host, so each daemon's status shows its own.
fn config(top: &str, name: &str, vrid: u8, priority: u8, vip: &str) -> String {
    format!(
        "{top}vrrp_instance {name} {{\n state BACKUP\n interface eth0\n virtual_router_id {vrid}\n \
         priority {priority}\n advert_int 1\n virtual_ipaddress {{\n  {vip}/24\n }}\n}}\n"
    )
}

/// The status of the daemon whose state directory `keys` derive, if it answers.
fn status(keys: &Keys) -> Option<Status> {
    let socket = ctl::placement::socket_in(&keys.state_dir()).ok()?;
    match Client::one(&socket, &Request::Status) {
        Ok(Reply::Status(s)) => Some(s),
        _ => None,
    }
}

/// The instance names a daemon reports.
fn instances(keys: &Keys) -> Vec<String> {
    status(keys)
        .map(|s| s.instances.into_iter().map(|i| i.name).collect())
        .unwrap_or_default()
}

/// Removes the directories `net_namespace` daemons made under `/run/keepalived`.
struct RunDirs(Vec<PathBuf>);

impl Drop for RunDirs {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
        let _ = std::fs::remove_dir(ctl::placement::KEEPALIVED_PID_DIR);
    }
}

/// Waits for a daemon started with `spawn` to end; its exit code and log.
fn ended(lab: &mut Lab, name: &str) -> (Option<i32>, String) {
    wait_until(Duration::from_secs(10), || !lab.running(name));
    (lab.exit_code(name), lab.log(name))
}

#[test]
fn two_pairs_in_four_namespaces_run_side_by_side_started_as_keepalived_is() {
    let Some(mut lab) = Lab::new("multi", &["keepalived"]) else {
        return;
    };
    for (host, addr) in [("n1", "10.61.0.1/24"), ("n2", "10.61.0.2/24")] {
        lab.host(host, &[addr]);
    }
    for (host, addr) in [("m1", "10.61.0.3/24"), ("m2", "10.61.0.4/24")] {
        lab.host(host, &[addr]);
    }
    let havipd = env!("CARGO_BIN_EXE_havipd");
    let dir = lab.dir.clone();

    // Neutron's way: a directory per router, `-p` and `-r` in it, `ip netns exec`.
    let mut neutron = Vec::new();
    for (host, priority) in [("n1", 150), ("n2", 100)] {
        let router = dir.join(format!("ha_confs/{host}"));
        std::fs::create_dir_all(&router).expect("router dir");
        let conf = router.join("keepalived.conf");
        let name = format!("N_{host}");
        std::fs::write(&conf, config("", &name, 61, priority, "10.61.0.100")).expect("conf");
        let pid = router.join("keepalived.pid");
        let vrrp = router.join("keepalived.pid-vrrp");
        let args = [&conf, &pid, &vrrp].map(|p| p.display().to_string());
        lab.spawn(
            host,
            host,
            &[
                havipd, "-P", "-n", "-l", "-f", &args[0], "-p", &args[1], "-r", &args[2],
            ],
        );
        let keys = Keys {
            pid_file: Some(pid.clone()),
            ..Keys::default()
        };
        neutron.push((host, name, keys, pid, vrrp));
    }

    // keepalived's own way: `net_namespace` and `instance` at the top of the config.
    let mut named = Vec::new();
    let mut run_dirs = RunDirs(Vec::new());
    for (host, priority) in [("m1", 150), ("m2", 100)] {
        let ns = lab.ns(host);
        let instance = format!("{ns}i");
        let top = format!("net_namespace {ns}\ninstance {instance}\n");
        let name = format!("M_{host}");
        let conf = lab.write(
            &format!("{host}.conf"),
            &config(&top, &name, 62, priority, "10.61.0.200"),
        );
        run_dirs
            .0
            .push(Path::new(ctl::placement::KEEPALIVED_PID_DIR).join(&ns));
        lab.spawn_here(host, &[havipd, "-n", "-l", "-f", &conf]);
        let keys = Keys {
            namespace: Some(ns),
            instance: Some(instance),
            ..Keys::default()
        };
        named.push((host, name, keys, conf));
    }

    // All four run and answer, each on its own socket, with its own instance.
    for (host, name, keys) in neutron
        .iter()
        .map(|(h, n, k, ..)| (h, n, k))
        .chain(named.iter().map(|(h, n, k, _)| (h, n, k)))
    {
        let answered = wait_until(Duration::from_secs(15), || {
            instances(keys) == vec![name.to_string()]
        });
        assert!(
            answered.is_some(),
            "{host} does not answer with {name} on {}:\n{}",
            keys.state_dir().display(),
            lab.log(host)
        );
    }
    let n1 = status(&neutron[0].2).expect("n1 answers");
    let vrrp_pid = std::fs::read_to_string(&neutron[0].4).expect("n1's -r file");
    assert_eq!(
        vrrp_pid.trim(),
        n1.pid.to_string(),
        "-r holds the worker's pid"
    );
    assert!(
        neutron[0]
            .2
            .state_dir()
            .starts_with(dir.join("ha_confs/n1")),
        "Neutron's daemon keeps its state beside its pid file"
    );
    assert!(
        named[0].2.state_dir().starts_with(&run_dirs.0[0]),
        "a net_namespace daemon keeps its state where keepalived's pid file would be"
    );

    // Each pair elects one master: the priority-150 host holds its VIP, its peer does not.
    let elected = wait_until(Duration::from_secs(10), || {
        lab.holds("n1", "10.61.0.100") && lab.holds("m1", "10.61.0.200")
    });
    assert!(elected.is_some(), "{}\n{}", lab.log("n1"), lab.log("m1"));
    assert!(!lab.holds("n2", "10.61.0.100") && !lab.holds("m2", "10.61.0.200"));

    refusals(&mut lab, havipd, &neutron[0].3, &neutron[1].4, &named[0].3);

    // Stopping one leaves the others: m2 takes over, the Neutron pair does not notice.
    lab.signal("m1", "TERM");
    let took_over = wait_until(Duration::from_secs(10), || lab.holds("m2", "10.61.0.200"));
    assert!(took_over.is_some(), "{}", lab.log("m2"));
    assert!(
        status(&named[0].2).is_none(),
        "the stopped daemon no longer answers"
    );
    for (host, name, keys, ..) in &neutron {
        assert!(lab.running(host), "{host} stopped:\n{}", lab.log(host));
        assert_eq!(instances(keys), vec![name.to_string()]);
    }
    assert!(lab.holds("n1", "10.61.0.100") && !lab.holds("n2", "10.61.0.100"));
    assert_eq!(instances(&named[1].2), vec![named[1].1.to_string()]);
    let n1_log = lab.log("n1");
    assert_eq!(
        n1_log.matches("-> MASTER").count(),
        1,
        "n1 changed state:\n{n1_log}"
    );

    // A reload may not move a daemon to another instance name (keepalived refuses it too).
    let (_, name, keys, conf) = &named[1];
    let text = std::fs::read_to_string(conf).expect("m2's config");
    let renamed = text.replace(keys.instance.as_deref().expect("instance"), "renamed");
    std::fs::write(conf, renamed).expect("rewrite");
    let socket = ctl::placement::socket_in(&keys.state_dir()).expect("socket");
    match Client::one(&socket, &Request::Reload) {
        Ok(Reply::Reload(r)) => {
            assert!(!r.applied, "{r:?}");
            assert!(r.message.contains("instance would change"), "{r:?}");
        }
        other => panic!("reload: {other:?}"),
    }
    assert_eq!(instances(keys), vec![name.to_string()]);
}

/// Invocations keepalived refuses beside the running ones are refused, with a message.
fn refusals(lab: &mut Lab, havipd: &str, n1_pid: &Path, n2_vrrp: &Path, m1_conf: &str) {
    let scratch = lab.dir.join("refused");
    std::fs::create_dir_all(&scratch).expect("dir");
    let other = |f: &str| scratch.join(f).display().to_string();
    let conf = lab.write("refused.conf", &config("", "R", 63, 100, "10.61.0.250"));
    let (n1_pid, n2_vrrp) = (n1_pid.display().to_string(), n2_vrrp.display().to_string());

    // n1's -p, another -r.
    let same_p = [
        havipd,
        "-n",
        "-l",
        "-f",
        &conf,
        "-p",
        &n1_pid,
        "-r",
        &other("a.vrrp"),
    ];
    lab.spawn("n2", "same-p", &same_p);
    let (code, log) = ended(lab, "same-p");
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("another havipd runs with the state directory"),
        "{log}"
    );

    // Another -p, n2's -r.
    let same_r = [
        havipd,
        "-n",
        "-l",
        "-f",
        &conf,
        "-p",
        &other("b.pid"),
        "-r",
        &n2_vrrp,
    ];
    lab.spawn("n1", "same-r", &same_r);
    let (code, log) = ended(lab, "same-r");
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("VRRP pid file") && log.contains("is held"),
        "{log}"
    );

    // m1's config again: the same net_namespace and instance, no -p.
    lab.spawn_here("same-instance", &[havipd, "-n", "-l", "-f", m1_conf]);
    let (code, log) = ended(lab, "same-instance");
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("another havipd runs with the state directory"),
        "{log}"
    );

    // keepalived 2.2.7 itself refuses the pid file of a running havipd.
    let ka = lab.exec(
        "n2",
        &[
            "timeout",
            "10",
            "keepalived",
            "-P",
            "-n",
            "-l",
            "-f",
            &conf,
            "-p",
            &n1_pid,
            "-r",
            &other("k.vrrp"),
        ],
    );
    let text =
        String::from_utf8_lossy(&ka.stdout).into_owned() + &String::from_utf8_lossy(&ka.stderr);
    assert!(text.contains("daemon is already running"), "{text}");
}

/// One way of starting a daemon: where (`ip netns exec HOST`, or here), the config's top-level
/// lines, and flags after `-f CONFIG`.
struct Invocation {
    host: Option<&'static str>,
    top: String,
    flags: Vec<String>,
}

/// Whether the second of two invocations runs beside the first, for `binary`.
fn runs_beside(
    lab: &mut Lab,
    binary: &str,
    case: usize,
    first: &Invocation,
    second: &Invocation,
) -> bool {
    let (up, tag) = if binary == "keepalived" {
        ("Startup complete", "k")
    } else {
        ("havipd started", "h")
    };
    let mut names = Vec::new();
    for (i, inv) in [first, second].into_iter().enumerate() {
        let name = format!("{tag}{case}{}", ["a", "b"][i]);
        let text = inv.top.clone() + &config("", "V", 70 + case as u8, 100, "10.62.0.100");
        let conf = lab.write(&format!("{name}.conf"), &text);
        let mut argv = vec![binary, "-P", "-n", "-l", "-f", &conf];
        argv.extend(inv.flags.iter().map(String::as_str));
        match inv.host {
            Some(host) => lab.spawn(host, &name, &argv),
            None => lab.spawn_here(&name, &argv),
        }
        wait_until(Duration::from_secs(10), || {
            lab.log(&name).contains(up) || !lab.running(&name)
        });
        names.push(name);
    }
    let beside = lab.running(&names[1]) && lab.log(&names[1]).contains(up);
    if !beside && binary != "keepalived" {
        let log = lab.log(&names[1]);
        assert!(
            log.contains("havipd runs with the state directory") || log.contains("is held"),
            "refused without saying why:\n{log}"
        );
    }
    for name in names.iter().rev() {
        if lab.running(name) {
            lab.signal(name, "TERM");
        }
    }
    beside
}

#[test]
fn havipd_runs_side_by_side_exactly_where_keepalived_does() {
    let Some(mut lab) = Lab::new("pairs", &["keepalived"]) else {
        return;
    };
    lab.host("a", &["10.62.0.1/24"]);
    lab.host("b", &["10.62.0.2/24"]);
    let (ns_a, ns_b) = (lab.ns("a"), lab.ns("b"));
    let inst = format!("{ns_a}i");
    let pid_dir = Path::new(ctl::placement::KEEPALIVED_PID_DIR);
    let _run_dirs = RunDirs(vec![
        pid_dir.join(&ns_a),
        pid_dir.join(&ns_b),
        pid_dir.join(format!("keepalived_{inst}.pid.havip")),
    ]);
    let d = lab.dir.display().to_string();
    let pids = |p: &str, r: &str| {
        vec![
            "-p".into(),
            format!("{d}/{p}"),
            "-r".into(),
            format!("{d}/{r}"),
        ]
    };
    let at = |host, top: String, flags: Vec<String>| Invocation { host, top, flags };
    let ns_inst = |ns: &str, i: &str| format!("net_namespace {ns}\ninstance {i}\n");
    let cases: Vec<(&str, Invocation, Invocation, bool)> = vec![
        (
            "Neutron: ip netns exec, distinct -p/-r",
            at(Some("a"), String::new(), pids("a.pid", "a.vrrp")),
            at(Some("b"), String::new(), pids("b.pid", "b.vrrp")),
            true,
        ),
        (
            "the same -p",
            at(Some("a"), String::new(), pids("a.pid", "a.vrrp")),
            at(Some("b"), String::new(), pids("a.pid", "b.vrrp")),
            false,
        ),
        (
            "the same -r",
            at(Some("a"), String::new(), pids("a.pid", "a.vrrp")),
            at(Some("b"), String::new(), pids("b.pid", "a.vrrp")),
            false,
        ),
        (
            "one net_namespace, two instances",
            at(None, ns_inst(&ns_a, &inst), vec![]),
            at(None, ns_inst(&ns_a, "other"), vec![]),
            true,
        ),
        (
            "one instance in two net_namespaces",
            at(None, ns_inst(&ns_a, &inst), vec![]),
            at(None, ns_inst(&ns_b, &inst), vec![]),
            true,
        ),
        (
            "the same net_namespace and instance",
            at(None, ns_inst(&ns_a, &inst), vec![]),
            at(None, ns_inst(&ns_a, &inst), vec![]),
            false,
        ),
        (
            "one instance, ip netns exec in two namespaces",
            at(Some("a"), format!("instance {inst}\n"), vec![]),
            at(Some("b"), format!("instance {inst}\n"), vec![]),
            false,
        ),
        (
            "net_namespace and -s naming the same",
            at(None, format!("net_namespace {ns_a}\n"), vec![]),
            at(None, String::new(), vec!["-s".into(), ns_a.clone()]),
            false,
        ),
        (
            "net_namespace, then the same with -p/-r",
            at(None, format!("net_namespace {ns_a}\n"), vec![]),
            at(
                None,
                format!("net_namespace {ns_a}\n"),
                pids("x.pid", "x.vrrp"),
            ),
            true,
        ),
    ];
    let havipd = env!("CARGO_BIN_EXE_havipd");
    for (case, (what, first, second, expected)) in cases.iter().enumerate() {
        let keepalived = runs_beside(&mut lab, "keepalived", case, first, second);
        assert_eq!(
            keepalived, *expected,
            "keepalived 2.2.7 does not do what we match: {what}"
        );
        let ours = runs_beside(&mut lab, havipd, case, first, second);
        assert_eq!(
            ours,
            keepalived,
            "{what}: keepalived {} the second, havipd {}",
            verdict(keepalived),
            verdict(ours)
        );
    }
}

fn verdict(beside: bool) -> &'static str {
    if beside { "runs" } else { "refuses" }
}

#[test]
fn config_test_checks_the_interfaces_inside_net_namespace() {
    let Some(mut lab) = Lab::new("nstest", &[]) else {
        return;
    };
    lab.host("a", &["10.63.0.1/24"]);
    let ns = lab.ns("a");
    // An interface only the namespace has.
    let ifname = format!("{}t", &ns[ns.len().saturating_sub(12)..]);
    lab.sh_in(
        "a",
        &format!("ip link add {ifname} type veth peer name {ifname}p"),
    );
    let body = format!(
        "vrrp_instance V {{\n interface {ifname}\n virtual_router_id 9\n virtual_ipaddress {{\n  10.63.0.100/24\n }}\n}}\n"
    );
    let inside = lab.write("inside.conf", &format!("net_namespace {ns}\n{body}"));
    let here = lab.write("here.conf", &body);
    let test = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_havipd"))
            .args(args)
            .output()
            .expect("havipd -t");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = test(&["-t", "-l", "-f", &inside]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = test(&["-t", "-l", "-f", &here]);
    assert_ne!(code, Some(0), "{ifname} is not here:\n{err}");
    let (code, err) = test(&["-t", "-l", "-f", &here, "-s", &ns]);
    assert_eq!(code, Some(0), "-s enters it too:\n{err}");
}
