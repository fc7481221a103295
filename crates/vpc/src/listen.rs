//! The accept loop of `havip vpc serve`: HTTP/1.1 connections (plain or TLS) with a deadline
//! for each request's headers (hyper's `header_read_timeout`, which also ends a keep-alive
//! connection idle that long) and a cap on the connections held. At the cap, a new connection
//! takes the place of the oldest one that has no request in progress (a connection sending
//! nothing, or headers a byte at a time, is the cheapest to drop); when every connection is
//! busy, the new one is answered `503` with the cloud's `RequestLimitExceeded` and closed.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use futures::StreamExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;
use tracing::{debug, info, warn};

/// How many connections, and for how long each may take to send a request's headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections held at most.
    pub max_connections: usize,
    /// How long a request's headers (and a TLS handshake) may take; also the longest a
    /// keep-alive connection stays idle.
    pub header_timeout: Duration,
    /// How long a signed request's body may take once its headers are in.
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// 512 connections, 10 s for headers, 30 s for a body.
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// One connection held: its number (older is smaller), requests in progress, and how to close it.
struct Held {
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

/// The connections held, by number.
#[derive(Default)]
struct Table {
    next: u64,
    held: BTreeMap<u64, Held>,
}

impl Table {
    /// Makes room for a new connection under `max`: closes the oldest idle one when full.
    /// `None` when every connection is busy.
    fn admit(&mut self, max: usize) -> Option<(u64, Arc<AtomicUsize>, Arc<Notify>)> {
        if self.held.len() >= max.max(1) {
            let idle = self
                .held
                .iter()
                .find(|(_, h)| h.busy.load(Ordering::Acquire) == 0)
                .map(|(id, _)| *id)?;
            if let Some(h) = self.held.remove(&idle) {
                h.close.notify_one();
            }
        }
        let id = self.next;
        self.next += 1;
        let held = Held {
            busy: Arc::new(AtomicUsize::new(0)),
            close: Arc::new(Notify::new()),
        };
        let out = (id, held.busy.clone(), held.close.clone());
        self.held.insert(id, held);
        Some(out)
    }
}

/// Counts a request in progress until dropped (with the answer's body, so a live stream counts).
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Busy(count.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The answer to a connection over the cap.
fn refusal(max: usize) -> String {
    let body = serde_json::json!({"Response": {"Error": {
        "Code": "RequestLimitExceeded",
        "Message": format!("the server holds {max} connections with requests in progress, the most it may; retry later"),
    }, "RequestId": crate::ids::request_id()}})
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Serves one connection with `app` until it ends, times out or is closed to make room.
async fn serve_one<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    busy: Arc<AtomicUsize>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let guard = Busy::start(&busy);
        req.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(req.map(Body::new)).await?;
            // The request counts until its answer's body is sent.
            Ok::<_, std::convert::Infallible>(response.map(|b| {
                Body::from_stream(b.into_data_stream().map(move |chunk| {
                    let _ = &guard;
                    chunk
                }))
            }))
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    if let Err(e) = http.serve_connection(TokioIo::new(io), service).await {
        debug!(error = %e, "connection ended");
    }
}

/// What turns an accepted TCP stream into the stream HTTP is read from (TLS or not).
pub enum Transport {
    /// Plain HTTP.
    Plain,
    /// TLS with this configuration.
    Tls(Arc<rustls::ServerConfig>),
}

/// Accepts on `listener` and serves `app` under `limits` until the listener fails.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    transport: Transport,
) -> std::io::Result<()> {
    let table = Arc::new(Mutex::new(Table::default()));
    let tls = match &transport {
        Transport::Plain => None,
        Transport::Tls(config) => Some(tokio_rustls::TlsAcceptor::from(config.clone())),
    };
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if is_transient(&e) => {
                // Out of descriptors or a connection reset before it was taken: wait, go on.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let admitted = table
            .lock()
            .map_err(|_| std::io::Error::other("connection table lock poisoned"))?
            .admit(limits.max_connections);
        let Some((id, busy, close)) = admitted else {
            let answer = refusal(limits.max_connections);
            tokio::spawn(async move {
                let write = stream.write_all(answer.as_bytes());
                let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
            });
            continue;
        };
        let (app, table, tls) = (app.clone(), table.clone(), tls.clone());
        tokio::spawn(async move {
            let serve = async move {
                match tls {
                    None => serve_one(stream, peer, app, limits, busy).await,
                    Some(acceptor) => {
                        let handshake = acceptor.accept(stream);
                        match tokio::time::timeout(limits.header_timeout, handshake).await {
                            Ok(Ok(tls)) => serve_one(tls, peer, app, limits, busy).await,
                            Ok(Err(e)) => info!(error = %e, "TLS handshake failed"),
                            Err(_) => info!("TLS handshake timed out"),
                        }
                    }
                }
            };
            tokio::select! {
                () = serve => {}
                () = close.notified() => info!("idle connection closed to make room"),
            }
            if let Ok(mut t) = table.lock() {
                t.held.remove(&id);
            }
        });
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ECONNABORTED)
    ) || e.kind() == std::io::ErrorKind::ConnectionAborted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room_and_busy_ones_are_kept() {
        let mut t = Table::default();
        let (a, busy_a, _) = t.admit(2).expect("first");
        let (b, _, close_b) = t.admit(2).expect("second");
        busy_a.fetch_add(1, Ordering::AcqRel);
        // Full: b is the oldest idle one.
        let (c, busy_c, _) = t.admit(2).expect("third takes b's place");
        assert!(t.held.contains_key(&a) && t.held.contains_key(&c));
        assert!(!t.held.contains_key(&b));
        // b's task is told to close (a permit is stored for it).
        futures::executor::block_on(close_b.notified());
        // Every connection busy: refused.
        busy_c.fetch_add(1, Ordering::AcqRel);
        assert!(t.admit(2).is_none());
        assert_eq!(t.held.len(), 2);
    }
}
