//! `havip vpc serve`: the HTTP side. `POST /` is the cloud API (TC3-signed JSON, answered as
//! `{"Response": ...}`); `/console` serves the web console behind a login (`console.rs`);
//! `/internal/*` is the data plane's, behind a shared secret (`internal.rs`). Every request
//! passes the Host check first and every answer carries the headers of `guard.rs`.

use crate::actions::{self, havip::Refusal};
use crate::cloud::{Change, Cloud, Quotas};
use crate::error::ApiError;
use crate::feed::{Catchup, Feed};
use crate::guard::{self, HostPolicy};
use crate::ids::request_id;
use crate::limits::RateLimiter;
use crate::listen::{self, ConnectionLimits, Transport};
use crate::session::Sessions;
use crate::store::Store;
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tracing::{info, warn};

/// Who may reach what: the names served, whether over TLS, the data plane's secret and the
/// console's start token.
#[derive(Clone, Debug)]
pub struct Access {
    /// Host names answered besides IP literals and `localhost`.
    pub hosts: HostPolicy,
    /// Served over TLS (cookies are `Secure`, origins `https://`).
    pub tls: bool,
    /// The secret `/internal/*` requires (`Authorization: Bearer`).
    pub internal_secret: String,
    /// The token that logs in to the console, printed at start.
    pub console_token: String,
}

impl Default for Access {
    /// Plain HTTP, IP literals and `localhost`, a random internal secret and console token.
    fn default() -> Self {
        Access {
            hosts: HostPolicy::default(),
            tls: false,
            internal_secret: crate::session::random_token(),
            console_token: crate::session::random_token(),
        }
    }
}

/// How a service runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Quotas and the request rate.
    pub quotas: Quotas,
    /// Programmed delay before a GARP moves a binding (the cloud's "may take 10 s").
    pub garp_delay: Duration,
    /// Who may reach what.
    pub access: Access,
    /// Connections held and how long a request may take to arrive.
    pub connections: ConnectionLimits,
    /// The account (AppId) of each SecretId; a key not named here is the default account's.
    pub accounts: BTreeMap<String, String>,
}

/// The running service: state, store, keys, and the console's change feed.
pub struct Service {
    cloud: RwLock<Cloud>,
    store: Mutex<Box<dyn Store>>,
    pub(crate) keys: BTreeMap<String, String>,
    accounts: BTreeMap<String, String>,
    changes: broadcast::Sender<u64>,
    feed: Mutex<Feed>,
    versions: watch::Sender<u64>,
    epoch: String,
    pub(crate) limiter: Mutex<RateLimiter>,
    pub(crate) replays: Mutex<crate::replay::ReplayCache>,
    pub(crate) requests_per_second: u32,
    pub(crate) connections: ConnectionLimits,
    /// Programmed delay before a GARP moves a binding.
    pub garp_delay: Duration,
    pub(crate) access: Access,
    pub(crate) sessions: Mutex<Sessions>,
}

/// Reads a keys file: one `SecretId SecretKey [AppId]` per line, `#` comments; the keys.
pub fn read_keys(path: &Path) -> Result<BTreeMap<String, String>> {
    read_key_file(path).map(|(keys, _)| keys)
}

/// Reads a keys file: the keys, and the account (AppId, digits) of each key that names one
/// (the others are [`crate::accounts::DEFAULT_ACCOUNT`]'s).
pub fn read_key_file(path: &Path) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading keys {}", path.display()))?;
    let mut keys = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (id, key, account) = match words.as_slice() {
            [id, key] => (id, key, None),
            [id, key, account] => (id, key, Some(account)),
            _ => bail!(
                "{}:{}: expected `SecretId SecretKey [AppId]`, found {} words",
                path.display(),
                n + 1,
                words.len()
            ),
        };
        if let Some(account) = account {
            if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!(
                    "{}:{}: the AppId `{account}` of {id} is not a number",
                    path.display(),
                    n + 1
                );
            }
            accounts.insert(id.to_string(), account.to_string());
        }
        keys.insert(id.to_string(), key.to_string());
    }
    if keys.is_empty() {
        bail!("{} holds no key", path.display());
    }
    Ok((keys, accounts))
}

pub(crate) fn unix_now() -> i64 {
    hostsys::clock::since_epoch().as_secs() as i64
}

/// What brings a data plane up to date.
#[derive(Debug)]
pub enum Update {
    /// The changes since its version, in order.
    Changes(Vec<Change>),
    /// The whole state.
    State(Box<Cloud>),
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
    /// Loads the store and serves with `keys`, default options otherwise.
    pub fn new(
        store: Box<dyn Store>,
        keys: BTreeMap<String, String>,
        quotas: Quotas,
    ) -> Result<Arc<Self>> {
        let options = Options {
            quotas,
            ..Options::default()
        };
        Self::with_options(store, keys, options)
    }

