//! The control socket against a running havipd in namespaces: status and events from the
//! daemon itself, reload, send-garp, maintenance (make-before-break), and the socket's guards.

mod common;
use common::{Lab, seed, wait_until};
use ctl::{Client, Reply, Request, Status};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VIP: &str = "172.16.16.12";

fn socket(state: &Path) -> PathBuf {
    state.join(ctl::SOCKET_NAME)
}

fn status(state: &Path) -> Status {
    match Client::one(&socket(state), &Request::Status).expect("status") {
        Reply::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    }
}

fn done(state: &Path, request: Request) -> String {
    match Client::one(&socket(state), &request).expect("reply") {
        Reply::Done { message } => message,
        other => panic!("{request:?} not done: {other:?}"),
    }
}

/// The seed pair (a: priority 100, b: 50, nopreempt) with a client; a is master.
fn seed_pair(tag: &str) -> Option<(Lab, PathBuf, PathBuf)> {
    let mut lab = Lab::new(tag, &[])?;
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.host("c", &["172.16.16.100/24"]);
    let a = lab.havipd("a", "a", &seed("en-primary.conf"));
    std::thread::sleep(Duration::from_millis(500));
    let b = lab.havipd("b", "b", &seed("en-secondary.conf"));
    assert!(
        wait_until(Duration::from_secs(8), || lab.holds("a", VIP)).is_some(),
        "primary never took the VIP:\n{}",
        lab.log("a")
    );
    assert!(
        wait_until(Duration::from_secs(3), || socket(&b).exists()).is_some(),
        "no control socket"
    );
    std::thread::sleep(Duration::from_millis(1200));
    Some((lab, a, b))
}

#[test]
fn status_and_events_come_from_the_running_daemon() {
    let Some((lab, a, b)) = seed_pair("sts") else {
        return;
    };
    let sa = status(&a);
    assert_eq!(sa.instances.len(), 1);
    let ia = &sa.instances[0];
    assert_eq!((ia.name.as_str(), ia.state.as_str()), ("VI_1", "MASTER"));
    assert_eq!(ia.vips.len(), 1);
    assert!(ia.vips[0].present && ia.vips[0].expected, "{:?}", ia.vips);
    assert_eq!(ia.vips[0].address, "172.16.16.12/32");
    assert_eq!(
        ia.trackers
            .iter()
            .map(|t| t.kind.as_str())
            .collect::<Vec<_>>(),
        Vec::<&str>::new(),
        "the seed's track_interface names its own interface, which keepalived drops (its own \
         link is followed anyway), and its vrrp_script is commented out"
    );
    assert!(ia.counters["advert_sent"] >= 2, "{:?}", ia.counters);

    let ib = &status(&b).instances[0];
    assert_eq!(ib.state, "BACKUP");
    let m = ib.master.as_ref().expect("master seen");
    assert_eq!((m.address.as_str(), m.priority), ("172.16.16.5", 100));
    assert_eq!(ib.effective_priority, 50);
    // v2, 1 s, priority 50: skew 206/256 s, Master_Down_Interval 3 s + skew.
    assert!((ib.skew_ms - 804.6875).abs() < 1e-3, "{}", ib.skew_ms);
    assert!((ib.master_down_interval_ms - 3804.6875).abs() < 1e-3);
    assert!(ib.since_last_advert_ms.expect("adverts seen") < 1500.0);
    assert!(!ib.vips[0].present && !ib.vips[0].expected);

    // History: a's election. Follow: b's takeover streams as it happens.
    let history: Vec<Reply> = {
        let mut c = Client::send(&socket(&a), &Request::Events { follow: false }).expect("events");
        std::iter::from_fn(|| c.next_reply())
            .map(|r| r.expect("reply"))
            .collect()
    };
    assert!(
        history
            .iter()
            .any(|r| matches!(r, Reply::Event(e) if e.to == "MASTER")),
        "{history:?}"
    );
    let mut follow = Client::send(&socket(&b), &Request::Events { follow: true }).expect("follow");
    let cut = Instant::now();
    lab.cable("a", false);
    let took_over = loop {
        match follow.next_reply() {
            Some(Ok(Reply::Event(e))) if e.to == "MASTER" => break e,
            Some(Ok(_)) => {}
            other => panic!("stream ended: {other:?}"),
        }
    };
    assert!(cut.elapsed() < Duration::from_secs(6));
    assert_eq!(took_over.instance, "VI_1");
    assert!(
        took_over.reason.starts_with("no advert for"),
        "{took_over:?}"
    );
    let last = status(&b).instances[0]
        .last_transition
        .clone()
        .expect("recorded");
    assert_eq!(last, took_over);
}

/// Samples who holds the VIP every few ms until `until` is true or 10 s pass.
fn watch_holders(lab: &Lab, mut until: impl FnMut(bool, bool) -> bool) -> Vec<(bool, bool)> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let h = (lab.holds("a", VIP), lab.holds("b", VIP));
        seen.push(h);
        if until(h.0, h.1) {
            break;
        }
    }
    seen
}

