//! `havip vpc serve`: the HTTP side. `POST /` is the cloud API (TC3-signed JSON, answered as
//! `{"Response": ...}`, `api.rs`); `/console` serves the web console behind a login
//! (`console.rs`); `/internal/*` is the data plane's, behind a shared secret (`internal.rs`).
//! Every request passes the Host check first and every answer carries the headers of
//! `guard.rs`. The routes call the [`Service`]; they hold no state of their own.

use crate::guard;
use crate::listen::{self, Transport};
use crate::render::Deny;
use crate::service::Service;
use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::sync::Arc;
use tracing::{info, warn};

/// Refuses a request for a name the server does not answer to; marks every answer.
async fn guard_layer(
    State(service): State<Arc<Service>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    let is_api = request.method() == Method::POST && request.uri().path() == "/";
    let hosts = &service.front.access.hosts;
    let checked = if is_api {
        hosts.check_api(host.as_deref())
    } else {
        hosts.check(host.as_deref())
    };
    let mut response = match checked {
        Ok(()) => next.run(request).await,
        Err(guard::Refused(why)) => Deny::new(
            StatusCode::FORBIDDEN,
            "AuthFailure.UnauthorizedOperation",
            why,
        )
        .into_response(),
    };
    guard::secure_headers(response.headers_mut());
    response
}

/// The largest body the console and the data plane may send.
const SMALL_BODY_BYTES: usize = 64 * 1024;

/// The HTTP routes.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/", post(crate::api::api_handler).get(crate::console::page))
        .merge(crate::console::routes())
        .merge(crate::internal::routes())
        .layer(DefaultBodyLimit::max(SMALL_BODY_BYTES))
        .layer(middleware::from_fn_with_state(service.clone(), guard_layer))
        .with_state(service)
}

/// Serves until the listener fails, under the service's connection limits.
pub async fn serve(listener: tokio::net::TcpListener, service: Arc<Service>) -> Result<()> {
    let addr = listener.local_addr()?;
    info!(%addr, "havip vpc serving");
    let limits = service.front.connections;
    if let Err(e) = listen::run(listener, router(service), limits, Transport::Plain).await {
        warn!(error = %e, "server stopped");
        return Err(e.into());
    }
    Ok(())
}

/// Serves over TLS until the listener fails, under the service's connection limits.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    service: Arc<Service>,
    config: Arc<rustls::ServerConfig>,
) -> Result<()> {
    let addr = listener.local_addr()?;
    info!(%addr, "havip vpc serving over TLS");
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let limits = service.front.connections;
    listen::run(listener, router(service), limits, Transport::Tls(config))
        .await
        .context("TLS server stopped")
}

/// Serves `service` on a free loopback port from a runtime of its own (tests, benchmarks,
/// embedding); returns `host:port` and the runtime, which serves until dropped.
pub fn serve_in_background(service: Arc<Service>) -> Result<(String, tokio::runtime::Runtime)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let host = listener.local_addr()?.to_string();
    rt.spawn(async move { serve(listener, service).await });
    Ok((host, rt))
}
