//! The TCP half of the probes: a small service on every server (port 8080, answers a request
//! line with the server's name) and a client that connects to the VIP, sends a request and
//! waits for the answer, every 50 ms. A request that fails or times out is lost.

use crate::netns;
use anyhow::Result;
use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The service port.
pub const PORT: u16 = 8080;
/// Time between requests.
pub const INTERVAL: Duration = Duration::from_millis(50);
/// Connect and answer time-out.
pub const TIMEOUT: Duration = Duration::from_millis(200);

/// One request's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Request {
    /// When it was sent (Unix seconds).
    pub time: f64,
    /// The server that answered, if one did.
    pub answered_by: Option<String>,
}

use hostsys::clock::unix_secs as now;

/// A running background thread with a stop flag.
pub struct Worker<T> {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<T>>>,
}

impl<T> Worker<T> {
    /// A worker for `thread`, which ends once `stop` is set.
    pub fn running(stop: Arc<AtomicBool>, thread: JoinHandle<Result<T>>) -> Self {
        Worker {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread and returns what it produced.
    pub fn stop(mut self) -> Option<T> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take()?.join().ok()?.ok()
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves on 0.0.0.0:8080 inside `ns`, answering with `name`.
pub fn serve(ns: &str, name: &str) -> Result<Worker<()>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let name = name.to_string();
    let thread = netns::spawn_in(ns, move || {
        let Ok(listener) = TcpListener::bind(("::", PORT)) else {
            return;
        };
        let _ = listener.set_nonblocking(true);
        while !flag.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(TIMEOUT));
                    let mut line = String::new();
                    let mut reader = BufReader::new(&stream);
                    if reader.read_line(&mut line).is_ok() {
                        let _ = (&stream).write_all(format!("{name}\n").as_bytes());
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    })?;
    Ok(Worker {
        stop,
        thread: Some(thread),
    })
}

/// One request to `vip`:8080 from inside `ns`: the name of the server that answered.
pub fn ask(ns: &str, vip: &str) -> Option<String> {
    let target = SocketAddr::new(vip.parse().ok()?, PORT);
    netns::spawn_in(ns, move || request(target))
        .ok()?
        .join()
        .ok()?
        .ok()?
}

fn request(target: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&target, TIMEOUT).ok()?;
    s.set_read_timeout(Some(TIMEOUT)).ok()?;
    s.write_all(b"who\n").ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    let name = line.trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// Sends requests to `vip`:8080 from inside `ns` until stopped.
pub fn probe(ns: &str, vip: &str) -> Result<Worker<Vec<Request>>> {
    let target = SocketAddr::new(vip.parse()?, PORT);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let out = Arc::new(Mutex::new(Vec::new()));
    let thread = netns::spawn_in(ns, move || {
        while !flag.load(Ordering::Relaxed) {
            let time = now();
            let answered_by = request(target);
            if let Ok(mut v) = out.lock() {
                v.push(Request { time, answered_by });
            }
            let spent = Duration::from_secs_f64((now() - time).max(0.0));
            std::thread::sleep(INTERVAL.saturating_sub(spent));
        }
        out.lock().map(|v| v.clone()).unwrap_or_default()
    })?;
    Ok(Worker {
        stop,
        thread: Some(thread),
    })
}