#[test]
fn maintenance_hands_over_before_it_lets_go() {
    let Some((lab, a, b)) = seed_pair("mnt") else {
        return;
    };
    let said = done(
        &a,
        Request::Maintenance {
            on: true,
            instance: None,
        },
    );
    assert!(said.contains("handing over"), "{said}");
    let seen = watch_holders(&lab, |ha, hb| hb && !ha);
    assert_eq!(seen.last(), Some(&(false, true)), "b never took over alone");
    // Make before break: from the request until b holds alone, someone always holds it, and
    // b got it while a still had it.
    assert!(seen.iter().all(|&(ha, hb)| ha || hb), "a gap: {seen:?}");
    assert!(seen.contains(&(true, true)), "no overlap seen: {seen:?}");
    let ia = &status(&a).instances[0];
    assert!(ia.maintenance && !ia.handing_over, "{ia:?}");
    assert_eq!((ia.state.as_str(), ia.effective_priority), ("BACKUP", 1));
    assert_eq!(ia.wanted_state, "BACKUP");
    assert_eq!(status(&b).instances[0].state, "MASTER");
    let reasons = common::transitions_of(&a, "VI_1");
    assert!(
        reasons
            .iter()
            .any(|(f, t, r)| f == "MASTER" && t == "BACKUP" && r.contains("maintenance")),
        "{reasons:?}"
    );
    // Off: the priority is back; the seed is nopreempt, so b stays master.
    let said = done(
        &a,
        Request::Maintenance {
            on: false,
            instance: Some("VI_1".into()),
        },
    );
    assert!(said.contains("priority restored"), "{said}");
    assert_eq!(status(&a).instances[0].effective_priority, 100);
    std::thread::sleep(Duration::from_secs(5));
    assert!(lab.holds("b", VIP) && !lab.holds("a", VIP));
}

#[test]
fn reload_and_send_garp_answer_with_their_outcome() {
    let Some((lab, a, b)) = seed_pair("rld") else {
        return;
    };
    // An invalid file: refused, with the diagnostic's place; the running config is kept.
    let conf = lab.dir.join("a.conf");
    let good = std::fs::read_to_string(&conf).expect("config");
    std::fs::write(&conf, good.replacen("interface eth0", "interface eth9", 1)).expect("write");
    let Reply::Reload(out) = Client::one(&socket(&a), &Request::Reload).expect("reload") else {
        panic!("not a reload outcome")
    };
    assert!(!out.applied, "{out:?}");
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.contains("a.conf:24:") && d.contains("eth9")),
        "{:?}",
        out.diagnostics
    );
    assert!(lab.holds("a", VIP));
    std::fs::write(&conf, &good).expect("write");
    let Reply::Reload(out) = Client::one(&socket(&a), &Request::Reload).expect("reload") else {
        panic!("not a reload outcome")
    };
    assert!(
        out.applied && out.message.contains("1 kept untouched"),
        "{out:?}"
    );

    // send-garp: refused on a backup, and on the master it re-points a stale neighbour entry.
    let refused = Client::one(
        &socket(&b),
        &Request::SendGarp {
            instance: "VI_1".into(),
        },
    )
    .expect("reply");
    assert!(matches!(&refused, Reply::Error { message } if message.contains("not MASTER")));
    lab.sh_in(
        "c",
        &format!("ip neigh replace {VIP} lladdr 02:00:00:00:00:99 dev eth0 nud stale"),
    );
    done(
        &a,
        Request::SendGarp {
            instance: "VI_1".into(),
        },
    );
    let mac_a = lab.sh_in("a", "cat /sys/class/net/eth0/address");
    assert!(
        wait_until(Duration::from_secs(2), || lab
            .sh_in("c", &format!("ip neigh show {VIP}"))
            .contains(mac_a.trim()))
        .is_some(),
        "the client's entry still points elsewhere: {}",
        lab.sh_in("c", &format!("ip neigh show {VIP}"))
    );
    let unknown = Client::one(
        &socket(&a),
        &Request::SendGarp {
            instance: "VI_9".into(),
        },
    )
    .expect("reply");
    assert!(matches!(&unknown, Reply::Error { message } if message.contains("VI_1")));
}

/// Sends `bytes` (then closes our side if `close`) and reads what comes back.
fn raw_with(path: &Path, bytes: &[u8], close: bool) -> String {
    let mut s = UnixStream::connect(path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = s.write_all(bytes);
    if close {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn raw(path: &Path, bytes: &[u8]) -> String {
    raw_with(path, bytes, true)
}

fn as_nobody(path: &Path) -> std::process::Output {
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c"])
        .arg(format!(
            "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect({:?})\nexcept OSError as e:\n print('connect:', e); sys.exit(0)\ntry:\n s.sendall(b'{{\"cmd\":\"status\"}}\\n')\nexcept OSError:\n pass\nprint(s.recv(4096).decode())",
            path.display().to_string()
        ))
        .output()
        .expect("setpriv")
}

#[test]
fn the_socket_refuses_strangers_and_bounds_what_it_reads() {
    let Some((lab, a, _b)) = seed_pair("sck") else {
        return;
    };
    let path = socket(&a);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&path).expect("socket").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let out = as_nobody(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("connect: [Errno 13]"), "{text} {out:?}");
    // Even with the file opened up, the daemon checks who calls.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .expect("chmod");
    let out = as_nobody(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("permission denied"), "{text} {out:?}");
    assert!(!text.contains("instances"), "{text}");

    assert!(raw(&path, &[b'x'; 5000]).contains("longer than 4096"));
    assert!(raw(&path, b"{\"cmd\":\"reboot\"}\n").contains("bad request"));
    assert!(raw(&path, b"{\"cmd\":\"status\"}").contains("not terminated"));
    // Idle clients: the daemon serves 16 at once, refuses more, and keeps advertising.
    let idle: Vec<UnixStream> = (0..16)
        .map(|_| UnixStream::connect(&path).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    assert!(raw(&path, b"{\"cmd\":\"status\"}\n").contains("too many"));
    drop(idle);
    assert!(lab.holds("a", VIP) && !lab.holds("b", VIP));
    // A silent client is dropped after the read time-out, and the daemon still answers.
    let started = Instant::now();
    let silent = raw_with(&path, b"", false);
    assert!(silent.contains("no request within"), "{silent}");
    assert!(started.elapsed() >= Duration::from_secs(4));
    assert_eq!(status(&a).instances[0].state, "MASTER");
}
