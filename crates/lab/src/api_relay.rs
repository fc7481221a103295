//! The cloud's API as a server reaches it: `havip vpc serve` listens on the host's loopback,
//! and each server's namespace gets a listener on its own loopback at the same port whose
//! connections the lab carries to it. While the server is cut off (its cable out or its link
//! down) nothing passes, as on a real instance whose network is gone: data waits (TCP's own
//! retries would deliver it later) and new connections are accepted but not answered.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The most connections one server may have open through its relay.
const MAX_CONNECTIONS: usize = 64;

/// One server's way to the API.
pub struct Relay {
    reachable: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
}

impl Relay {
    /// Listens on 127.0.0.1:`port` inside namespace `ns` and carries each connection to
    /// 127.0.0.1:`port` of the lab's own namespace.
    pub fn start(ns: &str, port: u16) -> Result<Relay> {
        let listener = crate::netns::spawn_in(ns, move || TcpListener::bind(("127.0.0.1", port)))?
            .join()
            .map_err(|_| anyhow::anyhow!("the relay's listener thread panicked"))??
            .with_context(|| format!("listening on 127.0.0.1:{port} in {ns}"))?;
        listener
            .set_nonblocking(true)
            .context("relay listener non-blocking")?;
        let reachable = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Arc::new(AtomicU64::new(0));
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, s, e) = (reachable.clone(), stop.clone(), epoch.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    continue;
                }
                let _ = client.set_nonblocking(false);
                let gate = Gate {
                    reachable: r.clone(),
                    stop: s.clone(),
                    epoch: e.clone(),
                    born: e.load(Ordering::Relaxed),
                };
                let open = open.clone();
                open.fetch_add(1, Ordering::Relaxed);
                std::thread::spawn(move || {
                    let _ = carry(client, port, gate);
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
        });
        Ok(Relay {
            reachable,
            stop,
            epoch,
        })
    }

    /// Between runs: the connections held while the server was cut off (calls of a daemon
    /// that is gone now) are dropped, never delivered, and the server reaches the API again.
    pub fn reset(&self) {
        self.epoch.fetch_add(1, Ordering::Relaxed);
        self.reachable.store(true, Ordering::Relaxed);
    }

    /// Whether the server reaches the API (its cable in and its link up).
    pub fn set_reachable(&self, on: bool) {
        self.reachable.store(on, Ordering::Relaxed);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What lets a connection's bytes through: the server reaching the API, the relay running,
/// and no reset since the connection was accepted.
#[derive(Clone)]
struct Gate {
    reachable: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
    born: u64,
}

impl Gate {
    /// Waits while the server is cut off; false once the relay stops or was reset.
    fn open(&self) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) || self.epoch.load(Ordering::Relaxed) != self.born
            {
                return false;
            }
            if self.reachable.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Copies one connection both ways until either side closes; each chunk, either way, waits
/// while the server is cut off.
fn carry(client: TcpStream, port: u16, gate: Gate) -> Result<()> {
    if !gate.open() {
        return Ok(());
    }
    let upstream = TcpStream::connect(("127.0.0.1", port))?;
    let (c2, u2) = (client.try_clone()?, upstream.try_clone()?);
    let back_gate = gate.clone();
    let back = std::thread::spawn(move || pump(u2, c2, &back_gate));
    pump(client, upstream, &gate);
    let _ = back.join();
    Ok(())
}

fn pump(mut from: TcpStream, mut to: TcpStream, gate: &Gate) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !gate.open() || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
