//! keepalived's D-Bus service (`enable_dbus`), on a bus the test starts: havipd's objects
//! introspect as keepalived 2.2.7's do on the same config, PrintData writes the data file,
//! SendGarp sends a GARP seen on the wire, ReloadConfig reloads (renaming the instance's
//! object), a failover emits VrrpStatusChange, a caller that is not root is refused, and
//! reloads start and stop the service as `enable_dbus` comes and goes.

mod common;

use common::{Lab, instance, state_of, wait_until};
use std::process::{Command, Output};
use std::time::Duration;

const NAME: &str = "org.keepalived.Vrrp1";
const VRRP: &str = "/org/keepalived/Vrrp1/Vrrp";
const INSTANCE: &str = "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4";

/// A permissive bus policy: anyone connects, calls and owns names (the daemons' own checks are
/// under test, not the bus policy).
const OPEN: &str = "<policy context=\"default\">\n  <allow user=\"*\"/>\n  <allow own=\"*\"/>\n  \
    <allow send_destination=\"*\"/>\n  <allow eavesdrop=\"true\"/>\n </policy>";

/// The system bus's default policy (Debian's `system.conf`: no names owned, no methods called
/// but the bus's own) and havipd's policy file, as the package installs it.
fn strict() -> String {
    format!(
        "<policy context=\"default\">\n  <allow user=\"*\"/>\n  <deny own=\"*\"/>\n  \
         <deny send_type=\"method_call\"/>\n  <allow send_type=\"signal\"/>\n  \
         <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n  \
         <allow send_requested_reply=\"true\" send_type=\"error\"/>\n  \
         <allow receive_type=\"method_call\"/>\n  <allow receive_type=\"method_return\"/>\n  \
         <allow receive_type=\"error\"/>\n  <allow receive_type=\"signal\"/>\n  \
         <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n \
         </policy>\n <include>{}/org.keepalived.Vrrp1.conf</include>",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A bus of the test's own at `<lab>/<name>.bus` with `policy`.
fn start_bus(lab: &mut Lab, name: &str, policy: &str) -> String {
    let socket = lab.dir.join(format!("{name}.bus"));
    let config = format!(
        "<busconfig>\n <listen>unix:path={}</listen>\n <auth>EXTERNAL</auth>\n {policy}\n</busconfig>\n",
        socket.display()
    );
    let file = lab.write(&format!("{name}.busconf"), &config);
    lab.spawn_here(name, &["dbus-daemon", "--nofork", "--config-file", &file]);
    assert!(
        wait_until(Duration::from_secs(5), || socket.exists()).is_some(),
        "dbus-daemon did not start: {}",
        lab.log(name)
    );
    format!("unix:path={}", socket.display())
}

fn busctl(bus: &str, args: &[&str]) -> Output {
    Command::new("busctl")
        .arg(format!("--address={bus}"))
        .args(args)
        .output()
        .expect("busctl")
}

fn busctl_ok(bus: &str, args: &[&str]) -> String {
    let out = busctl(bus, args);
    assert!(
        out.status.success(),
        "busctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn call(bus: &str, path: &str, iface: &str, method: &str) -> Output {
    busctl(
        bus,
        &["call", NAME, path, &format!("{NAME}.{iface}"), method],
    )
}

/// `busctl introspect` without the VALUE column (the values are each daemon's own state).
fn interfaces(bus: &str, path: &str) -> Vec<String> {
    busctl_ok(bus, &["introspect", NAME, path])
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // NAME TYPE SIGNATURE RESULT/VALUE FLAGS: properties' values are dropped.
            if cols.get(1) == Some(&"property") {
                format!(
                    "{} {} {} {}",
                    cols[0],
                    cols[1],
                    cols[2],
                    cols.last().unwrap_or(&"")
                )
            } else {
                cols.join(" ")
            }
        })
        .collect()
}

fn config(name: &str, priority: u8, data_file: &str) -> String {
    format!(
        "global_defs {{\n    enable_dbus\n    state_dump_file {data_file}\n    \
         stats_dump_file {data_file}.stats\n    vrrp_garp_master_delay 0\n}}\n{}",
        instance(name, 51, priority, "172.16.16.100", "")
    )
}

fn on_bus(bus: &str) -> bool {
    busctl(bus, &["status", NAME]).status.success()
}

/// Starts `binary` (havipd or keepalived) on `host` with `config`, its system bus `bus`.
fn start(lab: &mut Lab, host: &str, name: &str, bus: &str, argv: &[&str]) {
    let env = format!("DBUS_SYSTEM_BUS_ADDRESS={bus}");
    let mut full = vec!["env", &env];
    full.extend_from_slice(argv);
    lab.spawn(host, name, &full);
}

/// What a daemon's service shows: its object tree, then the interfaces of the Vrrp and the
/// instance's objects.
type Shown = (String, Vec<String>, Vec<String>);

fn shown(bus: &str) -> Shown {
    let tree = busctl_ok(bus, &["tree", NAME]);
    (tree, interfaces(bus, VRRP), interfaces(bus, INSTANCE))
}

/// [`shown`] for keepalived 2.2.7 on the same config, on a bus and a subnet of its own.
fn keepalived_shows() -> Option<Shown> {
    let mut lab = Lab::new("dbk", &["dbus-daemon", "busctl", "keepalived"])?;
    lab.host("k", &["172.16.16.9/24"]);
    let bus = start_bus(&mut lab, "kbus", OPEN);
    let data = lab.dir.join("k.data").display().to_string();
    let conf = lab.write("k.conf", &config("VI_1", 150, &data));
    let d = lab.dir.display().to_string();
    let (pid, vpid) = (format!("{d}/k.pid"), format!("{d}/k.vrrp.pid"));
    let argv = [
        "keepalived",
        "-n",
        "-l",
        "-P",
        "-f",
        &conf,
        "-p",
        &pid,
        "-r",
        &vpid,
    ];
    start(&mut lab, "k", "keepalived", &bus, &argv);
    let up = wait_until(Duration::from_secs(10), || on_bus(&bus));
    assert!(
        up.is_some(),
        "keepalived not on the bus: {}",
        lab.log("keepalived")
    );
    Some(shown(&bus))
}

/// Starts havipd on `a` with the D-Bus service on `bus` and waits until it is MASTER; returns
/// its config file, data file and state directory.
fn master_a(lab: &mut Lab, bus: &str) -> (String, String, std::path::PathBuf) {
    let data = lab.dir.join("a.data").display().to_string();
    let conf = lab.write("a.conf", &config("VI_1", 150, &data));
    let state = lab.dir.join("a");
    let state_arg = state.display().to_string();
    let havipd = env!("CARGO_BIN_EXE_havipd");
    let argv = [havipd, "-n", "-l", "-f", &conf, "--state-dir", &state_arg];
    start(lab, "a", "a", bus, &argv);
    let up = wait_until(Duration::from_secs(10), || on_bus(bus));
    assert!(up.is_some(), "havipd not on the bus: {}", lab.log("a"));
    let master = wait_until(Duration::from_secs(10), || {
        state_of(&state, "VI_1") == "MASTER"
    });
    assert!(master.is_some(), "a never MASTER: {}", lab.log("a"));
    (conf, data, state)
}

/// `busctl ARGS` as user nobody.
fn busctl_as_nobody(bus: &str, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "busctl"])
        .arg(format!("--address={bus}"))
        .args(args)
        .output()
        .expect("setpriv")
}

