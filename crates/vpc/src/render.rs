//! How the HTTP side answers: the API's JSON form (`{"Response": {..., "RequestId"}}`),
//! refusals before a request runs ([`Deny`]), and the state as the console and the data plane
//! read it.

use crate::cloud::Cloud;
use crate::error::ApiError;
use crate::ids::request_id;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tracing::info;

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
        "RouteTables": c.route_tables.values().collect::<Vec<_>>(),
        "History": c.history,
        "Quotas": c.quotas,
    })
}
