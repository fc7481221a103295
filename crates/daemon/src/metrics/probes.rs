//! `GET /healthz` and `GET /ready` on the metrics listener, for a service manager or an
//! orchestrator's probes. Both are answered by the VRRP loop itself, through the same bounded
//! queue as scrapes, behind the same guards (host, origin, bearer token):
//!
//! - `/healthz`: 200 `ok` when the loop answers within [`HEALTH_WITHIN`] (the process is alive
//!   and its loop turning), else 503.
//! - `/ready`: 200 when every instance is out of INIT and FAULT (and not stopped), else 503, with one line per
//!   instance (`VI_1 MASTER`); `?instance=NAME` asks about one, 404 for an unknown name.

use super::guard::{Guard, check, refuse};
use super::requests::{Readiness, Scrape};
use crate::run::Daemon;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::oneshot;

/// How soon the loop must answer `/healthz` (and `/ready`).
pub const HEALTH_WITHIN: Duration = Duration::from_secs(2);

/// Queues `scrape` for the loop; the refusal if the queue is full.
fn ask(guard: &Guard, scrape: Scrape) -> Option<Response> {
    guard
        .scrapes
        .try_send(scrape)
        .err()
        .map(|_| refuse(StatusCode::SERVICE_UNAVAILABLE, "busy; ask again"))
}

pub(super) async fn healthz(State(guard): State<Guard>, headers: HeaderMap) -> Response {
    if let Some(refused) = check(&guard, &headers) {
        return refused;
    }
    let (tx, rx) = oneshot::channel();
    if let Some(busy) = ask(&guard, Scrape::Health(tx)) {
        return busy;
    }
    match tokio::time::timeout(HEALTH_WITHIN, rx).await {
        Ok(Ok(())) => "ok\n".into_response(),
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the VRRP loop did not answer in time",
        ),
    }
}

pub(super) async fn ready(
    State(guard): State<Guard>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = check(&guard, &headers) {
        return refused;
    }
    let (tx, rx) = oneshot::channel();
    let instance = query.get("instance").cloned();
    if let Some(busy) = ask(
        &guard,
        Scrape::Ready {
            instance,
            reply: tx,
        },
    ) {
        return busy;
    }
    match tokio::time::timeout(HEALTH_WITHIN, rx).await {
        Ok(Ok(Readiness::Ready(text))) => text.into_response(),
        Ok(Ok(Readiness::NotReady(text))) => {
            (StatusCode::SERVICE_UNAVAILABLE, text).into_response()
        }
        Ok(Ok(Readiness::Unknown(text))) => (StatusCode::NOT_FOUND, text).into_response(),
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the VRRP loop did not answer in time",
        ),
    }
}

/// Whether an instance in `state` counts as ready (a stopped one, at exit, does not either).
fn ready_state(state: vrrp::State) -> bool {
    !matches!(
        state,
        vrrp::State::Init | vrrp::State::Fault | vrrp::State::Stopped
    )
}

impl Daemon {
    /// Answers a request of the metrics listener.
    pub async fn answer_scrape(&mut self, scrape: Scrape) {
        match scrape {
            Scrape::Metrics(reply) => {
                let text = self.metrics_text().await;
                let _ = reply.send(text);
            }
            Scrape::Health(reply) => {
                let _ = reply.send(());
            }
            Scrape::Ready { instance, reply } => {
                let _ = reply.send(self.readiness(instance.as_deref()));
            }
        }
    }

    /// Readiness of every instance, or of `only`.
    fn readiness(&self, only: Option<&str>) -> Readiness {
        let ids: Vec<node::InstanceId> = match only {
            Some(name) => match self.node.find(name) {
                Some(id) => vec![id],
                None => {
                    let names: Vec<&str> = self.instances.iter().map(|i| i.name.as_str()).collect();
                    return Readiness::Unknown(format!(
                        "no instance `{name}`; the instances are: {}\n",
                        names.join(", ")
                    ));
                }
            },
            None => self.node.ids().collect(),
        };
        let mut text = String::new();
        let mut all = true;
        for id in ids {
            let state = self.node.router(id).state();
            all &= ready_state(state);
            text.push_str(&format!("{} {state}\n", self.instances[id].name));
        }
        if all {
            Readiness::Ready(text)
        } else {
            Readiness::NotReady(text)
        }
    }
}
