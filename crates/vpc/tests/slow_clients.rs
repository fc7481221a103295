//! Slow and many clients (issue 29, item 3): idle and byte-a-second connections are bounded
//! and cut at the header deadline, the signed API stays fast beside 2,000 of them, and
//! bodies without valid credentials are refused on their headers, before they are read.

mod common;

use common::{Api, ID, KEY};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use vpc::cloud::Quotas;
use vpc::listen::ConnectionLimits;
use vpc::service::Options;

fn start(limits: ConnectionLimits) -> Api {
    let options = Options {
        quotas: Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        },
        connections: limits,
        ..Options::default()
    };
    Api::start_with(Box::new(vpc::store::Memory), options)
}

/// Lets this process hold the clients' sockets and the server's.
fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    assert!(hard >= 5_000, "RLIMIT_NOFILE hard limit {hard} is too low");
}

/// Sockets the server holds: TCP sockets whose local port is the server's, not listening, that
/// a process still owns (a closed one has inode 0).
fn server_sockets(port: u16) -> usize {
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && f.get(3) != Some(&"0A") && f.get(9) != Some(&"0") {
                n += 1;
            }
        }
    }
    n
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn port_of(api: &Api) -> u16 {
    api.host
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port")
}

/// Whether the server closed `s` within `within` (EOF or reset).
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).expect("timeout");
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

/// Sends `head` and reads the whole answer (the server closes after it), within `within`.
fn answer_to(api: &Api, head: &str, within: Duration) -> Option<String> {
    let mut s = TcpStream::connect(&api.host).expect("connect");
    s.write_all(head.as_bytes()).expect("send headers");
    s.set_read_timeout(Some(within)).expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&out).contains("\"RequestId\"") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).to_string();
    text.contains("\"RequestId\"").then_some(text)
}

#[test]
fn two_thousand_idle_and_trickling_connections_leave_the_signed_api_fast_and_fds_bounded() {
    raise_fd_limit();
    let limits = ConnectionLimits::default();
    let api = start(limits);
    let port = port_of(&api);
    let fds_before = open_fds();
    let mut idle = Vec::new();
    for _ in 0..1_800 {
        idle.push(TcpStream::connect(&api.host).expect("idle connect"));
    }
    let mut trickling = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(&api.host).expect("trickle connect");
        s.write_all(b"P").expect("first byte");
        trickling.push(s);
    }
    // The trickle goes on (a byte a second each) while the API is measured.
    let head = b"OST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopper = stop.clone();
    let trickler = std::thread::spawn(move || {
        for i in 0..head.len() {
            if stopper.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            for s in &mut trickling {
                let _ = s.write_all(&head[i..=i]);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        trickling
    });
    std::thread::sleep(Duration::from_millis(1_500));
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let r = api.call("DescribeVpcs", serde_json::json!({}));
        latencies.push(t0.elapsed());
        assert!(r.get("Error").is_none(), "{r}");
    }
    let held = server_sockets(port);
    let fds = open_fds() - fds_before;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(trickler.join());
    latencies.sort();
    let worst = latencies[latencies.len() - 1];
    eprintln!(
        "2,000 connections opened; server holds {held} (cap {}); process fds +{fds} (2,000 of them the clients'); signed DescribeVpcs median {:?}, worst {worst:?}",
        limits.max_connections,
        latencies[latencies.len() / 2]
    );
    assert!(
        held <= limits.max_connections + 1,
        "the server holds {held} sockets, over its cap {}",
        limits.max_connections
    );
    assert!(
        worst < Duration::from_millis(100),
        "signed request took {worst:?}"
    );
    drop(idle);
}

#[test]
fn idle_and_byte_a_second_connections_are_cut_at_the_header_deadline() {
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(2),
        ..ConnectionLimits::default()
    };
    let api = start(limits);
    let mut idle = TcpStream::connect(&api.host).expect("connect");
    let mut trickle = TcpStream::connect(&api.host).expect("connect");
    let t0 = Instant::now();
    let writer = {
        let mut t = trickle.try_clone().expect("clone");
        std::thread::spawn(move || {
            for b in b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" {
                if t.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    assert!(
        closed_within(&mut trickle, Duration::from_secs(5)),
        "a byte-a-second header was still open after 5 s"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(1)),
        "an idle connection was still open"
    );
    let took = t0.elapsed();
    eprintln!("idle and trickling connections closed after {took:?} (header deadline 2 s)");
    assert!(
        took >= Duration::from_millis(1_900),
        "closed early: {took:?}"
    );
    writer.join().expect("writer");
}

#[test]
fn unsigned_large_bodies_are_refused_on_their_headers_before_they_are_read() {
    let api = start(ConnectionLimits::default());
    let post = |extra: &str| {
        format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-TC-Action: DescribeVpcs\r\n{extra}\r\n",
            api.host
        )
    };
    // 10 MB announced, not a byte of it sent: answered at once.
    let unsigned = post("Content-Length: 10000000\r\n");
    let answer = answer_to(&api, &unsigned, Duration::from_secs(2)).expect("unsigned answered");
    assert!(answer.contains("AuthFailure.SignatureFailure"), "{answer}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let stale = vpc::auth::sign_request(&api.host, "DescribeVpcs", b"{}", ID, KEY, now - 1_000);
    let auth_of = |h: &std::collections::BTreeMap<String, String>| {
        format!(
            "Authorization: {}\r\nX-TC-Timestamp: {}\r\nX-TC-Version: 2017-03-12\r\n",
            h["authorization"], h["x-tc-timestamp"]
        )
    };
    let unknown = vpc::auth::sign_request(&api.host, "DescribeVpcs", b"{}", "AKIDnobody", KEY, now);
    let head = post(&format!(
        "{}Content-Length: 10000000\r\n",
        auth_of(&unknown)
    ));
    let answer = answer_to(&api, &head, Duration::from_secs(2)).expect("unknown id answered");
    assert!(answer.contains("AuthFailure.SecretIdNotFound"), "{answer}");
    let head = post(&format!("{}Content-Length: 10000000\r\n", auth_of(&stale)));
    let answer = answer_to(&api, &head, Duration::from_secs(2)).expect("stale answered");
    assert!(answer.contains("AuthFailure.SignatureExpire"), "{answer}");
}

#[test]
fn when_every_connection_is_busy_a_new_one_is_refused_with_the_clouds_code() {
    let limits = ConnectionLimits {
        max_connections: 4,
        body_timeout: Duration::from_secs(3),
        ..ConnectionLimits::default()
    };
    let api = start(limits);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let h = vpc::auth::sign_request(&api.host, "DescribeVpcs", b"{}", ID, KEY, now);
    let head: String = h
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect::<String>();
    // Four signed requests whose bodies never come: each connection is busy.
    let mut busy = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(&api.host).expect("connect");
        s.write_all(format!("POST / HTTP/1.1\r\n{head}Content-Length: 2\r\n\r\n").as_bytes())
            .expect("send");
        busy.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    let answer = answer_to(&api, "", Duration::from_secs(2)).expect("refusal");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("RequestLimitExceeded"), "{answer}");
    // The body deadline answers the busy ones and frees their places.
    for s in &mut busy {
        let mut text = String::new();
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = s.read_to_string(&mut text);
        assert!(text.contains("not received within 3 s"), "{text}");
    }
    assert!(
        api.call("DescribeVpcs", serde_json::json!({}))
            .get("Error")
            .is_none()
    );
}
