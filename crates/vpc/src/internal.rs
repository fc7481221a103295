//! The data plane's routes, behind the shared secret (`Authorization: Bearer SECRET`, see
//! `internal_secret.rs`): `POST /internal/garp` reports a gratuitous ARP, `GET
//! /internal/state` returns the whole state with its binding history, and `GET
//! /internal/changes?epoch=E&after=V&wait_ms=N` is the data plane's push channel: a long poll
//! that answers as soon as the state is past version V (or after N ms, at most
//! [`MAX_WAIT_MS`]), with the changes since V or, when V is too old or of another epoch, the
//! whole state. `GET /internal/faults` shows the cloud's bad days switched on (`faults.rs`)
//! and `POST /internal/faults` (a JSON `Faults`) switches them for the rest of the run.

use crate::backend::GarpOutcome;
use crate::error::ApiError;
use crate::internal_secret;
use crate::model::GarpForm;
use crate::render::{Deny, state_json};
use crate::service::{Service, Update};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// The data plane's routes.
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/internal/garp", post(garp))
        .route("/internal/state", get(state))
        .route("/internal/changes", get(changes))
        .route("/internal/faults", get(faults).post(set_faults))
}

/// The longest a long poll waits for a change.
pub const MAX_WAIT_MS: u64 = 30_000;

/// Refuses a request without the secret.
fn authorized(service: &Service, headers: &HeaderMap) -> Result<(), Deny> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if internal_secret::authorizes(given, service.internal_secret()) {
        return Ok(());
    }
    warn!("internal request without the data plane's secret refused");
    Err(Deny::new(
        StatusCode::UNAUTHORIZED,
        "AuthFailure.UnauthorizedOperation",
        "/internal/ is the data plane's: show the internal secret (Authorization: Bearer)",
    ))
}

fn json_answer(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct GarpReport {
    network_interface_id: String,
    vip: String,
    #[serde(default)]
    form: GarpForm,
}

async fn garp(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    let report: GarpReport = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let why = format!("bad GARP report: {e}");
            return Err(Deny::new(StatusCode::BAD_REQUEST, "InvalidParameter", why));
        }
    };
    if !service.garp_delay.is_zero() {
        tokio::time::sleep(service.garp_delay).await;
    }
    let s = service.clone();
    let result = tokio::task::spawn_blocking(move || {
        s.garp_versioned(&report.network_interface_id, &report.vip, report.form)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(e)));
    Ok(json_answer(match result {
        Ok((GarpOutcome::Moved, version)) => json!({ "Moved": true, "Version": version }),
        Ok((GarpOutcome::Refused(why), _)) => json!({ "Moved": false, "Reason": why }),
        Err(e) => json!({ "Moved": false, "Reason": e.to_string() }),
    }))
}

async fn state(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    Ok(json_answer(state_json(&service.snapshot())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesQuery {
    #[serde(default)]
    epoch: String,
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

async fn changes(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    let Query(q) = query.map_err(|e| {
        let why = format!("bad /internal/changes query: {}", e.body_text());
        Deny::new(StatusCode::BAD_REQUEST, "InvalidParameter", why)
    })?;
    let mut versions = service.watch_versions();
    let current = *versions.borrow_and_update();
    if q.epoch == service.epoch() && q.after == current && q.wait_ms > 0 {
        let wait = Duration::from_millis(q.wait_ms.min(MAX_WAIT_MS));
        let _ = tokio::time::timeout(wait, versions.changed()).await;
    }
    let s = service.clone();
    let caught = tokio::task::spawn_blocking(move || s.catch_up(&q.epoch, q.after))
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r);
    let (version, update) = caught.map_err(|e| {
        let why = format!("state unreadable: {e:#}");
        Deny::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", why)
    })?;
    let mut body = json!({ "Epoch": service.epoch(), "Version": version });
    match update {
        Update::Changes(c) => body["Changes"] = json!(c),
        Update::State(cloud) => body["State"] = state_json(&cloud),
    }
    Ok(json_answer(body))
}

async fn faults(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    Ok(json_answer(json!(service.faults())))
}

async fn set_faults(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    let faults: crate::faults::Faults = serde_json::from_slice(&body).map_err(|e| {
        let why = format!("bad faults: {e}");
        Deny::new(StatusCode::BAD_REQUEST, "InvalidParameter", why)
    })?;
    service
        .set_faults(faults)
        .map_err(|why| Deny::new(StatusCode::BAD_REQUEST, "InvalidParameterValue", why))?;
    Ok(json_answer(json!(faults)))
}
