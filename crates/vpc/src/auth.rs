//! TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0: computing it (for our own clients
//! and tests) and verifying a request against the keys we hold. Pure functions.

use crate::error::ApiError;
use std::collections::BTreeMap;
pub use tc3::{Authorization, SignedRequest, utc_date};

/// How far a request's timestamp may be from our clock (the cloud allows five minutes).
pub const MAX_SKEW_SECS: i64 = 300;

/// The headers a signature must cover.
pub const REQUIRED_SIGNED_HEADERS: [&str; 2] = ["content-type", "host"];

/// Whether the signature `auth` claims is that of `req` with `secret_key` (the `tc3` crate's
/// canonical request and MAC, compared in constant time).
fn signature_matches(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    secret_key: &str,
    timestamp: &str,
) -> bool {
    let scope = tc3::Scope {
        date: &auth.date,
        service: &auth.service,
        timestamp,
    };
    tc3::signature_matches(
        req,
        &auth.signed_headers,
        secret_key,
        &scope,
        &auth.signature,
    )
}

/// Parses the Authorization header (`tc3`'s parser), naming what is malformed.
pub fn parse_authorization(value: &str) -> Result<Authorization, ApiError> {
    tc3::parse_authorization(value).ok_or_else(|| {
        let why = if value.starts_with(tc3::ALGORITHM) {
            "expected Credential=SecretId/Date/service/tc3_request, SignedHeaders=..., Signature=..."
        } else {
            "it must start with `TC3-HMAC-SHA256 `"
        };
        ApiError::new(
            "AuthFailure.InvalidAuthorization",
            format!("Authorization header is malformed: {why}"),
        )
    })
}

/// The services a request may name in its credential scope: `vpc`, and the first label of the
/// host it was sent to (the cloud's SDKs pointed at `HOST:PORT` take their service from it,
/// e.g. `127` for `127.0.0.1:8080`).
fn scope_service_allowed(service: &str, host: Option<&str>) -> bool {
    let first_label = host
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
        .and_then(|h| h.trim_start_matches('[').split(['.', ']']).next());
    service == "vpc" || first_label.is_some_and(|l| !l.is_empty() && l == service)
}

/// The Host values a client may have signed: as received, and without its port (some SDKs
/// sign the bare host name and send `HOST:PORT`).
fn host_variants(host: &str) -> Vec<String> {
    let mut out = vec![host.to_string()];
    if let Some((name, port)) = host.rsplit_once(':')
        && !name.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && (!name.contains(':') || name.ends_with(']'))
    {
        out.push(name.to_string());
    }
    out
}

fn checked_timestamp(timestamp: &str, now: i64) -> Result<i64, ApiError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| {
        ApiError::new(
            "InvalidParameter",
            format!("X-TC-Timestamp `{timestamp}` is not a Unix time in seconds"),
        )
    })?;
    let skew = now.checked_sub(ts).map(i64::unsigned_abs);
    if skew.is_none_or(|s| s > MAX_SKEW_SECS.unsigned_abs()) {
        return Err(ApiError::new(
            "AuthFailure.SignatureExpire",
            format!(
                "the request was signed at {ts}, {} s from the server's clock (at most {MAX_SKEW_SECS} s)",
                skew.map_or("too many".to_string(), |s| s.to_string())
            ),
        ));
    }
    Ok(ts)
}

/// A request whose headers passed every check but the signature: its Authorization, the
/// key of its SecretId and its timestamp.
#[derive(Clone, Debug)]
pub struct Prechecked {
    /// The parsed Authorization header.
    pub auth: Authorization,
    /// The SecretKey of its SecretId.
    pub key: String,
    /// X-TC-Timestamp as sent.
    pub timestamp: String,
}

/// Checks what the headers alone can tell before the body is read: an Authorization header
/// that parses, a credential scope for this service, the required signed headers, a timestamp
/// within [`MAX_SKEW_SECS`] and a known SecretId. `headers` by lowercase name.
pub fn precheck(
    headers: &BTreeMap<String, String>,
    now: i64,
    secret_of: impl Fn(&str) -> Option<String>,
) -> Result<Prechecked, ApiError> {
    let header = headers.get("authorization").ok_or_else(|| {
        ApiError::new(
            "AuthFailure.SignatureFailure",
            "the request is not signed: no Authorization header",
        )
    })?;
    let auth = parse_authorization(header)?;
    let host = headers.get("host").map(String::as_str);
    if !scope_service_allowed(&auth.service, host) {
        return Err(ApiError::new(
            "AuthFailure.InvalidAuthorization",
            format!(
                "the credential scope names service `{}`; this endpoint is `vpc` (or the first label of its host)",
                auth.service
            ),
        ));
    }
    for required in REQUIRED_SIGNED_HEADERS {
        if !auth.signed_headers.split(';').any(|h| h == required) {
            return Err(ApiError::new(
                "AuthFailure.InvalidAuthorization",
                format!("SignedHeaders must include `{required}`"),
            ));
        }
    }
    let timestamp = headers.get("x-tc-timestamp").ok_or_else(|| {
        ApiError::new("MissingParameter", "the X-TC-Timestamp header is required")
    })?;
    let ts = checked_timestamp(timestamp, now)?;
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
    Ok(Prechecked {
        auth,
        key,
        timestamp: timestamp.trim().to_string(),
    })
}

