//! The metrics listener: `GET /metrics`, answered from a snapshot the event loop renders, and
//! the probes `GET /healthz` and `GET /ready` ([`super::probes`]), answered by the loop too.
//!
//! Guards: a non-loopback address needs a bearer token (`--metrics-token-file`), compared in
//! constant time; requests naming a host that is not an IP address or `localhost` (DNS
//! rebinding) or carrying an `Origin` (a web page) are refused; at most [`MAX_IN_FLIGHT`]
//! scrapes are handled at once and a busy loop answers 503 instead of queueing.
//!
//! Clients are bounded: the listener runs on a thread of its own (ordinary scheduling, its own
//! runtime), so no client can take the VRRP loop's time; at most [`MAX_CONNECTIONS`] are
//! open at once (the others wait in the kernel's listen queue, unaccepted), a request's headers must arrive within [`HEADER_WITHIN`] and a connection
//! lasts [`CONNECTION_AT_MOST`] at most, so idle or byte-a-second clients cannot hold them.

use super::guard::{Guard, check, read_token, refuse};
use super::requests::Scrape;
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

/// Scrapes handled at once.
pub const MAX_IN_FLIGHT: usize = 4;
/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 32;
/// How long a request's headers may take to arrive.
pub const HEADER_WITHIN: Duration = Duration::from_secs(5);
/// How long a connection may stay open (keep-alive included).
pub const CONNECTION_AT_MOST: Duration = Duration::from_secs(30);

/// The running listener, on its own thread; stops when dropped.
pub struct MetricsServer {
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts listening on `addr`; scrapes arrive on the returned receiver.
pub async fn serve(
    addr: SocketAddr,
    token_file: Option<&Path>,
) -> Result<(MetricsServer, mpsc::Receiver<Scrape>)> {
    let token = token_file.map(read_token).transpose()?;
    if !addr.ip().is_loopback() && token.is_none() {
        bail!(
            "--metrics-listen {addr} is not a loopback address: give --metrics-token-file so that only your Prometheus can read the metrics"
        );
    }
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("--metrics-listen {addr}"))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(MAX_IN_FLIGHT);
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(super::probes::healthz))
        .route("/ready", get(super::probes::ready))
        .with_state(Guard { token, scrapes: tx })
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT));
    let (stop, stopped) = oneshot::channel();
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || listen(listener, app, stopped))
        .context("metrics listener thread")?;
    info!(%addr, "metrics on http://{addr}/metrics");
    Ok((MetricsServer { stop: Some(stop) }, rx))
}

/// The listener's thread: ordinary scheduling and a runtime of its own, until `stopped`.
fn listen(listener: std::net::TcpListener, app: Router, stopped: oneshot::Receiver<()>) {
    // Threads inherit the creator's scheduling; the loop's real-time one is not for this.
    if let Err(e) = crate::sys::schedule_this_thread_normally() {
        warn!(error = %e, "metrics listener: could not leave real-time scheduling");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return warn!(error = %e, "metrics listener: no runtime"),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => return warn!(error = %e, "metrics listener: cannot listen"),
        };
        tokio::select! {
            _ = accept(listener, app) => {}
            _ = stopped => {}
        }
    });
}

/// Serves each connection with HTTP/1.1 only. `axum::serve`'s automatic builder also links
/// hyper's HTTP/2 server whenever another crate of the build enables it (`havip`'s do): a
/// third of a MiB of code, resident in every havipd, for a scrape endpoint.
async fn accept(listener: tokio::net::TcpListener, app: Router) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        // At the cap, nothing is accepted until a connection ends: the others wait in the
        // kernel's queue (its backlog, then SYN retries), costing havipd no descriptor and
        // no work.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                warn!(error = %e, "metrics listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_WITHIN)
                .serve_connection(io, service);
            match tokio::time::timeout(CONNECTION_AT_MOST, conn).await {
                Ok(Err(e)) => tracing::debug!(error = %e, "metrics connection ended"),
                Err(_) => tracing::debug!("metrics connection closed: open too long"),
                Ok(Ok(())) => {}
            }
            drop(slot);
        });
    }
}

async fn metrics(State(guard): State<Guard>, headers: HeaderMap) -> Response {
    if let Some(refused) = check(&guard, &headers) {
        return refused;
    }
    let (tx, rx) = oneshot::channel();
    if guard.scrapes.try_send(Scrape::Metrics(tx)).is_err() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "busy; scrape again");
    }
    match tokio::time::timeout(Duration::from_secs(10), rx).await {
        Ok(Ok(text)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        _ => refuse(StatusCode::SERVICE_UNAVAILABLE, "havipd did not answer"),
    }
}
