//! What the HTTP side keeps between requests, apart from the VPC: the API keys and the account
//! of each, the request limiter, the replay cache, the console's sessions, who may reach what,
//! and the connection limits. The service carries it (`service::Service`); the HTTP
//! modules (`api.rs`, `console.rs`, `internal.rs`, `server.rs`) read it to authenticate.

use crate::guard::HostPolicy;
use crate::limits::RateLimiter;
use crate::listen::ConnectionLimits;
use crate::replay::ReplayCache;
use crate::session::Sessions;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// Who may reach what: the names served, whether over TLS, the data plane's secret and the
/// console's start token.
#[derive(Clone, Debug)]
pub struct Access {
    /// Host names answered besides IP literals and `localhost`.
    pub hosts: HostPolicy,
    /// Served over TLS (cookies are `Secure`, origins `https://`).
    pub tls: bool,
    /// The secret `/internal/*` requires (`Authorization: Bearer`).
    pub internal_secret: String,
    /// The token that logs in to the console, printed at start.
    pub console_token: String,
}

impl Default for Access {
    /// Plain HTTP, IP literals and `localhost`, a random internal secret and console token.
    fn default() -> Self {
        Access {
            hosts: HostPolicy::default(),
            tls: false,
            internal_secret: crate::session::random_token(),
            console_token: crate::session::random_token(),
        }
    }
}

/// What the instance metadata service (`metadata.rs`) tells beyond the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataSettings {
    /// `placement/region`.
    pub region: String,
    /// The CAM role every instance has (`cam/security-credentials/`), if any.
    pub role: Option<String>,
    /// How long a temporary key is valid.
    pub credential_ttl: std::time::Duration,
}

impl Default for MetadataSettings {
    /// `ap-guangzhou`, no role, keys valid for 2 hours (the cloud's).
    fn default() -> Self {
        MetadataSettings {
            region: "ap-guangzhou".to_string(),
            role: None,
            credential_ttl: std::time::Duration::from_secs(7200),
        }
    }
}

/// The HTTP side's keys, limits and sessions.
pub struct Front {
    pub(crate) keys: BTreeMap<String, String>,
    accounts: BTreeMap<String, String>,
    pub(crate) limiter: Mutex<RateLimiter>,
    pub(crate) replays: Mutex<ReplayCache>,
    pub(crate) requests_per_second: u32,
    pub(crate) connections: ConnectionLimits,
    pub(crate) access: Access,
    pub(crate) sessions: Mutex<Sessions>,
    /// Temporary keys the metadata service issued (`credentials.rs`).
    pub(crate) temporary: Mutex<crate::credentials::TemporaryKeys>,
}

impl Front {
    /// `keys` (SecretId -> SecretKey), the account of each (`accounts`; a key not named there
    /// is the default account's), who may reach what, and the limits.
    pub fn new(
        keys: BTreeMap<String, String>,
        accounts: BTreeMap<String, String>,
        access: Access,
        connections: ConnectionLimits,
        requests_per_second: u32,
    ) -> Self {
        let sessions = Sessions::new(keys.clone(), access.console_token.clone());
        Front {
            keys,
            accounts,
            limiter: Mutex::new(RateLimiter::default()),
            replays: Mutex::new(ReplayCache::default()),
            requests_per_second,
            connections,
            access,
            sessions: Mutex::new(sessions),
            temporary: Mutex::new(crate::credentials::TemporaryKeys::default()),
        }
    }

    /// The account (AppId) of a SecretId.
    pub fn account_of(&self, secret_id: &str) -> &str {
        self.accounts
            .get(secret_id)
            .map_or(crate::accounts::DEFAULT_ACCOUNT, String::as_str)
    }

    /// The account a console session acts for: its key's, or `None` for the start token
    /// (the operator, who sees every account).
    pub fn session_account(&self, who: &str) -> Option<String> {
        self.keys
            .contains_key(who)
            .then(|| self.account_of(who).to_string())
    }
}

/// Reads a keys file: one `SecretId SecretKey [AppId]` per line, `#` comments; the keys.
pub fn read_keys(path: &Path) -> Result<BTreeMap<String, String>> {
    read_key_file(path).map(|(keys, _)| keys)
}

/// Reads a keys file: the keys, and the account (AppId, digits) of each key that names one
/// (the others are [`crate::accounts::DEFAULT_ACCOUNT`]'s).
pub fn read_key_file(path: &Path) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading keys {}", path.display()))?;
    let mut keys = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (id, key, account) = match words.as_slice() {
            [id, key] => (id, key, None),
            [id, key, account] => (id, key, Some(account)),
            _ => bail!(
                "{}:{}: expected `SecretId SecretKey [AppId]`, found {} words",
                path.display(),
                n + 1,
                words.len()
            ),
        };
        if let Some(account) = account {
            if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!(
                    "{}:{}: the AppId `{account}` of {id} is not a number",
                    path.display(),
                    n + 1
                );
            }
            accounts.insert(id.to_string(), account.to_string());
        }
        keys.insert(id.to_string(), key.to_string());
    }
    if keys.is_empty() {
        bail!("{} holds no key", path.display());
    }
    Ok((keys, accounts))
}