/// `busctl call` as user nobody.
fn call_as_nobody(bus: &str, path: &str, iface: &str, method: &str) -> Output {
    let iface = format!("{NAME}.{iface}");
    busctl_as_nobody(bus, &["call", NAME, path, &iface, method])
}

#[test]
fn dbus_service_as_keepalived() {
    let Some(mut lab) = Lab::new("dbus", &["dbus-daemon", "busctl", "tcpdump", "setpriv"]) else {
        return;
    };
    lab.host("a", &["172.16.16.2/24"]);
    lab.host("b", &["172.16.16.3/24"]);
    let bus = start_bus(&mut lab, "bus", OPEN);
    lab.spawn_here(
        "monitor",
        &["busctl", &format!("--address={bus}"), "monitor", NAME],
    );
    let (conf, data, state) = master_a(&mut lab, &bus);

    // Introspection: as keepalived 2.2.7's on the same config.
    let ours = shown(&bus);
    if let Some(theirs) = keepalived_shows() {
        assert_eq!(
            ours.0, theirs.0,
            "the object tree differs from keepalived's"
        );
        assert_eq!(
            ours.1, theirs.1,
            "the Vrrp object differs from keepalived's"
        );
        assert_eq!(
            ours.2, theirs.2,
            "the Instance object differs from keepalived's"
        );
    }
    let name = busctl_ok(
        &bus,
        &[
            "get-property",
            NAME,
            INSTANCE,
            &format!("{NAME}.Instance"),
            "Name",
        ],
    );
    assert_eq!(name.trim(), "s \"VI_1\"");
    let st = busctl_ok(
        &bus,
        &[
            "get-property",
            NAME,
            INSTANCE,
            &format!("{NAME}.Instance"),
            "State",
        ],
    );
    assert_eq!(st.trim(), "(us) 2 \"Master\"");

    // PrintData writes the data file.
    assert!(call(&bus, VRRP, "Vrrp", "PrintData").status.success());
    let text = std::fs::read_to_string(&data).expect("PrintData wrote no data file");
    assert!(text.contains("VI_1"), "{text}");
    // PrintStats the stats file; PrintStatsClear is refused (havipd's counters only grow).
    assert!(call(&bus, VRRP, "Vrrp", "PrintStats").status.success());
    let stats = std::fs::read_to_string(format!("{data}.stats")).expect("no stats file");
    assert!(stats.contains("VRRP Instance: VI_1"), "{stats}");
    let clear = call(&bus, VRRP, "Vrrp", "PrintStatsClear");
    assert!(!clear.status.success(), "PrintStatsClear accepted");

    // A caller that is not root is refused, and nothing is written.
    std::fs::remove_file(&data).expect("remove data file");
    let out = call_as_nobody(&bus, VRRP, "Vrrp", "PrintData");
    assert!(!out.status.success(), "nobody's PrintData was accepted");
    // busctl shows the error's name only; havipd says whom it refused.
    assert!(
        lab.log("a").contains("caller refused, not root"),
        "{}",
        lab.log("a")
    );
    assert!(
        !std::path::Path::new(&data).exists(),
        "nobody's PrintData wrote the file"
    );

    // SendGarp: a GARP for the VIP on the wire, seen from b.
    lab.spawn(
        "b",
        "tcpdump",
        &["tcpdump", "-n", "-l", "-i", "eth0", "arp"],
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !lab.log("tcpdump").contains("172.16.16.100"),
        "a GARP before SendGarp"
    );
    assert!(
        call(&bus, INSTANCE, "Instance", "SendGarp")
            .status
            .success()
    );
    let garp = wait_until(Duration::from_secs(3), || {
        lab.log("tcpdump").contains("172.16.16.100")
    });
    assert!(
        garp.is_some(),
        "no GARP after SendGarp: {}",
        lab.log("tcpdump")
    );

    // ReloadConfig: the renamed instance keeps its object, under its new name.
    std::fs::write(&conf, config("VI_X", 150, &data)).expect("rewrite config");
    assert!(call(&bus, VRRP, "Vrrp", "ReloadConfig").status.success());
    let renamed = wait_until(Duration::from_secs(5), || {
        busctl(
            &bus,
            &[
                "get-property",
                NAME,
                INSTANCE,
                &format!("{NAME}.Instance"),
                "Name",
            ],
        )
        .stdout
        .starts_with(b"s \"VI_X\"")
    });
    assert!(
        renamed.is_some(),
        "no rename after ReloadConfig: {}",
        lab.log("a")
    );

    // Failover: b preempts, a's object says BACKUP (1).
    let bconf = instance("VI_X", 51, 200, "172.16.16.100", "");
    lab.havipd("b", "b", &bconf);
    let backup = wait_until(Duration::from_secs(10), || {
        lab.log("monitor").contains("VrrpStatusChange") && state_of(&state, "VI_X") == "BACKUP"
    });
    assert!(backup.is_some(), "a did not fall back: {}", lab.log("a"));
    let seen = wait_until(Duration::from_secs(3), || {
        let m = lab.log("monitor");
        let last = m.rfind("Member=VrrpStatusChange").unwrap_or(0);
        m.contains("Member=VrrpReloaded") && m[last..].contains("UINT32 1;")
    });
    assert!(seen.is_some(), "signals missing:\n{}", lab.log("monitor"));

    // Stopping: VrrpStopped, then the name is gone.
    lab.signal("a", "TERM");
    let stopped = wait_until(Duration::from_secs(3), || {
        lab.log("monitor").contains("Member=VrrpStopped") && !on_bus(&bus)
    });
    assert!(stopped.is_some(), "no VrrpStopped:\n{}", lab.log("monitor"));
}