/// Checks a request's signature; `secret_of` looks a SecretId's key up. Returns the SecretId.
pub fn verify(
    req: &SignedRequest<'_>,
    now: i64,
    secret_of: impl Fn(&str) -> Option<String>,
) -> Result<String, ApiError> {
    let Prechecked {
        auth,
        key,
        timestamp,
    } = precheck(req.headers, now, secret_of)?;
    let host = req.headers.get("host").map(String::as_str);
    let matches = host_variants(host.unwrap_or("")).into_iter().any(|h| {
        let mut headers = req.headers.clone();
        headers.insert("host".to_string(), h);
        let variant = SignedRequest {
            headers: &headers,
            ..req.clone()
        };
        signature_matches(&variant, &auth, &key, &timestamp)
    });
    if !matches {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ));
    }
    Ok(auth.secret_id)
}

/// Signs a JSON POST to `host` the way the cloud's SDK does (`tc3::sign_json_post`, region
/// `ap-guangzhou`, service `vpc`); returns the headers to send.
pub fn sign_request(
    host: &str,
    action: &str,
    body: &[u8],
    secret_id: &str,
    secret_key: &str,
    timestamp: i64,
) -> BTreeMap<String, String> {
    let post = tc3::JsonPost {
        host,
        service: "vpc",
        action,
        version: "2017-03-12",
        region: "ap-guangzhou",
        timestamp,
        body,
    };
    tc3::sign_json_post(&post, secret_id, secret_key, None)
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

    /// The cloud's published signing walk-through (DescribeInstances on cvm, timestamp
    /// 1551113065, its example key with the asterisks as written): the same signature.
    #[test]
    fn the_clouds_published_example_signs_the_same() {
        let mut headers = BTreeMap::new();
        headers.insert(
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        );
        headers.insert("host".to_string(), "cvm.tencentcloudapi.com".to_string());
        let body = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        assert_eq!(
            tc3::signature(
                &req,
                "content-type;host",
                "Gu5t9xGARNpq86cd98joQYCN3*******",
                &tc3::Scope {
                    date: "2019-02-25",
                    service: "cvm",
                    timestamp: "1551113065"
                }
            ),
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    fn verify_at(headers: &BTreeMap<String, String>, now: i64) -> Result<String, ApiError> {
        verify(
            &SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers,
                body: b"{}",
            },
            now,
            key_of,
        )
    }

    const ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";

    #[test]
    fn timestamps_at_the_ends_of_i64_expire_instead_of_overflowing() {
        for (ts, now) in [(i64::MIN, 1_700_000_000), (i64::MAX, -5), (1, i64::MIN)] {
            let mut headers = sign_request("h", "DescribeHaVips", b"{}", ID, KEY, 0);
            headers.insert("x-tc-timestamp".into(), ts.to_string());
            let e = verify_at(&headers, now).expect_err("far timestamp");
            assert_eq!(e.code, "AuthFailure.SignatureExpire", "{ts} at {now}");
        }
    }

    #[test]
    fn signatures_that_are_not_hex_or_short_fail_like_wrong_ones() {
        let ts = 1_700_000_000;
        let headers = sign_request("h", "DescribeHaVips", b"{}", ID, KEY, ts);
        let auth = headers["authorization"].clone();
        let sig = auth.rsplit_once("Signature=").expect("sig").1.to_string();
        for bad in [
            "zz".repeat(32),
            sig[..62].to_string(),
            format!("{sig}00"),
            String::new(),
        ] {
            let mut h = headers.clone();
            h.insert("authorization".into(), auth.replace(&sig, &bad));
            let e = verify_at(&h, ts).expect_err("bad signature");
            assert_eq!(e.code, "AuthFailure.SignatureFailure", "{bad}");
        }
    }

    #[test]
    fn sdk_endpoint_forms_host_with_or_without_port_and_service_from_the_host() {
        let ts = 1_700_000_000;
        // Signed with the bare host, sent with the port.
        let mut h = sign_request("127.0.0.1", "DescribeHaVips", b"{}", ID, KEY, ts);
        h.insert("host".into(), "127.0.0.1:8080".into());
        assert_eq!(verify_at(&h, ts).as_deref(), Ok(ID));
        // Signed and sent with the port.
        let h = sign_request("127.0.0.1:8080", "DescribeHaVips", b"{}", ID, KEY, ts);
        assert_eq!(verify_at(&h, ts).as_deref(), Ok(ID));
        // Signed with another port than the one it reached: refused.
        let mut h = sign_request("127.0.0.1:9", "DescribeHaVips", b"{}", ID, KEY, ts);
        h.insert("host".into(), "127.0.0.1:8080".into());
        assert_eq!(
            verify_at(&h, ts).expect_err("port").code,
            "AuthFailure.SignatureFailure"
        );
        // The credential scope's service as an SDK derives it from `127.0.0.1:PORT`.
        let re_scoped = |host: &str, service: &str| {
            let mut h = sign_request(host, "DescribeHaVips", b"{}", ID, KEY, ts);
            let req = SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &h,
                body: b"{}",
            };
            let date = utc_date(ts);
            let ts_text = ts.to_string();
            let scope = tc3::Scope {
                date: &date,
                service,
                timestamp: &ts_text,
            };
            let sig = tc3::signature(&req, "content-type;host", KEY, &scope);
            h.insert(
                "authorization".into(),
                format!("TC3-HMAC-SHA256 Credential={ID}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}"),
            );
            verify_at(&h, ts)
        };
        assert_eq!(re_scoped("127.0.0.1:8080", "127").as_deref(), Ok(ID));
        assert_eq!(re_scoped("[::1]:8080", "::1").as_deref(), Ok(ID));
        assert_eq!(
            re_scoped("127.0.0.1:8080", "cvm")
                .expect_err("other service")
                .code,
            "AuthFailure.InvalidAuthorization"
        );
    }
}
