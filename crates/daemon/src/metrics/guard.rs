//! The metrics listener's guards: the bearer token (compared in constant time), the host a
//! request names (no DNS rebinding) and its origin (no web page).

use super::requests::Scrape;
use anyhow::{Context, Result, bail};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

#[derive(Clone)]
pub(super) struct Guard {
    pub(super) token: Option<String>,
    pub(super) scrapes: mpsc::Sender<Scrape>,
}

/// Reads the token file: one line, not empty.
pub(super) fn read_token(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--metrics-token-file {}", path.display()))?;
    let token = text.trim().to_string();
    if token.is_empty() {
        bail!("--metrics-token-file {} is empty", path.display());
    }
    Ok(token)
}

/// A host name a DNS-rebinding page cannot use: an IP literal or `localhost`, with any port.
fn host_allowed(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost" || name.parse::<std::net::Ipv4Addr>().is_ok()
}

pub(super) fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("{why}\n")).into_response()
}

/// Checks a request's headers; the refusal if any.
pub(super) fn check(guard: &Guard, headers: &HeaderMap) -> Option<Response> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if !host.is_some_and(host_allowed) {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "host not allowed: use an IP address or localhost",
        ));
    }
    if headers.contains_key(header::ORIGIN) {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "cross-origin requests are refused",
        ));
    }
    if let Some(token) = &guard.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            let mut r = refuse(StatusCode::UNAUTHORIZED, "a bearer token is required");
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return Some(r);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ip_literals_and_localhost_are_hosts() {
        for ok in [
            "127.0.0.1:9650",
            "10.0.0.1",
            "localhost:9650",
            "[::1]:9650",
            "[fe80::1]",
        ] {
            assert!(host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:9650",
            "evil.example",
            "127.0.0.1.nip.io:80",
            "[nope]:1",
            "",
        ] {
            assert!(!host_allowed(bad), "{bad}");
        }
    }
}
