//! AWS's published SigV4 example and round trips.

use super::*;

/// The SigV4 documentation's example: `GET https://iam.amazonaws.com/?Action=ListUsers&
/// Version=2010-05-08` at 20150830T123600Z, key `AKIDEXAMPLE`/`wJalrXUtnFEMI/K7MDENG+bPxRfiCY
/// EXAMPLEKEY`, us-east-1, iam: the documented canonical request hash, signing key and
/// signature.
#[test]
fn aws_published_example_signs_the_same() {
    let mut headers = BTreeMap::new();
    headers.insert(
        "content-type".to_string(),
        "application/x-www-form-urlencoded; charset=utf-8".to_string(),
    );
    headers.insert("host".to_string(), "iam.amazonaws.com".to_string());
    headers.insert("x-amz-date".to_string(), "20150830T123600Z".to_string());
    let req = Request {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        body: b"",
    };
    let scope = Scope {
        amz_date: "20150830T123600Z",
        region: "us-east-1",
        service: "iam",
    };
    let signed = "content-type;host;x-amz-date";
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    assert_eq!(
        sha256_hex(canonical_request(&req, signed).as_bytes()),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    assert_eq!(
        hex::encode(signing_key(secret, &scope)),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    assert_eq!(
        signature(&req, signed, secret, &scope),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn dates_encoding_and_a_signed_post() {
    assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
    assert_eq!(uri_encode("a b/+=~"), "a%20b%2F%2B%3D~");
    let body = form(&[
        ("Action".into(), "AssignPrivateIpAddresses".into()),
        ("PrivateIpAddress.1".into(), "10.0.0.9".into()),
    ]);
    assert_eq!(
        body,
        "Action=AssignPrivateIpAddresses&PrivateIpAddress.1=10.0.0.9"
    );
    let post = FormPost {
        host: "127.0.0.1:5000",
        region: "us-east-1",
        service: "ec2",
        timestamp: 1_440_938_160,
        body: body.as_bytes(),
    };
    let h = sign_form_post(&post, "AKID", "secret", Some("tok"));
    let auth = &h["authorization"];
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="),
        "{auth}"
    );
    let other = sign_form_post(&post, "AKID", "secreT", Some("tok"));
    assert_ne!(other["authorization"], *auth);
}
