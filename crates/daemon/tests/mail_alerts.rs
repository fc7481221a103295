//! E-mail alerts (`smtp_alert`) in namespaces, against an SMTP receiver the test starts on
//! each host's loopback (python3 asyncio: it answers as a mail server and records each
//! conversation's commands and DATA):
//!
//! - a failover mails what keepalived 2.2.7 mails on the same configuration: the same
//!   commands (HELO, MAIL FROM, RCPT TO each, DATA, QUIT) and the same DATA (From, Subject,
//!   X-Mailer, To, body), but for the Date and the host name, for the same role: the test runs
//!   the failover twice, keepalived as the first master then as the backup, havipd beside it.
//!   One difference, on purpose: keepalived's `Stopping` alert connects and is abandoned at
//!   exit, before its HELO; havipd delivers it (in the form of the others);
//! - a server that accepts connections and never answers delays no advert: the VRRP loop only
//!   queues mails, the queue fills and the rest are dropped and counted.

mod common;
use common::{
    Lab, RealtimeReference, assert_timers_on_time, instance, scrape_metrics, timer_lateness,
    wait_until,
};
use std::time::Duration;

const VIP: &str = "10.4.0.100";

/// One test at a time: the blackhole test measures timer lateness, which the others' daemons
/// starting and stopping on this machine's cores would spoil.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// `python3 - PORT OUT MODE`: an SMTP server on 127.0.0.1:PORT. MODE `record` answers as a
/// mail server and appends each conversation, as a JSON line, to OUT; `blackhole` accepts,
/// appends `connected` and never answers.
const RECEIVER: &str = r#"
import asyncio, json, sys
port, out, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def save(line):
    with open(out, "a") as f:
        f.write(line + "\n")
async def handle(r, w):
    if mode == "blackhole":
        save("connected")
        await asyncio.sleep(3600)
        return
    cmds, data = [], ""
    w.write(b"220 test ESMTP\r\n")
    await w.drain()
    while True:
        line = await r.readline()
        if not line:
            break
        cmd = line.decode().rstrip("\r\n")
        cmds.append(cmd)
        if cmd.upper() == "DATA":
            w.write(b"354 go ahead\r\n")
            await w.drain()
            while True:
                l = await r.readline()
                if not l or l == b".\r\n":
                    break
                data += l.decode()
            w.write(b"250 queued\r\n")
        elif cmd.upper() == "QUIT":
            w.write(b"221 bye\r\n")
            await w.drain()
            break
        else:
            w.write(b"250 ok\r\n")
        await w.drain()
    save(json.dumps({"cmds": cmds, "data": data}))
    w.close()
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", port)
    async with s:
        await s.serve_forever()
asyncio.run(main())
"#;

/// Starts the receiver on `host`; returns the file it records in.
fn receiver(lab: &mut Lab, host: &str, mode: &str) -> std::path::PathBuf {
    let script = lab.write("smtp.py", RECEIVER);
    let out = lab.dir.join(format!("{host}.mails"));
    let out_arg = out.display().to_string();
    lab.spawn(
        host,
        &format!("{host}-smtp"),
        &["python3", &script, "2525", &out_arg, mode],
    );
    let ready = wait_until(Duration::from_secs(5), || {
        lab.sh_in(host, "ss -Hltn 'sport = :2525'").contains("2525")
    });
    assert!(ready.is_some(), "the SMTP receiver did not start");
    out
}

fn global(extra: &str) -> String {
    format!(
        "global_defs {{\n    notification_email {{\n        ops@example.com\n        noc@example.com\n    }}\n    \
         notification_email_from vrrp@example.com\n    smtp_server 127.0.0.1 2525\n    smtp_connect_timeout 5\n{extra}}}\n"
    )
}

fn config(priority: u8) -> String {
    format!(
        "{}{}",
        global(""),
        instance("VI_1", 74, priority, VIP, "    smtp_alert\n")
    )
}

/// Two instances in a sync group that mails too.
fn group_config(priority: u8) -> String {
    format!(
        "{}vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    smtp_alert\n}}\n{}{}",
        global(""),
        instance("VI_1", 74, priority, VIP, "    smtp_alert\n"),
        instance("VI_2", 75, priority, VIP2, "    smtp_alert\n")
    )
}

