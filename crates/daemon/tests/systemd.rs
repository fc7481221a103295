//! systemd's notify protocol, with a `NOTIFY_SOCKET` listener standing in for systemd: READY
//! only after the instances are started, RELOADING then READY around a reload, the watchdog
//! pinged at half `WATCHDOG_USEC`, STOPPING at shutdown. And the unit's shape.

mod common;
use common::{Lab, instance, wait_until};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

fn messages(sock: &UnixDatagram, within: Duration) -> Vec<(Instant, String)> {
    let mut out = Vec::new();
    let end = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        if let Ok(n) = sock.recv(&mut buf) {
            out.push((
                Instant::now(),
                String::from_utf8_lossy(&buf[..n]).to_string(),
            ));
        }
    }
    out
}

#[test]
fn notify_ready_reload_watchdog_and_stopping() {
    let Some(mut lab) = Lab::new("sdn", &[]) else {
        return;
    };
    lab.host("a", &["10.9.0.1/24"]);
    let listener = lab.dir.join("notify.sock");
    let sock = UnixDatagram::bind(&listener).expect("bind NOTIFY_SOCKET");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let conf = lab.write("a.conf", &instance("VI_1", 7, 100, "10.9.0.100", ""));
    let state = lab.dir.join("a");
    let script = format!(
        "export NOTIFY_SOCKET={} WATCHDOG_USEC=400000 WATCHDOG_PID=$$; exec {} -n -l -f {conf} --state-dir {}",
        listener.display(),
        env!("CARGO_BIN_EXE_havipd"),
        state.display()
    );
    lab.spawn("a", "a", &["sh", "-c", &script]);

    let first = messages(&sock, Duration::from_millis(1500));
    let ready = first
        .iter()
        .position(|(_, m)| m.contains("READY=1"))
        .unwrap_or_else(|| panic!("no READY=1: {first:?}\n{}", lab.log("a")));
    assert!(first[ready].1.contains("STATUS=1 VRRP instance(s) running"));
    assert!(
        std::fs::read_to_string(state.join("transitions.jsonl"))
            .is_ok_and(|t| t.contains("BACKUP")),
        "READY before the instance started"
    );
    let pings: Vec<Instant> = first
        .iter()
        .filter(|(_, m)| m.contains("WATCHDOG=1"))
        .map(|(t, _)| *t)
        .collect();
    // Every 200 ms (half of 400 ms) for about 1.5 s.
    assert!((5..=9).contains(&pings.len()), "{first:?}");
    for w in pings.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap > Duration::from_millis(150) && gap < Duration::from_millis(300),
            "{gap:?}"
        );
    }

    lab.kill("a", "HUP");
    let around = messages(&sock, Duration::from_millis(800));
    let reloading = around.iter().position(|(_, m)| m.contains("RELOADING=1"));
    let ready_again = around.iter().rposition(|(_, m)| m.contains("READY=1"));
    assert!(
        matches!((reloading, ready_again), (Some(r), Some(a)) if r < a),
        "{around:?}"
    );
    assert!(around[reloading.unwrap_or(0)].1.contains("MONOTONIC_USEC="));

    lab.kill("a", "TERM");
    let last = messages(&sock, Duration::from_millis(800));
    assert!(
        last.iter().any(|(_, m)| m.contains("STOPPING=1")),
        "{last:?}"
    );
    assert!(wait_until(Duration::from_secs(3), || !lab.running("a")).is_some());
}

#[test]
fn the_unit_is_shaped_like_debians_keepalived_service() {
    let unit = include_str!("../havipd.service");
    for line in [
        "Type=notify",
        "After=network-online.target",
        "Wants=network-online.target",
        "EnvironmentFile=-/etc/default/havipd",
        "ExecStart=/usr/sbin/havipd --dont-fork $DAEMON_ARGS",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "WatchdogSec=",
        "ConditionFileNotEmpty=/etc/keepalived/keepalived.conf",
    ] {
        assert!(unit.lines().any(|l| l.starts_with(line)), "missing {line}");
    }
    let defaults = include_str!("../havipd.default");
    assert!(defaults.lines().any(|l| l == "DAEMON_ARGS=\"\""));
}