    /// Loads the store and serves with `keys` and `options`.
    pub fn with_options(
        mut store: Box<dyn Store>,
        keys: BTreeMap<String, String>,
        options: Options,
    ) -> Result<Arc<Self>> {
        let mut cloud = store.load().context("loading the store")?;
        let requests_per_second = options.quotas.requests_per_second;
        cloud.quotas = options.quotas;
        let (changes, _) = broadcast::channel(64);
        let sessions = Sessions::new(keys.clone(), options.access.console_token.clone());
        Ok(Arc::new(Service {
            cloud: RwLock::new(cloud),
            store: Mutex::new(store),
            keys,
            changes,
            feed: Mutex::new(Feed::default()),
            versions: watch::channel(0).0,
            epoch: format!("{:016x}", rand::random::<u64>()),
            limiter: Mutex::new(RateLimiter::default()),
            replays: Mutex::new(crate::replay::ReplayCache::default()),
            requests_per_second,
            garp_delay: options.garp_delay,
            access: options.access,
            connections: options.connections,
            accounts: options.accounts,
            sessions: Mutex::new(sessions),
        }))
    }

    /// The secret the data plane shows on `/internal/*`.
    pub fn internal_secret(&self) -> &str {
        &self.access.internal_secret
    }

    /// The console's start token.
    pub fn console_token(&self) -> &str {
        &self.access.console_token
    }

    /// The account a console session acts for: its key's, or `None` for the start token
    /// (the operator, who sees every account).
    pub fn session_account(&self, who: &str) -> Option<String> {
        self.keys
            .contains_key(who)
            .then(|| self.account_of(who).to_string())
    }

    /// A copy of the state (console, data plane, tests).
    pub fn snapshot(&self) -> Cloud {
        self.cloud.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// The account (AppId) of a SecretId.
    pub fn account_of(&self, secret_id: &str) -> &str {
        self.accounts
            .get(secret_id)
            .map_or(crate::accounts::DEFAULT_ACCOUNT, String::as_str)
    }

    /// Runs an action as the operator (the console's start token): on the whole state; what
    /// it creates is the default account's.
    pub fn call(&self, action: &str, body: &Value, request_id: &str) -> Result<Value, ApiError> {
        self.call_as(None, action, body, request_id)
    }

    /// Runs an action as the API does (after authentication) for `account` (`None`: the
    /// operator), on its view of the state: compute, store (with the owner of what it
    /// creates), apply.
    pub fn call_as(
        &self,
        account: Option<&str>,
        action: &str,
        body: &Value,
        request_id: &str,
    ) -> Result<Value, ApiError> {
        if actions::is_read_only(action) {
            // Readers share the state's read lock and never wait for the store.
            let cloud = self
                .cloud
                .read()
                .map_err(|_| ApiError::internal("state lock poisoned"))?;
            let view = account.map_or(std::borrow::Cow::Borrowed(&*cloud), |a| cloud.view(a));
            let outcome = actions::dispatch(&view, action, body, request_id)?;
            if !outcome.changes.is_empty() {
                return Err(ApiError::internal(format!("{action} changed the state")));
            }
            return Ok(Value::Object(outcome.response));
        }
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
            let view = account.map_or(std::borrow::Cow::Borrowed(&*cloud), |a| cloud.view(a));
            let outcome = actions::dispatch(&view, action, body, request_id)?;
            let owner = account.unwrap_or(crate::accounts::DEFAULT_ACCOUNT);
            let changes = crate::accounts::owned_changes(&cloud, owner, outcome.changes)
                .map_err(ApiError::internal)?;
            (outcome.response, changes)
        };
        let (response, changes) = outcome;
        if !changes.is_empty() {
            self.commit(&mut **store, &changes)?;
        }
        Ok(Value::Object(response))
    }

    /// Stores `changes`, applies them and numbers them in the feed (under the state's lock, so
    /// a snapshot and its version always agree); returns their version.
    fn commit(&self, store: &mut dyn Store, changes: &[Change]) -> Result<u64, ApiError> {
        store.commit(changes).map_err(ApiError::internal)?;
        self.publish(changes)
    }

    /// As `commit`, for soft state (see [`Store::commit_soft`]).
    fn commit_soft(&self, store: &mut dyn Store, changes: &[Change]) -> Result<u64, ApiError> {
        store.commit_soft(changes).map_err(ApiError::internal)?;
        self.publish(changes)
    }

    /// Applies stored `changes` to the state and numbers them in the feed.
    fn publish(&self, changes: &[Change]) -> Result<u64, ApiError> {
        let version = {
            let mut cloud = self
                .cloud
                .write()
                .map_err(|_| ApiError::internal("state lock poisoned"))?;
            cloud.apply(changes);
            self.feed
                .lock()
                .map_err(|_| ApiError::internal("feed lock poisoned"))?
                .record(changes)
        };
        self.versions.send_replace(version);
        let _ = self.changes.send(unix_now() as u64);
        Ok(version)
    }

    /// This run's epoch: versions from another run of the server mean nothing here.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// A receiver of the current version, woken at each commit (the data plane's long poll).
    pub fn watch_versions(&self) -> watch::Receiver<u64> {
        self.versions.subscribe()
    }

