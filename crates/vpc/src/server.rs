//! `havip vpc serve`: the HTTP side. `POST /` is the cloud API (TC3-signed JSON, answered as
//! `{"Response": ...}`); `/console` serves the web console, its live state and its actions;
//! `/internal/garp` is where the data plane reports gratuitous ARPs.

use crate::actions::{self, havip::Refusal};
use crate::auth::{self, SignedRequest};
use crate::cloud::{Change, Cloud, Quotas};
use crate::error::ApiError;
use crate::ids::request_id;
use crate::limits::{self, RateLimiter};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;
use tracing::{info, warn};

/// The running service: state, store, keys, and the console's change feed.
pub struct Service {
    cloud: RwLock<Cloud>,
    store: Mutex<Box<dyn Store>>,
    keys: BTreeMap<String, String>,
    changes: broadcast::Sender<u64>,
    limiter: Mutex<RateLimiter>,
    requests_per_second: u32,
    /// Programmed delay before a GARP moves a binding (the cloud's "may take 10 s").
    pub garp_delay: std::time::Duration,
}

/// Reads a keys file: one `SecretId SecretKey` per line, `#` comments.
pub fn read_keys(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading keys {}", path.display()))?;
    let mut keys = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [id, key] = words.as_slice() else {
            bail!(
                "{}:{}: expected `SecretId SecretKey`, found {} words",
                path.display(),
                n + 1,
                words.len()
            );
        };
        keys.insert(id.to_string(), key.to_string());
    }
    if keys.is_empty() {
        bail!("{} holds no key", path.display());
    }
    Ok(keys)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What the data plane learns from a GARP report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GarpOutcome {
    /// The HAVIP now points at the sender (or already did).
    Moved,
    /// Refused, and why.
    Refused(String),
}

impl Service {
    /// Loads the store and serves with `keys`.
    pub fn new(
        mut store: Box<dyn Store>,
        keys: BTreeMap<String, String>,
        quotas: Quotas,
    ) -> Result<Arc<Self>> {
        let mut cloud = store.load().context("loading the store")?;
        let requests_per_second = quotas.requests_per_second;
        cloud.quotas = quotas;
        let (changes, _) = broadcast::channel(64);
        Ok(Arc::new(Service {
            cloud: RwLock::new(cloud),
            store: Mutex::new(store),
            keys,
            changes,
            limiter: Mutex::new(RateLimiter::default()),
            requests_per_second,
            garp_delay: std::time::Duration::ZERO,
        }))
    }

    /// A copy of the state (console, data plane, tests).
    pub fn snapshot(&self) -> Cloud {
        self.cloud.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Runs an action as the API does (after authentication): compute, store, apply.
    pub fn call(&self, action: &str, body: &Value, request_id: &str) -> Result<Value, ApiError> {
        // Writers take the store lock first: one change at a time, computed on the state it
        // will be applied to.
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("store lock poisoned"))?;
        let outcome = {
            let cloud = self
                .cloud
                .read()
                .map_err(|_| ApiError::internal("state lock poisoned"))?;
            actions::dispatch(&cloud, action, body, request_id)?
        };
        if !outcome.changes.is_empty() {
            self.commit(&mut **store, &outcome.changes)?;
        }
        Ok(Value::Object(outcome.response))
    }

    fn commit(&self, store: &mut dyn Store, changes: &[Change]) -> Result<(), ApiError> {
        store.commit(changes).map_err(ApiError::internal)?;
        if let Ok(mut cloud) = self.cloud.write() {
            cloud.apply(changes);
        }
        let _ = self.changes.send(unix_now() as u64);
        Ok(())
    }

    /// A GARP for `vip` came from the port of ENI `eni`: move the HAVIP if it may.
    pub fn garp(&self, eni: &str, vip: &str, form: &str) -> Result<GarpOutcome, ApiError> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("store lock poisoned"))?;
        let result = {
            let cloud = self
                .cloud
                .read()
                .map_err(|_| ApiError::internal("state lock poisoned"))?;
            let sender = cloud
                .enis
                .get(eni)
                .ok_or_else(|| ApiError::not_found("network interface", eni))?;
            actions::havip::garp_move(&cloud, sender, vip, form)
        };
        match result {
            Ok(changes) if changes.is_empty() => Ok(GarpOutcome::Moved),
            Ok(changes) => {
                self.commit(&mut **store, &changes)?;
                Ok(GarpOutcome::Moved)
            }
            Err(Refusal::NotAHaVip) => Ok(GarpOutcome::Refused(format!(
                "{vip} is not a HAVIP of {eni}'s subnet"
            ))),
            Err(Refusal::NotAssociated) => Ok(GarpOutcome::Refused(format!(
                "{eni} is not associated with the HAVIP {vip} (CheckAssociate)"
            ))),
            Err(Refusal::EniLimit(n)) => Ok(GarpOutcome::Refused(format!(
                "{eni} already holds {n} HAVIPs, the most an ENI may"
            ))),
        }
    }

    /// A receiver of change notifications (the console's live feed).
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }
}

