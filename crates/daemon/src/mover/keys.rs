//! Where a mover's keys come from at the moment of a call: the credentials file (checked for
//! owner and mode each time, so a rotated file is taken as it is), or the instance metadata
//! service's role credentials (`/latest/meta-data/cam/security-credentials/ROLE`), kept until
//! a minute before they expire. Errors name the file or the service, never a key.

use super::ledger::{Failed, Ledger, url};
use conf::mover::{Credentials, Endpoint, Keys};
use node::mover::Outcome;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;
use zeroize::Zeroizing;

/// How long before their expiry temporary keys are fetched again, in seconds.
const REFRESH_BEFORE_S: i64 = 60;

/// The metadata service's path of the role credentials.
const ROLE_PATH: &str = "/latest/meta-data/cam/security-credentials/";

/// A mover's source of keys.
pub enum KeySource {
    /// A file of `secret_id`/`secret_key` lines.
    File(PathBuf),
    /// The metadata service, with the keys it gave and their expiry (Unix seconds).
    Metadata(Endpoint, Mutex<Option<(Keys, i64)>>),
}

impl KeySource {
    /// The source the settings name.
    pub fn new(c: &Credentials) -> KeySource {
        match c {
            Credentials::File(p) => KeySource::File(p.clone()),
            Credentials::Metadata(e) => KeySource::Metadata(e.clone(), Mutex::new(None)),
        }
    }

    /// The keys to sign with now; failures are counted in `client` (`credentials`, `metadata`).
    pub fn get(&self, client: &Ledger, deadline: Instant) -> Result<Keys, Failed> {
        match self {
            KeySource::File(path) => conf::mover::read_credentials_file(path)
                .map_err(|e| client.error("credentials", &e)),
            KeySource::Metadata(endpoint, cache) => {
                let now = hostsys::clock::unix_secs() as i64;
                let mut cached = cache.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((k, expires)) = cached.as_ref()
                    && *expires - REFRESH_BEFORE_S > now
                {
                    return Ok(k.clone());
                }
                let (keys, expires) = from_metadata(client, endpoint, deadline)?;
                *cached = Some((keys.clone(), expires));
                Ok(keys)
            }
        }
    }
}

/// A GET from the metadata service, counted under `metadata`.
fn get(client: &Ledger, url: &str, deadline: Instant) -> Result<String, Failed> {
    let left = deadline.saturating_duration_since(Instant::now());
    let answer = ureq::get(url)
        .timeout(left)
        .call()
        .map_err(|e| client.transport_failed("metadata", &e.to_string(), deadline))?;
    let text = answer
        .into_string()
        .map_err(|e| client.transport_failed("metadata", &e.to_string(), deadline))?;
    client.count("metadata", Outcome::Ok, None);
    Ok(text)
}

/// The role's temporary keys and their expiry.
fn from_metadata(
    client: &Ledger,
    endpoint: &Endpoint,
    deadline: Instant,
) -> Result<(Keys, i64), Failed> {
    let base = url(endpoint, ROLE_PATH);
    let roles = get(client, &base, deadline)?;
    let bad = |why: &str| client.error("metadata", why);
    let Some(role) = roles.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(bad(
            "the metadata service names no CAM role for this instance",
        ));
    };
    if !role
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(bad("the metadata service's role name is not a plain name"));
    }
    let text = Zeroizing::new(get(client, &format!("{base}{role}"), deadline)?);
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| bad("the role credentials are not JSON"))?;
    let field = |k: &str| v[k].as_str().map(str::to_string);
    let (Some(id), Some(key)) = (field("TmpSecretId"), field("TmpSecretKey")) else {
        return Err(bad("the role credentials lack TmpSecretId or TmpSecretKey"));
    };
    let expires = v["ExpiredTime"].as_i64().unwrap_or(0);
    Ok((
        Keys {
            secret_id: id,
            secret_key: Zeroizing::new(key),
            token: field("Token").map(Zeroizing::new),
        },
        expires,
    ))
}
