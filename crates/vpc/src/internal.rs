//! The data plane's routes, behind the shared secret (`Authorization: Bearer SECRET`, see
//! `internal_secret.rs`): `POST /internal/garp` reports a gratuitous ARP, `GET
//! /internal/state` returns the whole state with its binding history.

use crate::error::ApiError;
use crate::internal_secret;
use crate::server::{Deny, GarpOutcome, Service, state_json};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tracing::warn;

/// The data plane's routes.
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/internal/garp", post(garp))
        .route("/internal/state", get(state))
}

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
    #[serde(default = "request_form")]
    form: String,
}

fn request_form() -> String {
    "request".into()
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
        s.garp(&report.network_interface_id, &report.vip, &report.form)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(e)));
    Ok(json_answer(match result {
        Ok(GarpOutcome::Moved) => json!({ "Moved": true }),
        Ok(GarpOutcome::Refused(why)) => json!({ "Moved": false, "Reason": why }),
        Err(e) => json!({ "Moved": false, "Reason": e.to_string() }),
    }))
}

async fn state(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    authorized(&service, &headers)?;
    Ok(json_answer(state_json(&service.snapshot())))
}