    /// What a data plane at `after` (of `epoch`) needs to be current, and the version it
    /// then has: the changes since, or the whole state.
    pub fn catch_up(&self, epoch: &str, after: u64) -> Result<(u64, Update)> {
        let cloud = self
            .cloud
            .read()
            .map_err(|_| anyhow::anyhow!("state lock poisoned"))?;
        let feed = self
            .feed
            .lock()
            .map_err(|_| anyhow::anyhow!("feed lock poisoned"))?;
        let catchup = if epoch == self.epoch {
            feed.since(after)
        } else {
            Catchup::Everything
        };
        let update = match catchup {
            Catchup::Changes(c) => Update::Changes(c),
            Catchup::Everything => Update::State(Box::new(cloud.clone())),
        };
        Ok((feed.version(), update))
    }

    /// A GARP for `vip` came from the port of ENI `eni`: move the HAVIP if it may.
    pub fn garp(&self, eni: &str, vip: &str, form: &str) -> Result<GarpOutcome, ApiError> {
        self.garp_versioned(eni, vip, form).map(|(o, _)| o)
    }

    /// As [`Service::garp`], with the version the state then has.
    pub fn garp_versioned(
        &self,
        eni: &str,
        vip: &str,
        form: &str,
    ) -> Result<(GarpOutcome, u64), ApiError> {
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
        let outcome = match result {
            Ok(changes) if changes.is_empty() => GarpOutcome::Moved,
            Ok(changes) => {
                let version = self.commit_soft(&mut **store, &changes)?;
                return Ok((GarpOutcome::Moved, version));
            }
            Err(Refusal::NotAHaVip) => {
                GarpOutcome::Refused(format!("{vip} is not a HAVIP of {eni}'s subnet"))
            }
            Err(Refusal::NotAssociated) => GarpOutcome::Refused(format!(
                "{eni} is not associated with the HAVIP {vip} (CheckAssociate)"
            )),
            Err(Refusal::EniLimit(n)) => GarpOutcome::Refused(format!(
                "{eni} already holds {n} HAVIPs, the most an ENI may"
            )),
        };
        Ok((outcome, *self.versions.borrow()))
    }

    /// OVN's southbound bindings `rows` (of `Port_Binding`): records each HAVIP's holder as
    /// OVN has it, where it changed, in one commit (`--backend ovn`); how many changes that
    /// took.
    pub fn follow_bindings(&self, rows: &[ovsdb::Row]) -> Result<usize, ApiError> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("store lock poisoned"))?;
        let changes = {
            let cloud = self
                .cloud
                .read()
                .map_err(|_| ApiError::internal("state lock poisoned"))?;
            // Each row is followed on the state the rows before it make.
            let mut after: Option<Cloud> = None;
            let mut all = Vec::new();
            for row in rows {
                let c = crate::ovn::binding::follow(after.as_ref().unwrap_or(&cloud), row);
                if !c.is_empty() {
                    after.get_or_insert_with(|| cloud.clone()).apply(&c);
                    all.extend(c);
                }
            }
            all
        };
        if !changes.is_empty() {
            self.commit_soft(&mut **store, &changes)?;
        }
        Ok(changes.len())
    }

    /// A receiver of change notifications (the console's live feed).
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }
}

/// The API's answer: HTTP 200 with `{"Response": {...}}`.
pub(crate) fn api_response(result: Result<Value, ApiError>, request_id: &str) -> Response {
    api_response_status(StatusCode::OK, result, request_id)
}

/// As [`api_response`], with another status (the console's and internal refusals).
pub(crate) fn api_response_status(
    status: StatusCode,
    result: Result<Value, ApiError>,
    request_id: &str,
) -> Response {
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
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A request refused before it ran, answered in the API's error form with an HTTP status.
#[derive(Debug)]
pub(crate) struct Deny {
    pub status: StatusCode,
    pub code: &'static str,
    pub why: String,
}

impl Deny {
    /// `status` with the cloud's `code` and why.
    pub fn new(status: StatusCode, code: &'static str, why: impl Into<String>) -> Self {
        Deny {
            status,
            code,
            why: why.into(),
        }
    }
}

impl IntoResponse for Deny {
    fn into_response(self) -> Response {
        info!(code = %self.code, why = %self.why, "request refused");
        let e = ApiError::new(self.code, self.why);
        api_response_status(self.status, Err(e), &request_id())
    }
}

/// The whole state as the console and the data plane read it.
pub fn state_json(c: &Cloud) -> Value {
    json!({
        "Vpcs": c.vpcs.values().collect::<Vec<_>>(),
        "Subnets": c.subnets.values().collect::<Vec<_>>(),
        "NetworkInterfaces": c.enis.values().collect::<Vec<_>>(),
        "Addresses": c.addresses.values().collect::<Vec<_>>(),
        "HaVips": c.havips.values().collect::<Vec<_>>(),
        "History": c.history,
        "Quotas": c.quotas,
    })
}

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
    let hosts = &service.access.hosts;
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
    let limits = service.connections;
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
    let limits = service.connections;
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
