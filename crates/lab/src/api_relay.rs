//! The cloud's API as a server reaches it: `havip vpc serve` listens on the host's loopback,
//! and each server's namespace gets a listener on its own loopback at the same port whose
//! connections the lab carries to it. While the server is cut off (its cable out or its link
//! down) nothing passes, as on a real instance whose network is gone: data waits (TCP's own
//! retries would deliver it later) and new connections are accepted but not answered.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The most connections one server may have open through its relay.
const MAX_CONNECTIONS: usize = 64;

/// One server's way to the API.
pub struct Relay {
    reachable: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
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
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, s) = (reachable.clone(), stop.clone());
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
                let (r, s, open) = (r.clone(), s.clone(), open.clone());
                open.fetch_add(1, Ordering::Relaxed);
                std::thread::spawn(move || {
                    let _ = carry(client, port, &r, &s);
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
        });
        Ok(Relay { reachable, stop })
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

/// Waits while the server is cut off; false once the relay stops.
fn wait_reachable(reachable: &AtomicBool, stop: &AtomicBool) -> bool {
    while !reachable.load(Ordering::Relaxed) {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    !stop.load(Ordering::Relaxed)
}

/// Copies one connection both ways until either side closes; each chunk, either way, waits
/// while the server is cut off.
fn carry(
    client: TcpStream,
    port: u16,
    reachable: &Arc<AtomicBool>,
    stop: &Arc<AtomicBool>,
) -> Result<()> {
    if !wait_reachable(reachable, stop) {
        return Ok(());
    }
    let upstream = TcpStream::connect(("127.0.0.1", port))?;
    let (c2, u2) = (client.try_clone()?, upstream.try_clone()?);
    let (r2, s2) = (reachable.clone(), stop.clone());
    let back = std::thread::spawn(move || pump(u2, c2, &r2, &s2));
    pump(client, upstream, reachable, stop);
    let _ = back.join();
    Ok(())
}

fn pump(mut from: TcpStream, mut to: TcpStream, reachable: &AtomicBool, stop: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !wait_reachable(reachable, stop) || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