fn api_response(result: Result<Value, ApiError>, request_id: &str) -> Response {
    let body = match result {
        Ok(mut fields) => {
            if let Some(m) = fields.as_object_mut() {
                m.insert("RequestId".into(), Value::from(request_id));
            }
            json!({ "Response": fields })
        }
        Err(e) => json!({ "Response": { "Error": e, "RequestId": request_id } }),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn headers_map(h: &HeaderMap) -> BTreeMap<String, String> {
    h.iter()
        .filter_map(|(k, v)| Some((k.as_str().to_lowercase(), v.to_str().ok()?.to_string())))
        .collect()
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
    let secret_id = auth::verify(&req, unix_now(), |id| service.keys.get(id).cloned())?;
    let action = h
        .get("x-tc-action")
        .ok_or_else(|| ApiError::missing("X-TC-Action"))?;
    // Unknown actions are refused by dispatch; counting only known ones bounds the limiter.
    let limit = service.requests_per_second;
    if let Some(known) = actions::ACTIONS.iter().find(|a| *a == action) {
        service
            .limiter
            .lock()
            .map_err(|_| ApiError::internal("limiter lock poisoned"))?
            .admit(&secret_id, known, limit, std::time::Instant::now())?;
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
    service.call(action, &value, request_id)
}

async fn api_handler(
    State(service): State<Arc<Service>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let rid = request_id();
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return api_response(Err(limits::body_too_large()), &rid);
        }
        Err(e) => {
            let e = ApiError::new(
                "InvalidParameter",
                format!("the body could not be read: {e}"),
            );
            return api_response(Err(e), &rid);
        }
    };
    let s = service.clone();
    let r = rid.clone();
    let result = tokio::task::spawn_blocking(move || api(&s, &method, &uri, &headers, &body, &r))
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(e)));
    if let Err(e) = &result {
        info!(code = %e.code, message = %e.message, "API error");
    }
    api_response(result, &rid)
}

/// Actions the console may run (it holds no key: it is served on the loopback only).
const CONSOLE_ACTIONS: &[&str] = &[
    "CreateHaVip",
    "DeleteHaVip",
    "HaVipAssociateAddressIp",
    "HaVipDisassociateAddressIp",
    "AllocateAddresses",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConsoleCall {
    action: String,
    #[serde(default)]
    params: Value,
}

async fn console_action(State(service): State<Arc<Service>>, body: Bytes) -> Response {
    let rid = request_id();
    let call: Result<ConsoleCall, _> = serde_json::from_slice(&body);
    let result = match call {
        Err(e) => Err(ApiError::new(
            "InvalidParameter",
            format!("bad console call: {e}"),
        )),
        Ok(c) if !CONSOLE_ACTIONS.contains(&c.action.as_str()) => Err(ApiError::new(
            "InvalidAction",
            format!("the console cannot run {}", c.action),
        )),
        Ok(c) => {
            let s = service.clone();
            let r = rid.clone();
            tokio::task::spawn_blocking(move || s.call(&c.action, &c.params, &r))
                .await
                .unwrap_or_else(|e| Err(ApiError::internal(e)))
        }
    };
    api_response(result, &rid)
}

async fn console_state(State(service): State<Arc<Service>>) -> Response {
    let c = service.snapshot();
    let body = json!({
        "Vpcs": c.vpcs.values().collect::<Vec<_>>(),
        "Subnets": c.subnets.values().collect::<Vec<_>>(),
        "NetworkInterfaces": c.enis.values().collect::<Vec<_>>(),
        "Addresses": c.addresses.values().collect::<Vec<_>>(),
        "HaVips": c.havips.values().collect::<Vec<_>>(),
        "History": c.history,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn console_events(
    State(service): State<Arc<Service>>,
) -> Sse<impl futures::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = service.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(v) => {
                    return Some((
                        Ok(Event::default().event("changed").data(v.to_string())),
                        rx,
                    ));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GarpReport {
    network_interface_id: String,
    vip: String,
    #[serde(default = "request_form")]
    form: String,
}

fn request_form() -> String {
    "request".into()
}

async fn internal_garp(State(service): State<Arc<Service>>, body: Bytes) -> Response {
    let report: GarpReport = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("bad GARP report: {e}")).into_response();
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
    let body = match result {
        Ok(GarpOutcome::Moved) => json!({ "Moved": true }),
        Ok(GarpOutcome::Refused(why)) => json!({ "Moved": false, "Reason": why }),
        Err(e) => json!({ "Moved": false, "Reason": e.to_string() }),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn console_page() -> Html<&'static str> {
    Html(include_str!("console.html"))
}

/// The HTTP routes.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route(
            "/",
            post(api_handler)
                .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
                .get(console_page),
        )
        .route("/console", get(console_page))
        .route("/console/state", get(console_state))
        .route("/console/events", get(console_events))
        .route("/console/action", post(console_action))
        .route("/internal/garp", post(internal_garp))
        .with_state(service)
}

/// Serves until the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, service: Arc<Service>) -> Result<()> {
    let addr = listener.local_addr()?;
    info!(%addr, "havip vpc serving");
    if let Err(e) = axum::serve(listener, router(service)).await {
        warn!(error = %e, "server stopped");
        return Err(e.into());
    }
    Ok(())
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
