//! The web console's routes. The page and its script and style are public (they hold no
//! data); everything else needs a session: `POST /console/login` (a key pair or the start
//! token) sets an HttpOnly, SameSite=Strict cookie and returns the session's CSRF token, which
//! every action and the logout carry in `X-CSRF-Token`. Requests that change something must
//! come from the console's own origin with a JSON body.

use crate::actions::Action;
use crate::error::ApiError;
use crate::guard::{self, Refused};
use crate::ids::request_id;
use crate::render::{Deny, api_response, state_json};
use crate::service::Service;
use crate::session::{self, Credentials, LoginError, Session};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast;
use tracing::{info, warn};

/// Actions the console may run.
const CONSOLE_ACTIONS: &[Action] = &[
    Action::CreateHaVip,
    Action::DeleteHaVip,
    Action::HaVipAssociateAddressIp,
    Action::HaVipDisassociateAddressIp,
    Action::AllocateAddresses,
];

/// The console's routes.
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/console", get(page))
        .route("/console/app.js", get(script))
        .route("/console/app.css", get(style))
        .route("/console/login", post(login))
        .route("/console/session", get(current))
        .route("/console/logout", post(logout))
        .route("/console/state", get(state))
        .route("/console/events", get(events))
        .route("/console/action", post(action))
}

/// The console's page.
pub async fn page() -> Html<&'static str> {
    Html(include_str!("console/index.html"))
}

async fn script() -> Response {
    static_file("text/javascript", include_str!("console/app.js"))
}

async fn style() -> Response {
    static_file("text/css", include_str!("console/app.css"))
}

fn static_file(content_type: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn forbidden(Refused(why): Refused) -> Deny {
    Deny::new(
        StatusCode::FORBIDDEN,
        "AuthFailure.UnauthorizedOperation",
        why,
    )
}

/// The session the request's cookie names.
fn session_of(service: &Service, headers: &HeaderMap) -> Result<(String, Session), Deny> {
    let id = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::cookie_value)
        .map(str::to_string);
    let live = id.as_deref().and_then(|id| {
        let mut sessions = service.front.sessions.lock().ok()?;
        sessions.get(id, Instant::now()).cloned()
    });
    match (id, live) {
        (Some(id), Some(s)) => Ok((id, s)),
        _ => Err(Deny::new(
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
            "log in to the console first",
        )),
    }
}

/// A request that changes something: own origin, JSON body, live session, its CSRF token.
fn acting_session(service: &Service, headers: &HeaderMap) -> Result<(String, Session), Deny> {
    guard::same_origin(headers, service.front.access.tls).map_err(forbidden)?;
    guard::json_body(headers).map_err(forbidden)?;
    let (id, s) = session_of(service, headers)?;
    let given = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !session::same_secret(given, &s.csrf) {
        return Err(forbidden(Refused(
            "the request does not carry this session's CSRF token (X-CSRF-Token)".into(),
        )));
    }
    Ok((id, s))
}

fn session_body(s: &Session) -> String {
    json!({ "Csrf": s.csrf, "Who": s.who }).to_string()
}

fn json_answer(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn login(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Deny> {
    guard::same_origin(&headers, service.front.access.tls).map_err(forbidden)?;
    guard::json_body(&headers).map_err(forbidden)?;
    let credentials: Credentials = serde_json::from_slice(&body).map_err(|e| {
        let why =
            format!("the login must be {{\"SecretId\", \"SecretKey\"}} or {{\"Token\"}}: {e}");
        Deny::new(StatusCode::BAD_REQUEST, "InvalidParameter", why)
    })?;
    let result = service
        .front
        .sessions
        .lock()
        .map_err(|_| {
            Deny::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "poisoned",
            )
        })?
        .login(&credentials, peer.ip(), Instant::now());
    match result {
        Ok((id, s)) => {
            info!(who = %s.who, "console login");
            let cookie = session::set_cookie(&id, service.front.access.tls);
            let mut answer = json_answer(session_body(&s));
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                answer.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(answer)
        }
        Err(LoginError::Denied(why)) => {
            warn!(%why, "console login refused");
            let code = "AuthFailure.InvalidAuthorization";
            Err(Deny::new(StatusCode::UNAUTHORIZED, code, why))
        }
        Err(LoginError::TooMany) => Err(Deny::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RequestLimitExceeded",
            format!(
                "more than {} failed logins from {} in the last minute; wait",
                session::FAILURES_PER_MINUTE,
                peer.ip()
            ),
        )),
    }
}

async fn current(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
) -> Result<Response, Deny> {
    let (_, s) = session_of(&service, &headers)?;
    Ok(json_answer(session_body(&s)))
}

async fn logout(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    let (id, _) = acting_session(&service, &headers)?;
    if let Ok(mut s) = service.front.sessions.lock() {
        s.logout(&id);
    }
    let clear = [(header::SET_COOKIE, session::clear_cookie())];
    Ok((clear, StatusCode::NO_CONTENT).into_response())
}

async fn state(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    let (_, session) = session_of(&service, &headers)?;
    let cloud = service.snapshot();
    let state = match service.session_account(&session.who) {
        Some(account) => state_json(&cloud.view(&account)),
        None => state_json(&cloud),
    };
    Ok(json_answer(state.to_string()))
}

async fn events(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, Deny> {
    session_of(&service, &headers)?;
    let rx = service.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(v) => {
                    let event = Event::default().event("changed").data(v.to_string());
                    return Some((Ok::<_, std::convert::Infallible>(event), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ConsoleCall {
    action: String,
    #[serde(default)]
    params: Value,
}

async fn action(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Deny> {
    let (_, session) = acting_session(&service, &headers)?;
    let rid = request_id();
    let call: Result<ConsoleCall, _> = serde_json::from_slice(&body);
    let result = match call {
        Err(e) => Err(ApiError::new(
            "InvalidParameter",
            format!("bad console call: {e}"),
        )),
        Ok(c) if !Action::from_word(&c.action).is_some_and(|a| CONSOLE_ACTIONS.contains(&a)) => {
            Err(ApiError::new(
                "InvalidAction",
                format!("the console cannot run {}", c.action),
            ))
        }
        Ok(c) => {
            info!(who = %session.who, action = %c.action, "console action");
            let s = service.clone();
            let r = rid.clone();
            let account = service.session_account(&session.who);
            tokio::task::spawn_blocking(move || {
                s.call_as(account.as_deref(), &c.action, &c.params, &r)
            })
            .await
            .unwrap_or_else(|e| Err(ApiError::internal(e)))
        }
    };
    Ok(api_response(result, &rid))
}
