//! TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0: computing it (for our own clients
//! and tests) and verifying a request against the keys we hold. Pure functions.

use crate::error::ApiError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// How far a request's timestamp may be from our clock (the cloud allows five minutes).
pub const MAX_SKEW_SECS: i64 = 300;

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

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The signature for `req` with `secret_key`, for `date` (`YYYY-MM-DD`, UTC), `service` and
/// `timestamp`, over `signed_headers` (lowercase names, `;`-separated).
pub fn signature(
    req: &SignedRequest<'_>,
    signed_headers: &str,
    secret_key: &str,
    date: &str,
    service: &str,
    timestamp: &str,
) -> String {
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let value = req.headers.get(name).map(|v| v.trim()).unwrap_or("");
        canonical_headers.push_str(&format!("{name}:{}\n", value.to_lowercase()));
    }
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        req.query,
        canonical_headers,
        signed_headers,
        sha256_hex(req.body)
    );
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    hex::encode(hmac(&k_signing, to_sign.as_bytes()))
}

/// The parts of an `Authorization: TC3-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// SecretId.
    pub secret_id: String,
    /// Date of the credential scope.
    pub date: String,
    /// Service of the credential scope.
    pub service: String,
    /// Signed header names.
    pub signed_headers: String,
    /// Hex signature.
    pub signature: String,
}

/// Parses the Authorization header.
pub fn parse_authorization(value: &str) -> Result<Authorization, ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            "AuthFailure.InvalidAuthorization",
            format!("Authorization header is malformed: {why}"),
        )
    };
    let rest = value
        .strip_prefix("TC3-HMAC-SHA256 ")
        .ok_or_else(|| bad("it must start with `TC3-HMAC-SHA256 `"))?;
    let mut fields = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("expected Credential=..., SignedHeaders=..., Signature=..."))?;
        fields.insert(k.trim(), v.trim());
    }
    let credential = fields
        .get("Credential")
        .ok_or_else(|| bad("no Credential"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [secret_id, date, service, "tc3_request"] = parts.as_slice() else {
        return Err(bad("Credential must be SecretId/Date/service/tc3_request"));
    };
    Ok(Authorization {
        secret_id: secret_id.to_string(),
        date: date.to_string(),
        service: service.to_string(),
        signed_headers: fields
            .get("SignedHeaders")
            .ok_or_else(|| bad("no SignedHeaders"))?
            .to_string(),
        signature: fields
            .get("Signature")
            .ok_or_else(|| bad("no Signature"))?
            .to_string(),
    })
}

/// The UTC date of a Unix timestamp, `YYYY-MM-DD`.
pub fn utc_date(timestamp: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(timestamp)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

/// Checks a request's signature; `secret_of` looks a SecretId's key up. Returns the SecretId.
pub fn verify(
    req: &SignedRequest<'_>,
    now: i64,
    secret_of: impl Fn(&str) -> Option<String>,
) -> Result<String, ApiError> {
    let header = req.headers.get("authorization").ok_or_else(|| {
        ApiError::new(
            "AuthFailure.SignatureFailure",
            "the request is not signed: no Authorization header",
        )
    })?;
    let auth = parse_authorization(header)?;
    if auth.service != "vpc" {
        return Err(ApiError::new(
            "AuthFailure.InvalidAuthorization",
            format!(
                "the credential scope names service `{}`; this endpoint is `vpc`",
                auth.service
            ),
        ));
    }
    for required in ["content-type", "host"] {
        if !auth.signed_headers.split(';').any(|h| h == required) {
            return Err(ApiError::new(
                "AuthFailure.InvalidAuthorization",
                format!("SignedHeaders must include `{required}`"),
            ));
        }
    }
    let timestamp = req.headers.get("x-tc-timestamp").ok_or_else(|| {
        ApiError::new("MissingParameter", "the X-TC-Timestamp header is required")
    })?;
    let ts: i64 = timestamp.trim().parse().map_err(|_| {
        ApiError::new(
            "InvalidParameter",
            format!("X-TC-Timestamp `{timestamp}` is not a Unix time in seconds"),
        )
    })?;
    if (now - ts).abs() > MAX_SKEW_SECS {
        return Err(ApiError::new(
            "AuthFailure.SignatureExpire",
            format!(
                "the request was signed at {ts}, {} s from the server's clock (at most {MAX_SKEW_SECS} s)",
                now - ts
            ),
        ));
    }
    if utc_date(ts) != auth.date {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            format!(
                "the credential date {} is not the UTC date of the timestamp ({})",
                auth.date,
                utc_date(ts)
            ),
        ));
    }
    let key = secret_of(&auth.secret_id).ok_or_else(|| {
        ApiError::new(
            "AuthFailure.SecretIdNotFound",
            format!("SecretId `{}` is not known to this VPC", auth.secret_id),
        )
    })?;
    let expected = signature(
        req,
        &auth.signed_headers,
        &key,
        &auth.date,
        &auth.service,
        timestamp.trim(),
    );
    if expected != auth.signature.to_lowercase() {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ));
    }
    Ok(auth.secret_id)
}

