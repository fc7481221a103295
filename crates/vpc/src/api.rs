//! `POST /`: the cloud API. The headers are checked first (Authorization, timestamp, SecretId:
//! `auth::precheck`), so a request without valid credentials is answered before its body is
//! read; then the body is read within the body deadline, the signature verified and
//! the action run.

use crate::actions;
use crate::auth::{self, SignedRequest};
use crate::credentials::TemporaryKey;
use crate::error::ApiError;
use crate::ids::request_id;
use crate::limits;
use crate::render::api_response;
use crate::service::Service;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::info;

/// Headers by lowercase name (values that are not text are left out).
pub(crate) fn headers_map(h: &HeaderMap) -> BTreeMap<String, String> {
    h.iter()
        .filter_map(|(k, v)| Some((k.as_str().to_lowercase(), v.to_str().ok()?.to_string())))
        .collect()
}

/// What the headers alone refuse: a request without valid credentials (no or a malformed
/// Authorization, a stale timestamp, an unknown SecretId). A request with a known SecretId has
/// its body read, up to the cloud's limit, so its client reads the answer, whatever it is.
fn refuse_before_body(service: &Service, headers: &HeaderMap) -> Result<(), ApiError> {
    let h = headers_map(headers);
    let temporary = temporary_key(service, &h)?;
    auth::precheck(&h, unix_now_s(), |id| secret_of(service, &temporary, id)).map(|_| ())
}

/// The temporary key (from the metadata service) the request is signed with, if it is: then
/// unexpired and with its token in `X-TC-Token`, or refused.
fn temporary_key(
    service: &Service,
    h: &BTreeMap<String, String>,
) -> Result<Option<TemporaryKey>, ApiError> {
    let Some(Ok(a)) = h.get("authorization").map(|v| auth::parse_authorization(v)) else {
        // `precheck` names what is wrong with it.
        return Ok(None);
    };
    let keys = (service.front.temporary.lock())
        .map_err(|_| ApiError::internal("temporary keys lock poisoned"))?;
    let token = h.get("x-tc-token").map(String::as_str);
    Ok(keys.check(&a.secret_id, token, unix_now_s())?.cloned())
}

/// The SecretKey of `id`: a key of the keys file, or the request's temporary key.
fn secret_of(service: &Service, temporary: &Option<TemporaryKey>, id: &str) -> Option<String> {
    match temporary {
        Some(t) if t.secret_id == id => Some(t.secret_key.clone()),
        _ => service.front.keys.get(id).cloned(),
    }
}

/// Checks, authenticates and runs one API request.
fn api(
    service: &Service,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
) -> Result<Value, ApiError> {
    let h = headers_map(headers);
    let req = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &h,
        body,
    };
    let temporary = temporary_key(service, &h)?;
    let secret_id = auth::verify(&req, unix_now_s(), |id| secret_of(service, &temporary, id))?;
    let account = match &temporary {
        Some(t) => t.account.clone(),
        None => service.account_of(&secret_id).to_string(),
    };
    let action = h
        .get("x-tc-action")
        .ok_or_else(|| ApiError::missing("X-TC-Action"))?;
    refuse_replay(service, &h, &secret_id, action)?;
    // Unknown actions are refused by dispatch; counting only known ones bounds the limiter.
    let limit = service.front.requests_per_second;
    if let Some(known) = actions::Action::from_word(action) {
        service
            .front
            .limiter
            .lock()
            .map_err(|_| ApiError::internal("limiter lock poisoned"))?
            .admit(&secret_id, known.as_str(), limit, std::time::Instant::now())?;
    }
    match h.get("x-tc-version").map(String::as_str) {
        Some("2017-03-12") => {}
        Some(v) => {
            return Err(ApiError::new(
                "NoSuchVersion",
                format!("version `{v}` of vpc does not exist here; use 2017-03-12"),
            ));
        }
        None => return Err(ApiError::missing("X-TC-Version")),
    }
    if !h
        .get("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Err(ApiError::new(
            "InvalidParameter",
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    let value: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                "InvalidParameter",
                format!("the body is not valid JSON: {e}"),
            )
        })?
    };
    service.faults().refuse()?;
    service.call_as(Some(&account), action, &value, request_id)
}

/// Refuses a signature already used for another action, or for this write.
fn refuse_replay(
    service: &Service,
    h: &BTreeMap<String, String>,
    secret_id: &str,
    action: &str,
) -> Result<(), ApiError> {
    let signature = h
        .get("authorization")
        .map(|a| auth::parse_authorization(a))
        .transpose()?
        .map(|a| a.signature)
        .unwrap_or_default();
    let timestamp = h
        .get("x-tc-timestamp")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or_default();
    service
        .front
        .replays
        .lock()
        .map_err(|_| ApiError::internal("replay cache lock poisoned"))?
        .admit(
            secret_id,
            &signature.to_ascii_lowercase(),
            action,
            actions::is_read_only(action),
            timestamp,
            unix_now_ms(),
        )
}

fn unix_now_s() -> i64 {
    crate::cloud::unix_now() as i64
}

fn unix_now_ms() -> i64 {
    hostsys::clock::since_epoch().as_millis() as i64
}

/// Reads the body within the body deadline and the size limit.
async fn read_body(service: &Service, body: axum::body::Body) -> Result<Vec<u8>, ApiError> {
    let limited = http_body_util::Limited::new(body, limits::MAX_BODY_BYTES);
    let deadline = service.front.connections.body_timeout;
    match tokio::time::timeout(deadline, http_body_util::BodyExt::collect(limited)).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(limits::body_too_large()),
        Ok(Err(e)) => Err(ApiError::new(
            "InvalidParameter",
            format!("the body could not be read: {e}"),
        )),
        Err(_) => Err(ApiError::new(
            "InvalidParameter",
            format!(
                "the body was not received within {} s of the headers",
                deadline.as_secs()
            ),
        )),
    }
}

/// `POST /`: refuses on the headers, reads the body, verifies and runs.
pub(crate) async fn api_handler(State(service): State<Arc<Service>>, request: Request) -> Response {
    let rid = request_id();
    let (parts, body) = request.into_parts();
    if let Err(e) = refuse_before_body(&service, &parts.headers) {
        info!(code = %e.code, message = %e.message, "API request refused on its headers");
        let mut response = api_response(Err(e), &rid);
        // The body is left unread: the connection cannot be reused.
        response
            .headers_mut()
            .insert(header::CONNECTION, "close".parse().expect("static header"));
        return response;
    }
    let body = match read_body(&service, body).await {
        Ok(b) => b,
        Err(e) => return api_response(Err(e), &rid),
    };
    let latency = service.faults().latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let s = service.clone();
    let r = rid.clone();
    let result = tokio::task::spawn_blocking(move || {
        api(&s, &parts.method, &parts.uri, &parts.headers, &body, &r)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(e)));
    if let Err(e) = &result {
        info!(code = %e.code, message = %e.message, "API error");
    }
    api_response(result, &rid)
}