/// On a bus with the system bus's default policy and havipd's policy file: havipd (root) owns
/// the name; others may introspect and read properties, but the bus refuses their method
/// calls before havipd sees them; root's calls go through. Reloads start and stop the service
/// as `enable_dbus` comes and goes.
#[test]
fn policy_file_lets_only_root_call() {
    let Some(mut lab) = Lab::new("dbp", &["dbus-daemon", "busctl", "setpriv"]) else {
        return;
    };
    lab.host("a", &["172.16.16.2/24"]);
    let bus = start_bus(&mut lab, "bus", &strict());
    let (conf, data, _) = master_a(&mut lab, &bus);
    let nobody = |args: &[&str]| busctl_as_nobody(&bus, args);
    let intro = nobody(&["introspect", NAME, INSTANCE]);
    assert!(intro.status.success(), "{intro:?}");
    let name = nobody(&[
        "get-property",
        NAME,
        INSTANCE,
        &format!("{NAME}.Instance"),
        "Name",
    ]);
    assert_eq!(String::from_utf8_lossy(&name.stdout).trim(), "s \"VI_1\"");
    let refused = call_as_nobody(&bus, VRRP, "Vrrp", "PrintData");
    assert!(!refused.status.success(), "nobody's PrintData went through");
    assert!(
        !lab.log("a").contains("caller refused"),
        "the bus let it through"
    );
    assert!(!std::path::Path::new(&data).exists());
    assert!(call(&bus, VRRP, "Vrrp", "PrintData").status.success());
    assert!(
        std::path::Path::new(&data).exists(),
        "root's PrintData wrote nothing"
    );

    // A reload without enable_dbus leaves the bus, one with it comes back, as keepalived.
    let on = config("VI_1", 150, &data);
    std::fs::write(&conf, on.replace("    enable_dbus\n", "")).expect("rewrite config");
    lab.reload("a");
    let gone = wait_until(Duration::from_secs(5), || !on_bus(&bus));
    assert!(gone.is_some(), "still on the bus: {}", lab.log("a"));
    std::fs::write(&conf, on).expect("rewrite config");
    lab.reload("a");
    let back = wait_until(Duration::from_secs(5), || {
        busctl(
            &bus,
            &[
                "get-property",
                NAME,
                INSTANCE,
                &format!("{NAME}.Instance"),
                "Name",
            ],
        )
        .status
        .success()
    });
    assert!(back.is_some(), "not back on the bus: {}", lab.log("a"));
}