/// Signs a JSON POST to `host` the way the cloud's SDK does; returns the headers to send.
pub fn sign_request(
    host: &str,
    action: &str,
    body: &[u8],
    secret_id: &str,
    secret_key: &str,
    timestamp: i64,
) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    headers.insert("content-type".to_string(), "application/json".to_string());
    headers.insert("host".to_string(), host.to_string());
    headers.insert("x-tc-action".to_string(), action.to_string());
    headers.insert("x-tc-version".to_string(), "2017-03-12".to_string());
    headers.insert("x-tc-timestamp".to_string(), timestamp.to_string());
    headers.insert("x-tc-region".to_string(), "ap-guangzhou".to_string());
    let date = utc_date(timestamp);
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let sig = signature(
        &req,
        "content-type;host",
        secret_key,
        &date,
        "vpc",
        &timestamp.to_string(),
    );
    headers.insert(
        "authorization".to_string(),
        format!(
            "TC3-HMAC-SHA256 Credential={secret_id}/{date}/vpc/tc3_request, SignedHeaders=content-type;host, Signature={sig}"
        ),
    );
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";

    fn key_of(id: &str) -> Option<String> {
        (id == "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE").then(|| KEY.to_string())
    }

    #[test]
    fn sign_then_verify_and_any_change_breaks_it() {
        let body = br#"{"Limit": 1}"#;
        let ts = 1_551_113_065;
        let headers = sign_request(
            "vpc.tencentcloudapi.com",
            "DescribeHaVips",
            body,
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            KEY,
            ts,
        );
        let req = |h: &BTreeMap<String, String>, b: &'static [u8]| {
            verify(
                &SignedRequest {
                    method: "POST",
                    path: "/",
                    query: "",
                    headers: h,
                    body: b,
                },
                ts + 10,
                key_of,
            )
        };
        assert_eq!(
            req(&headers, body).as_deref(),
            Ok("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE")
        );
        let tampered = req(&headers, br#"{"Limit": 2}"#).expect_err("body changed");
        assert_eq!(tampered.code, "AuthFailure.SignatureFailure");
        let mut other_host = headers.clone();
        other_host.insert("host".into(), "evil.example".into());
        assert_eq!(
            req(&other_host, body).expect_err("host").code,
            "AuthFailure.SignatureFailure"
        );
        let late = verify(
            &SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                body,
            },
            ts + 301,
            key_of,
        );
        assert_eq!(
            late.expect_err("expired").code,
            "AuthFailure.SignatureExpire"
        );
    }

    #[test]
    fn unknown_ids_and_malformed_headers_are_named() {
        let headers = sign_request(
            "h",
            "DescribeHaVips",
            b"{}",
            "AKIDother",
            KEY,
            1_700_000_000,
        );
        let r = verify(
            &SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                body: b"{}",
            },
            1_700_000_000,
            key_of,
        );
        assert_eq!(r.expect_err("unknown").code, "AuthFailure.SecretIdNotFound");
        assert_eq!(
            parse_authorization("Basic abc").expect_err("basic").code,
            "AuthFailure.InvalidAuthorization"
        );
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
    }
}
