//! EC2's instance profile keys through the instance metadata service, IMDSv2 (`provider ec2`,
//! `credentials metadata [URL]`, default `http://169.254.169.254`): a session token from
//! `PUT /latest/api/token` (`X-aws-ec2-metadata-token-ttl-seconds`), then, with it in
//! `X-aws-ec2-metadata-token`, the role's name from
//! `GET /latest/meta-data/iam/security-credentials/` and its keys from `.../ROLE` (JSON:
//! `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`). A token is asked for each time the
//! keys are (every few hours: they are kept until shortly before they expire). IMDSv1 (no
//! token) is not spoken: instances that require IMDSv2 refuse it.

use super::ledger::{Failed, Ledger, url};
use super::metadata::{agent, fetch, role_name};
use conf::mover::{Endpoint, Keys};
use std::time::Instant;
use zeroize::Zeroizing;

/// The session token's path.
const TOKEN_PATH: &str = "/latest/api/token";

/// The instance profile's path.
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// How long the session token is asked to last, in seconds: it serves the two GETs that follow.
const TOKEN_TTL_S: &str = "60";

/// The instance profile role's keys and their expiry (Unix seconds).
pub fn role_keys(
    client: &Ledger,
    endpoint: &Endpoint,
    deadline: Instant,
) -> Result<(Keys, i64), Failed> {
    let agent = agent();
    let put = agent
        .put(&url(endpoint, TOKEN_PATH))
        .set("X-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL_S);
    let token = Zeroizing::new(fetch(client, put, deadline)?.trim().to_string());
    if token.is_empty() {
        return Err(client.error("metadata", "IMDSv2 answered an empty session token"));
    }
    let get = |path: &str| {
        agent
            .get(&url(endpoint, path))
            .set("X-aws-ec2-metadata-token", &token)
    };
    let roles = fetch(client, get(ROLE_PATH), deadline)?;
    let role = role_name(client, &roles, "instance profile role")?;
    let text = Zeroizing::new(fetch(client, get(&format!("{ROLE_PATH}{role}")), deadline)?);
    parse(&text).map_err(|why| client.error("metadata", why))
}

/// The keys of an IMDS credentials document; errors name fields, never values.
fn parse(text: &str) -> Result<(Keys, i64), &'static str> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| "the role credentials are not JSON")?;
    if v.get("Code").is_some_and(|c| c != "Success") {
        return Err("the metadata service's role credentials do not say Code: Success");
    }
    let field = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(id), Some(key), Some(token)) = (
        field("AccessKeyId"),
        field("SecretAccessKey"),
        field("Token"),
    ) else {
        return Err("the role credentials lack AccessKeyId, SecretAccessKey or Token");
    };
    let expires = field("Expiration")
        .as_deref()
        .and_then(hostsys::clock::parse_utc)
        .ok_or("the role credentials' Expiration is not a UTC time (2026-12-08T06:00:00Z)")?;
    let keys = Keys {
        secret_id: id,
        secret_key: Zeroizing::new(key),
        token: Some(Zeroizing::new(token)),
    };
    Ok((keys, expires))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn imds_documents_give_keys_and_expiry_and_errors_name_no_value() {
        let doc = r#"{"Code":"Success","LastUpdated":"2026-12-08T00:00:00Z","Type":"AWS-HMAC",
            "AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"t0k3n",
            "Expiration":"2026-12-08T06:00:00Z"}"#;
        let (k, exp) = parse(doc).expect("parses");
        assert_eq!(k.secret_id, "ASIAEXAMPLE");
        assert_eq!(k.secret_key.as_str(), "s3cr3t");
        assert_eq!(k.token.as_deref().map(String::as_str), Some("t0k3n"));
        assert_eq!(
            exp,
            hostsys::clock::parse_utc("2026-12-08T06:00:00Z").expect("utc")
        );
        for bad in [
            doc.replace("\"Success\"", "\"Failure\""),
            doc.replace("\"Token\"", "\"Tok\""),
            doc.replace("2026-12-08T06:00:00Z", "soon"),
            "not json s3cr3t".to_string(),
        ] {
            let e = parse(&bad).expect_err("refused");
            assert!(!e.contains("s3cr3t") && !e.contains("t0k3n"), "{e}");
        }
    }
}
