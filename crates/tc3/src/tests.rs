//! Vectors from the cloud's documentation and round trips.

use super::*;

fn example_headers() -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    headers.insert(
        "content-type".to_string(),
        "application/json; charset=utf-8".to_string(),
    );
    headers.insert("host".to_string(), "cvm.tencentcloudapi.com".to_string());
    headers
}

const EXAMPLE_BODY: &str =
    r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

const EXAMPLE_SCOPE: Scope<'static> = Scope {
    date: "2019-02-25",
    service: "cvm",
    timestamp: "1551113065",
};

/// The cloud's published signing walk-through (DescribeInstances on cvm, timestamp
/// 1551113065, its example key with the asterisks as written): every intermediate and the
/// signature are the documented ones.
#[test]
fn the_clouds_published_example_signs_the_same() {
    let headers = example_headers();
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: EXAMPLE_BODY.as_bytes(),
    };
    let canonical = canonical_request(&req, "content-type;host");
    assert_eq!(
        canonical,
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    let to_sign = string_to_sign(&req, "content-type;host", &EXAMPLE_SCOPE);
    assert!(to_sign.starts_with("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"));
    let sig = signature(
        &req,
        "content-type;host",
        "Gu5t9xGARNpq86cd98joQYCN3*******",
        &EXAMPLE_SCOPE,
    );
    assert_eq!(
        sig,
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    );
    assert!(signature_matches(
        &req,
        "content-type;host",
        "Gu5t9xGARNpq86cd98joQYCN3*******",
        &EXAMPLE_SCOPE,
        &sig
    ));
}

#[test]
fn utc_dates_of_known_timestamps() {
    assert_eq!(utc_date(0), "1970-01-01");
    assert_eq!(utc_date(1_551_113_065), "2019-02-25");
    assert_eq!(utc_date(951_782_400), "2000-02-29");
    assert_eq!(utc_date(1_798_761_599), "2026-12-31");
    assert_eq!(utc_date(-1), "1969-12-31");
}

#[test]
fn a_signed_post_verifies_and_any_change_breaks_it() {
    let post = JsonPost {
        host: "127.0.0.1:8443",
        service: "vpc",
        action: "MigratePrivateIpAddress",
        version: "2017-03-12",
        region: "ap-guangzhou",
        timestamp: 1_765_000_000,
        body: br#"{"PrivateIpAddress":"10.0.0.9"}"#,
    };
    let headers = sign_json_post(&post, "AKIDexample", "secret", None);
    let auth = parse_authorization(&headers["authorization"]).expect("well formed");
    assert_eq!(auth.secret_id, "AKIDexample");
    assert_eq!(auth.service, "vpc");
    assert_eq!(auth.date, utc_date(post.timestamp));
    let ts = post.timestamp.to_string();
    let scope = Scope {
        date: &auth.date,
        service: &auth.service,
        timestamp: &ts,
    };
    let check = |headers: &BTreeMap<String, String>, body: &[u8], key: &str| {
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body,
        };
        signature_matches(&req, &auth.signed_headers, key, &scope, &auth.signature)
    };
    assert!(check(&headers, post.body, "secret"));
    assert!(!check(&headers, post.body, "secreT"));
    assert!(!check(
        &headers,
        br#"{"PrivateIpAddress":"10.0.0.8"}"#,
        "secret"
    ));
    let mut moved = headers.clone();
    moved.insert("host".to_string(), "127.0.0.1:8444".to_string());
    assert!(!check(&moved, post.body, "secret"));
}

#[test]
fn malformed_authorizations_are_refused() {
    for bad in [
        "",
        "TC3-HMAC-SHA256",
        "HMAC-SHA1 Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=00",
        "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=00",
        "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request/x, SignedHeaders=host, Signature=00",
        "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=00",
    ] {
        assert_eq!(parse_authorization(bad), None, "{bad:?}");
    }
    let headers = example_headers();
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    };
    assert!(!signature_matches(
        &req,
        "content-type;host",
        "k",
        &EXAMPLE_SCOPE,
        "zz"
    ));
    assert!(!signature_matches(
        &req,
        "content-type;host",
        "k",
        &EXAMPLE_SCOPE,
        "00"
    ));
}