const VIP2: &str = "10.4.0.101";

/// The host's names, longest first: keepalived names itself by the canonical one, havipd by
/// the kernel's.
fn host_names() -> Vec<String> {
    let mut names: Vec<String> = ["-f", "-s", ""]
        .iter()
        .filter_map(|flag| {
            let mut c = std::process::Command::new("hostname");
            if !flag.is_empty() {
                c.arg(flag);
            }
            let out = c.output().ok()?;
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
}

/// The recorded conversations, the Date line left out and host names replaced by `HOST`.
fn mails(file: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let names = host_names();
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a recorded mail");
            let data: Vec<&str> = v["data"]
                .as_str()
                .unwrap_or_default()
                .split("\r\n")
                .filter(|l| !l.starts_with("Date: "))
                .collect();
            let mut m = format!("{}\n{}", v["cmds"], data.join("\n"));
            for n in &names {
                m = m.replace(n.as_str(), "HOST");
            }
            m
        })
        .collect();
    // keepalived mails each alert on a connection of its own, at once: they may arrive in
    // any order.
    out.sort();
    out
}

fn start(lab: &mut Lab, host: &str, daemon: &str, config: &str) {
    match daemon {
        "havipd" => {
            lab.havipd(host, host, config);
        }
        _ => lab.keepalived(host, host, "keepalived", config),
    }
}

/// a (priority 100) becomes master, b (50) backup; a stops and b takes over; b stops. The
/// mails each host's receiver got.
fn failover(first: &str, second: &str, config: fn(u8) -> String) -> (Vec<String>, Vec<String>) {
    let lab = Lab::new("mal", &["keepalived", "python3", "ss"]);
    let Some(mut lab) = lab else {
        return (Vec::new(), Vec::new());
    };
    lab.host("a", &["10.4.0.1/24"]);
    lab.host("b", &["10.4.0.2/24"]);
    let a_mails = receiver(&mut lab, "a", "record");
    let b_mails = receiver(&mut lab, "b", "record");
    start(&mut lab, "a", first, &config(100));
    let took = wait_until(Duration::from_secs(10), || lab.holds("a", VIP));
    assert!(took.is_some(), "a never became master:\n{}", lab.log("a"));
    start(&mut lab, "b", second, &config(50));
    std::thread::sleep(Duration::from_secs(2));
    lab.signal("a", "TERM");
    let took = wait_until(Duration::from_secs(10), || lab.holds("b", VIP));
    assert!(took.is_some(), "b never took over:\n{}", lab.log("b"));
    std::thread::sleep(Duration::from_secs(1));
    lab.signal("b", "TERM");
    std::thread::sleep(Duration::from_millis(500));
    (mails(&a_mails), mails(&b_mails))
}

/// keepalived's `Stopping` alerts: it connects, then exits before its HELO. havipd mails
/// them, waiting for them at exit (5 s at most): the mails keepalived's code means to send,
/// in the form of its others (one per instance or group of `running`, as `Instance VI_1` or
/// `Group G`, built from its BACKUP alert).
fn with_keepalived_s_stopping(ka: &[String], running: &[&str]) -> Vec<String> {
    // Some it does not even start before it exits.
    let abandoned = ka.iter().filter(|m| m.starts_with("[]")).count();
    let mut all: Vec<String> = ka
        .iter()
        .filter(|m| !m.starts_with("[]"))
        .cloned()
        .collect();
    let stopping: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|m| m.contains("Entering BACKUP state"))
        .filter(|m| running.iter().any(|r| m.contains(&format!("VRRP {r} - "))))
        .map(|m| {
            m.replace("Entering BACKUP state", "Stopping")
                .replace(
                    "=> VRRP Instance is no longer owning VRRP VIPs <=",
                    "=> VRRP Instance stopping <=",
                )
                .replace(
                    "=> All VRRP group instances are now in BACKUP state <=",
                    "=> All VRRP group instances are now stopping <=",
                )
        })
        .collect();
    assert!(abandoned <= stopping.len(), "{ka:?}");
    all.extend(stopping);
    all.sort();
    all
}

