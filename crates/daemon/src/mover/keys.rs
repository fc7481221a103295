//! Where a mover's keys come from at the moment of a call: the credentials file (read again and
//! checked for owner and mode for every call, so a rotated file is taken as it is, without a
//! reload), or the instance metadata service's role keys, kept while
//! [`node::mover::keys::fresh`] says they may sign: Tencent's CAM role
//! (`/latest/meta-data/cam/security-credentials/ROLE`) or EC2's instance profile (IMDSv2,
//! [`super::imds`]). Errors name the file or the service, never a key.

use super::ledger::{Failed, Ledger, url};
use super::metadata::{agent, fetch, role_name};
use conf::mover::{Credentials, Endpoint, Keys, Provider};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;
use zeroize::Zeroizing;

/// The metadata service's path of the CAM role credentials.
const ROLE_PATH: &str = "/latest/meta-data/cam/security-credentials/";

/// A mover's source of keys.
pub enum KeySource {
    /// A file of `secret_id`/`secret_key` lines.
    File(PathBuf),
    /// The metadata service, with the keys it gave and their expiry (Unix seconds).
    Metadata {
        /// Whose metadata service: Tencent's (CAM) or EC2's (IMDSv2).
        provider: Provider,
        /// Where it answers.
        endpoint: Endpoint,
        /// The keys in hand and when they expire.
        cache: Mutex<Option<(Keys, i64)>>,
    },
}

impl KeySource {
    /// The source the settings name, for `provider`'s cloud.
    pub fn new(provider: Provider, c: &Credentials) -> KeySource {
        match c {
            Credentials::File(p) => KeySource::File(p.clone()),
            Credentials::Metadata(e) => KeySource::Metadata {
                provider,
                endpoint: e.clone(),
                cache: Mutex::new(None),
            },
        }
    }

    /// The keys to sign with now; failures are counted in `client` (`credentials`, `metadata`).
    pub fn get(&self, client: &Ledger, deadline: Instant) -> Result<Keys, Failed> {
        match self {
            KeySource::File(path) => conf::mover::read_credentials_file(path)
                .map_err(|e| client.error("credentials", &e)),
            KeySource::Metadata {
                provider,
                endpoint,
                cache,
            } => {
                let now = hostsys::clock::unix_secs() as i64;
                let mut cached = cache.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((k, expires)) = cached.as_ref()
                    && node::mover::keys::fresh(*expires, now)
                {
                    return Ok(k.clone());
                }
                let (keys, expires) = match provider {
                    Provider::Tencent => from_cam(client, endpoint, deadline)?,
                    Provider::Ec2 => super::imds::role_keys(client, endpoint, deadline)?,
                };
                *cached = Some((keys.clone(), expires));
                Ok(keys)
            }
        }
    }
}

/// The CAM role's temporary keys and their expiry.
fn from_cam(
    client: &Ledger,
    endpoint: &Endpoint,
    deadline: Instant,
) -> Result<(Keys, i64), Failed> {
    let agent = agent();
    let base = url(endpoint, ROLE_PATH);
    let roles = fetch(client, agent.get(&base), deadline)?;
    let role = role_name(client, &roles, "CAM role")?;
    let bad = |why: &str| client.error("metadata", why);
    let text = Zeroizing::new(fetch(
        client,
        agent.get(&format!("{base}{role}")),
        deadline,
    )?);
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
