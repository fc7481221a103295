//! TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0: signing a request and
//! checking a claimed signature in constant time. Pure functions, no clock, no I/O. Module
//! [`sigv4`] has AWS Signature Version 4, the same family, for the mover's EC2 dialect.

pub mod sigv4;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// The algorithm's name as it appears in the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// What a signature covers.
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// Path (`/`).
    pub path: &'a str,
    /// Query string (GET).
    pub query: &'a str,
    /// Headers by lowercase name.
    pub headers: &'a BTreeMap<String, String>,
    /// Body.
    pub body: &'a [u8],
}

/// Who signs and for what: the key pair and the credential scope's date and service.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// `YYYY-MM-DD`, the UTC date of the timestamp.
    pub date: &'a str,
    /// The service (`vpc`, `cvm`).
    pub service: &'a str,
    /// Unix seconds, as sent in `X-TC-Timestamp`.
    pub timestamp: &'a str,
}

pub(crate) fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => unreachable!("HMAC accepts any key length"),
    }
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical request: method, path, query, the signed headers (`name:value\n`, values
/// trimmed and lowercased), the signed header list and the body's SHA-256.
pub fn canonical_request(req: &SignedRequest<'_>, signed_headers: &str) -> String {
    canonical_with(req, signed_headers, |v| v.trim().to_lowercase())
}

/// The canonical request of the signature family (TC3, SigV4): each signed header's value
/// as `value` normalizes it.
pub(crate) fn canonical_with(
    req: &SignedRequest<'_>,
    signed_headers: &str,
    value: impl Fn(&str) -> String,
) -> String {
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let v = req.headers.get(name).map(String::as_str).unwrap_or("");
        canonical_headers.push_str(&format!("{name}:{}\n", value(v)));
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        req.query,
        canonical_headers,
        signed_headers,
        sha256_hex(req.body)
    )
}

/// The string a signature covers: the canonical request, hashed, under the credential scope.
pub fn string_to_sign(req: &SignedRequest<'_>, signed_headers: &str, scope: &Scope<'_>) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}/{}/tc3_request\n{}",
        scope.timestamp,
        scope.date,
        scope.service,
        sha256_hex(canonical_request(req, signed_headers).as_bytes())
    )
}

/// The MAC keyed for the scope's date and service, ready to take the string to sign.
fn signing_mac(secret_key: &str, scope: &Scope<'_>) -> HmacSha256 {
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), scope.date.as_bytes());
    let k_service = hmac(&k_date, scope.service.as_bytes());
    new_mac(&hmac(&k_service, b"tc3_request"))
}

/// The signature (lowercase hex) of `req` over `signed_headers` with `secret_key`.
pub fn signature(
    req: &SignedRequest<'_>,
    signed_headers: &str,
    secret_key: &str,
    scope: &Scope<'_>,
) -> String {
    let mut mac = signing_mac(secret_key, scope);
    mac.update(string_to_sign(req, signed_headers, scope).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `claimed` (hex) is the signature of `req`, compared in constant time.
pub fn signature_matches(
    req: &SignedRequest<'_>,
    signed_headers: &str,
    secret_key: &str,
    scope: &Scope<'_>,
    claimed: &str,
) -> bool {
    let Ok(claimed) = hex::decode(claimed) else {
        return false;
    };
    let mut mac = signing_mac(secret_key, scope);
    mac.update(string_to_sign(req, signed_headers, scope).as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp (proleptic Gregorian).
pub fn utc_date(timestamp: i64) -> String {
    let (year, month, day) = hostsys::clock::civil_from_days(timestamp.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A JSON POST to sign: the cloud's API 3.0 common parameters.
#[derive(Clone, Copy, Debug)]
pub struct JsonPost<'a> {
    /// `host[:port]` the request goes to.
    pub host: &'a str,
    /// The service in the credential scope (`vpc`).
    pub service: &'a str,
    /// `X-TC-Action`.
    pub action: &'a str,
    /// `X-TC-Version` (`2017-03-12` for vpc).
    pub version: &'a str,
    /// `X-TC-Region`.
    pub region: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// The JSON body.
    pub body: &'a [u8],
}

/// Signs a JSON POST the way the cloud's SDKs do; returns the headers to send (lowercase
/// names), `authorization` included. `token` is the temporary credentials' session token.
pub fn sign_json_post(
    post: &JsonPost<'_>,
    secret_id: &str,
    secret_key: &str,
    token: Option<&str>,
) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    let mut put = |k: &str, v: &str| headers.insert(k.to_string(), v.to_string());
    put("content-type", "application/json");
    put("host", post.host);
    put("x-tc-action", post.action);
    put("x-tc-version", post.version);
    put("x-tc-timestamp", &post.timestamp.to_string());
    put("x-tc-region", post.region);
    if let Some(token) = token {
        put("x-tc-token", token);
    }
    let date = utc_date(post.timestamp);
    let timestamp = post.timestamp.to_string();
    let scope = Scope {
        date: &date,
        service: post.service,
        timestamp: &timestamp,
    };
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: post.body,
    };
    let sig = signature(&req, "content-type;host", secret_key, &scope);
    let auth = format!(
        "{ALGORITHM} Credential={secret_id}/{date}/{}/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
        post.service
    );
    headers.insert("authorization".to_string(), auth);
    headers
}

/// The parts of an `Authorization: TC3-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The SecretId.
    pub secret_id: String,
    /// The scope's date.
    pub date: String,
    /// The scope's service.
    pub service: String,
    /// `;`-separated lowercase header names.
    pub signed_headers: String,
    /// The claimed signature (hex).
    pub signature: String,
}

/// Parses an `Authorization` header; `None` when it is not a well-formed TC3 header.
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let mut parts = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        parts.insert(k, v);
    }
    let mut credential = parts.get("Credential")?.split('/');
    let (secret_id, date, service) = (credential.next()?, credential.next()?, credential.next()?);
    if credential.next()? != "tc3_request" || credential.next().is_some() {
        return None;
    }
    Some(Authorization {
        secret_id: secret_id.to_string(),
        date: date.to_string(),
        service: service.to_string(),
        signed_headers: parts.get("SignedHeaders")?.to_string(),
        signature: parts.get("Signature")?.to_string(),
    })
}

#[cfg(test)]
mod tests;