#[test]
fn a_failover_mails_what_keepalived_mails() {
    let _one = one_at_a_time();
    let (ka_a, our_b) = failover("keepalived", "havipd", config);
    let (our_a, ka_b) = failover("havipd", "keepalived", config);
    if ka_a.is_empty() && our_a.is_empty() {
        return; // skipped
    }
    eprintln!(
        "keepalived as master, then stopped:\n{}",
        ka_a.join("\n---\n")
    );
    for (role, ours, ka) in [
        ("the first master", &our_a, &ka_a),
        ("the backup that takes over", &our_b, &ka_b),
    ] {
        assert_eq!(ours.len(), 3, "{role}: BACKUP, MASTER, Stopping: {ours:?}");
        assert_eq!(
            ours,
            &with_keepalived_s_stopping(ka, &["Instance VI_1"]),
            "as {role}"
        );
    }
    for m in &our_a {
        assert!(
            m.contains("X-Mailer: Keepalived\nTo: ops@example.com, noc@example.com"),
            "{m}"
        );
    }
}

/// Eight masters (advert_int 0.1) beside an instance whose `track_file` (weight 0) flips it
/// between FAULT and BACKUP every 300 ms for 12 s, all mailing to a server that never answers: the
/// mail thread waits on the first alert, [`QUEUE`] wait behind it, the others are dropped and
/// counted; meanwhile every advert leaves on time.
#[test]
fn a_blackholed_smtp_server_delays_no_advert() {
    let _one = one_at_a_time();
    let Some(mut lab) = Lab::new("mbh", &["python3", "ss", "chrt"]) else {
        return;
    };
    lab.host("a", &["10.4.1.1/24"]);
    let hole = receiver(&mut lab, "a", "blackhole");
    let flag = lab.write("flag", "0\n");
    let mut conf = global("    smtp_alert\n    vrrp_rt_priority 50\n")
        .replace("smtp_connect_timeout 5", "smtp_connect_timeout 60");
    conf += &format!("track_file flag {{\n    file {flag}\n    weight 0\n}}\n");
    conf += &instance(
        "FLAP",
        99,
        100,
        "10.4.1.99",
        "    track_file {\n        flag\n    }\n",
    );
    for k in 0..MASTERS {
        let vip = format!("10.4.1.{}", 100 + k);
        conf += &instance(
            &format!("VI_{k}"),
            100 + k,
            100,
            &vip,
            "    advert_int 0.1\n",
        );
    }
    let state = lab.havipd_with(
        "a",
        "a",
        &conf,
        "a",
        &["--metrics-listen", "127.0.0.1:9651"],
    );
    let all_master = wait_until(Duration::from_secs(8), || {
        (0..MASTERS).all(|k| lab.holds("a", &format!("10.4.1.{}", 100 + k)))
    });
    assert!(
        all_master.is_some(),
        "not every instance became master:\n{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_secs(1));
    let before = timer_lateness(&lab, "a", 9651);
    let reference = RealtimeReference::start(Duration::from_secs(12));
    for k in 0..40 {
        std::fs::write(&flag, if k % 2 == 0 { "1\n" } else { "0\n" }).expect("flag");
        std::thread::sleep(Duration::from_millis(300));
    }
    let floor = reference.worst();
    let after = timer_lateness(&lab, "a", 9651);
    let during: Vec<(String, u64)> = after
        .iter()
        .zip(&before)
        .map(|((le, n), (_, m))| (le.clone(), n - m))
        .collect();
    eprintln!("timer lateness while the SMTP server hung: {during:?}");
    assert_timers_on_time(&during, floor);
    std::thread::sleep(Duration::from_secs(1));
    // Every transition mails (each enters a state other than the last mailed).
    let alerts = common::transitions(&state).len() as u64;
    let metrics = scrape_metrics(&lab, "a", 9651);
    let count = |result: &str| -> u64 {
        let key = format!("havip_mail_alerts_total{{result=\"{result}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(key.as_str())?.trim().parse().ok())
            .unwrap_or(0)
    };
    eprintln!("{alerts} alerts to a blackholed server");
    assert!(
        alerts > 40,
        "too few transitions to fill the queue: {alerts}"
    );
    // One in the mail thread's hands, QUEUE waiting.
    assert_eq!(count("dropped"), alerts - 1 - 32, "{metrics}");
    assert_eq!((count("sent"), count("failed")), (0, 0));
    let connected = std::fs::read_to_string(&hole).unwrap_or_default();
    assert_eq!(
        connected.lines().count(),
        1,
        "havipd never reached the server, or left it"
    );
    assert!(
        lab.log("a").contains("e-mail alert dropped"),
        "{}",
        lab.log("a")
    );
}

/// The masters of [`a_blackholed_smtp_server_delays_no_advert`].
const MASTERS: u8 = 8;

/// The same failover with two instances in a sync group that mails its own alerts.
#[test]
fn a_sync_group_s_failover_mails_what_keepalived_mails() {
    let _one = one_at_a_time();
    let (ka_a, our_b) = failover("keepalived", "havipd", group_config);
    let (our_a, ka_b) = failover("havipd", "keepalived", group_config);
    if ka_a.is_empty() && our_a.is_empty() {
        return; // skipped
    }
    assert!(
        ka_a.iter()
            .any(|m| m.contains("VRRP Group G - Entering MASTER state")),
        "keepalived mailed no group alert: {ka_a:?}"
    );
    for (role, ours, ka) in [
        ("the first master", &our_a, &ka_a),
        ("the backup that takes over", &our_b, &ka_b),
    ] {
        assert_eq!(
            ours.len(),
            9,
            "{role}: BACKUP, MASTER, Stopping x VI_1, VI_2, G: {ours:?}"
        );
        let running = ["Instance VI_1", "Instance VI_2", "Group G"];
        assert_eq!(ours, &with_keepalived_s_stopping(ka, &running), "as {role}");
    }
}

/// A backup whose `track_file` (weight 0) holds 1 for two seconds, then 0: BACKUP, FAULT,
/// BACKUP again and MASTER are mailed as keepalived mails them, and with `no_email_faults`
/// the FAULT is not (nor the second BACKUP, the last state mailed), by either. (Not at start:
/// havipd starts an instance BACKUP before its watcher has read the file, then faults it;
/// keepalived reads it first and starts in FAULT.)
#[test]
fn faults_are_mailed_unless_no_email_faults_as_keepalived_does() {
    let _one = one_at_a_time();
    let Some(mut lab) = Lab::new("mfl", &["keepalived", "python3", "ss"]) else {
        return;
    };
    let hosts = [
        ("kf", "keepalived", ""),
        ("hf", "havipd", ""),
        ("kn", "keepalived", "    no_email_faults\n"),
        ("hn", "havipd", "    no_email_faults\n"),
    ];
    let (mut files, mut confs) = (Vec::new(), Vec::new());
    for (k, (host, daemon, extra)) in hosts.iter().enumerate() {
        lab.host(host, &[&format!("10.4.2.{}/24", k + 1)]);
        files.push(receiver(&mut lab, host, "record"));
        let flag = lab.write(&format!("{host}.flag"), "0\n");
        let vip = format!("10.4.2.{}", 100 + k);
        let conf = format!(
            "{}track_file flag {{\n    file {flag}\n    weight 0\n}}\n{}",
            global(extra),
            instance(
                "VI_1",
                80 + k as u8,
                100,
                &vip,
                "    advert_int 3\n    smtp_alert\n    track_file {\n        flag\n    }\n"
            )
        );
        confs.push((host, daemon, conf));
    }
    // Master_Down_Interval is 9 s and more: the flag flips while each is a backup.
    for (host, daemon, conf) in confs {
        start(&mut lab, host, daemon, &conf);
    }
    std::thread::sleep(Duration::from_millis(1000));
    for (host, _, _) in &hosts {
        lab.write(&format!("{host}.flag"), "1\n");
    }
    std::thread::sleep(Duration::from_millis(2000));
    for (host, _, _) in &hosts {
        lab.write(&format!("{host}.flag"), "0\n");
    }
    for (k, (host, _, _)) in hosts.iter().enumerate() {
        let vip = format!("10.4.2.{}", 100 + k);
        let took = wait_until(Duration::from_secs(15), || lab.holds(host, &vip));
        assert!(
            took.is_some(),
            "{host} never became master:\n{}",
            lab.log(host)
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    for (host, _, _) in &hosts {
        lab.signal(host, "TERM");
    }
    std::thread::sleep(Duration::from_millis(500));
    let got: Vec<Vec<String>> = files.iter().map(|f| mails(f)).collect();
    let subjects = |m: &[String]| -> Vec<String> {
        m.iter()
            .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")))
            .map(str::to_string)
            .collect()
    };
    for (k, (host, _, _)) in hosts.iter().enumerate() {
        let abandoned = got[k].iter().filter(|m| m.starts_with("[]")).count();
        let raw = std::fs::read_to_string(&files[k]).unwrap_or_default();
        let order: Vec<&str> = raw
            .split("Subject: ")
            .skip(1)
            .filter_map(|m| m.split("\\r\\n").next())
            .collect();
        eprintln!("{host}: {order:?} + {abandoned} abandoned");
    }
    assert!(
        subjects(&got[0])
            .iter()
            .any(|s| s.ends_with("Entering FAULT state")),
        "keepalived mailed no FAULT: {:?}",
        got[0]
    );
    assert!(
        !subjects(&got[2])
            .iter()
            .any(|s| s.ends_with("Entering FAULT state")),
        "keepalived mailed a FAULT despite no_email_faults: {:?}",
        got[2]
    );
    assert_eq!(
        got[1],
        with_keepalived_s_stopping(&got[0], &["Instance VI_1"]),
        "faults mailed"
    );
    assert_eq!(
        got[3],
        with_keepalived_s_stopping(&got[2], &["Instance VI_1"]),
        "no_email_faults"
    );
}

/// A reload that removes VI_2 (of VI_1 and VI_2, both master): keepalived mails VI_2 as
/// entering FAULT (its way without `notify_deleted`) and nothing for VI_1, which it keeps;
/// havipd mails the same.
#[test]
fn a_reload_that_removes_an_instance_mails_what_keepalived_mails() {
    let _one = one_at_a_time();
    let Some(mut lab) = Lab::new("mrl", &["keepalived", "python3", "ss"]) else {
        return;
    };
    let hosts = [("k", "keepalived"), ("h", "havipd")];
    let both = |k: usize| {
        let one = instance(
            "VI_1",
            90 + 2 * k as u8,
            100,
            &format!("10.4.3.{}", 100 + k),
            "    smtp_alert\n",
        );
        let two = instance(
            "VI_2",
            91 + 2 * k as u8,
            100,
            &format!("10.4.3.{}", 110 + k),
            "    smtp_alert\n",
        );
        (
            format!("{}{one}{two}", global("")),
            format!("{}{one}", global("")),
        )
    };
    let mut files = Vec::new();
    for (k, (host, _)) in hosts.iter().enumerate() {
        lab.host(host, &[&format!("10.4.3.{}/24", k + 1)]);
        files.push(receiver(&mut lab, host, "record"));
    }
    for (k, (host, daemon)) in hosts.iter().enumerate() {
        start(&mut lab, host, daemon, &both(k).0);
    }
    for (k, (host, _)) in hosts.iter().enumerate() {
        let vip = format!("10.4.3.{}", 110 + k);
        let took = wait_until(Duration::from_secs(10), || lab.holds(host, &vip));
        assert!(
            took.is_some(),
            "{host} never became master:\n{}",
            lab.log(host)
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    for (k, (host, _)) in hosts.iter().enumerate() {
        lab.write(&format!("{host}.conf"), &both(k).1);
        lab.reload(host);
    }
    for (k, (host, _)) in hosts.iter().enumerate() {
        let vip = format!("10.4.3.{}", 110 + k);
        let gone = wait_until(Duration::from_secs(5), || !lab.holds(host, &vip));
        assert!(gone.is_some(), "{host} kept VI_2:\n{}", lab.log(host));
    }
    std::thread::sleep(Duration::from_secs(1));
    for (host, _) in &hosts {
        lab.signal(host, "TERM");
    }
    std::thread::sleep(Duration::from_millis(500));
    let ka = mails(&files[0]);
    let ours = mails(&files[1]);
    assert!(
        ka.iter()
            .any(|m| m.contains("VRRP Instance VI_2 - Entering FAULT state")),
        "keepalived mailed no FAULT for the removed instance: {ka:?}"
    );
    assert_eq!(ours, with_keepalived_s_stopping(&ka, &["Instance VI_1"]));
}
