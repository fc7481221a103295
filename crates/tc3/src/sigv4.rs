//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), as EC2's query API takes it: the canonical
//! request, the string to sign, the derived key and the signature, and [`sign_form_post`], the
//! headers of a form-encoded POST (`Action=...&Version=...`). Pure functions, no clock, no I/O.
//!
//! Why here and not the `aws-sigv4` crate: the workspace has no AWS crate (Cargo.lock), and
//! `aws-sigv4` brings the smithy runtime (HTTP types, time, tracing layers) for what is ~100
//! lines over the HMAC-SHA256 this crate already has for TC3, a signature of the same family
//! (TC3 is SigV4 with Tencent's names). Checked against AWS's published example (the
//! `ListUsers` request of the SigV4 documentation) in the tests and against moto's EC2 server
//! in `crates/daemon/tests/mover_ec2.rs`.

use crate::{hmac, sha256_hex, utc_date};
use std::collections::BTreeMap;

/// The algorithm's name as it appears in the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// What a signature covers: the same parts as TC3's (a canonical query for a GET, empty for a
/// POST).
pub type Request<'a> = crate::SignedRequest<'a>;

/// The credential scope: `YYYYMMDD/region/service/aws4_request`, and the request's time.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// `YYYYMMDDTHHMMSSZ`, as sent in `X-Amz-Date`.
    pub amz_date: &'a str,
    /// The region (`us-east-1`).
    pub region: &'a str,
    /// The service (`ec2`).
    pub service: &'a str,
}

impl Scope<'_> {
    fn credential_scope(&self) -> String {
        let day = self.amz_date.get(..8).unwrap_or(self.amz_date);
        format!("{day}/{}/{}/aws4_request", self.region, self.service)
    }
}

/// The canonical request; header values are trimmed and inner runs of spaces made one.
pub fn canonical_request(req: &Request<'_>, signed_headers: &str) -> String {
    // SigV4 keeps a header value's case and folds its runs of spaces into one.
    crate::canonical_with(req, signed_headers, |v| {
        v.split_whitespace().collect::<Vec<_>>().join(" ")
    })
}

/// The string a signature covers.
pub fn string_to_sign(req: &Request<'_>, signed_headers: &str, scope: &Scope<'_>) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        scope.amz_date,
        scope.credential_scope(),
        sha256_hex(canonical_request(req, signed_headers).as_bytes())
    )
}

/// The derived signing key: `AWS4` + secret, then the date, region, service, `aws4_request`.
pub fn signing_key(secret_key: &str, scope: &Scope<'_>) -> Vec<u8> {
    let day = scope.amz_date.get(..8).unwrap_or(scope.amz_date);
    let k = hmac(format!("AWS4{secret_key}").as_bytes(), day.as_bytes());
    let k = hmac(&k, scope.region.as_bytes());
    let k = hmac(&k, scope.service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The signature (lowercase hex).
pub fn signature(
    req: &Request<'_>,
    signed_headers: &str,
    secret_key: &str,
    scope: &Scope<'_>,
) -> String {
    let key = signing_key(secret_key, scope);
    hex::encode(hmac(
        &key,
        string_to_sign(req, signed_headers, scope).as_bytes(),
    ))
}

/// `YYYYMMDDTHHMMSSZ` of a Unix timestamp.
pub fn amz_date(timestamp: i64) -> String {
    let s = timestamp.rem_euclid(86_400);
    let date = utc_date(timestamp).replace('-', "");
    format!("{date}T{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Percent-encodes as SigV4 and the query API want it: everything but `A-Za-z0-9-_.~`.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A form body `k=v&...` of these parameters, in the order given.
pub fn form(params: &[(String, String)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect();
    pairs.join("&")
}

/// A form-encoded POST of the query API to sign.
#[derive(Clone, Copy, Debug)]
pub struct FormPost<'a> {
    /// `host[:port]` the request goes to.
    pub host: &'a str,
    /// The region.
    pub region: &'a str,
    /// The service (`ec2`).
    pub service: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// The form body (see [`form`]).
    pub body: &'a [u8],
}

/// Signs a form POST the way AWS's SDKs do; returns the headers to send (lowercase names),
/// `authorization` included. `token` is temporary credentials' session token.
pub fn sign_form_post(
    post: &FormPost<'_>,
    access_key: &str,
    secret_key: &str,
    token: Option<&str>,
) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    let amz = amz_date(post.timestamp);
    let mut put = |k: &str, v: &str| headers.insert(k.to_string(), v.to_string());
    put(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    put("host", post.host);
    put("x-amz-date", &amz);
    if let Some(t) = token {
        put("x-amz-security-token", t);
    }
    let signed: Vec<&str> = headers.keys().map(String::as_str).collect();
    let signed = signed.join(";");
    let scope = Scope {
        amz_date: &amz,
        region: post.region,
        service: post.service,
    };
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: post.body,
    };
    let sig = signature(&req, &signed, secret_key, &scope);
    let auth = format!(
        "{ALGORITHM} Credential={access_key}/{}, SignedHeaders={signed}, Signature={sig}",
        scope.credential_scope()
    );
    headers.insert("authorization".to_string(), auth);
    headers
}

#[cfg(test)]
mod tests;
