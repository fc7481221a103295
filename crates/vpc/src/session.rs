//! The console's logins: who may log in (an API key pair from the keys file, or the token
//! printed when the server started), the sessions they hold (a random id in an HttpOnly,
//! SameSite=Strict cookie, a CSRF token the page sends with every action), and bounds on both:
//! sessions expire, their number is capped, failed logins are rate-limited. Pure: the clock is
//! passed in.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "havip_session";
/// How long a session lasts after its last use.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// Sessions kept at most; a new login beyond that ends the least recently used.
pub const MAX_SESSIONS: usize = 64;
/// Failed logins accepted per minute; beyond that every login waits.
pub const FAILURES_PER_MINUTE: usize = 10;

/// What a login offers.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Credentials {
    /// The API key's id, with `secret_key`.
    #[serde(default)]
    pub secret_id: Option<String>,
    /// The API key's secret.
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The token printed at start.
    #[serde(default)]
    pub token: Option<String>,
}

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who logged in: the SecretId, or `token`.
    pub who: String,
    /// The token every action must carry (`X-CSRF-Token`).
    pub csrf: String,
    last_use: Instant,
}

/// Why a login failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong or incomplete credentials.
    Denied(String),
    /// Too many failures in the last minute.
    TooMany,
}

/// The sessions of one server run.
pub struct Sessions {
    token: String,
    keys: BTreeMap<String, String>,
    /// Keyed by the SHA-256 of the cookie's value: a lookup's timing says nothing of the id.
    live: HashMap<[u8; 32], Session>,
    failures: VecDeque<Instant>,
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Equal in constant time (for equal lengths; lengths are not secret).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// Logins with `keys` or `token`.
    pub fn new(keys: BTreeMap<String, String>, token: String) -> Self {
        Sessions {
            token,
            keys,
            live: HashMap::new(),
            failures: VecDeque::new(),
        }
    }

    /// The token printed at start.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Checks `c` and opens a session: returns the cookie's value and the session.
    pub fn login(
        &mut self,
        c: &Credentials,
        now: Instant,
    ) -> Result<(String, Session), LoginError> {
        while self
            .failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(60))
        {
            self.failures.pop_front();
        }
        if self.failures.len() >= FAILURES_PER_MINUTE {
            return Err(LoginError::TooMany);
        }
        let who = match self.verify(c) {
            Ok(who) => who,
            Err(why) => {
                self.failures.push_back(now);
                return Err(LoginError::Denied(why));
            }
        };
        self.expire(now);
        if self.live.len() >= MAX_SESSIONS
            && let Some(oldest) = self
                .live
                .iter()
                .min_by_key(|(_, s)| s.last_use)
                .map(|(k, _)| *k)
        {
            self.live.remove(&oldest);
        }
        let id = random_token();
        let session = Session {
            who,
            csrf: random_token(),
            last_use: now,
        };
        self.live.insert(digest(&id), session.clone());
        Ok((id, session))
    }

    fn verify(&self, c: &Credentials) -> Result<String, String> {
        match (&c.secret_id, &c.secret_key, &c.token) {
            (None, None, Some(t)) if same_secret(t, &self.token) => Ok("token".into()),
            (None, None, Some(_)) => Err("the token is not this server's".into()),
            (Some(id), Some(key), None) => match self.keys.get(id) {
                Some(k) if same_secret(key, k) => Ok(id.clone()),
                _ => Err("unknown SecretId or wrong SecretKey".into()),
            },
            _ => Err("log in with SecretId and SecretKey, or with Token".into()),
        }
    }

    /// The session a cookie's value names, if it is live (its use is recorded).
    pub fn get(&mut self, id: &str, now: Instant) -> Option<&Session> {
        self.expire(now);
        let s = self.live.get_mut(&digest(id))?;
        s.last_use = now;
        Some(s)
    }

    /// Ends a session.
    pub fn logout(&mut self, id: &str) {
        self.live.remove(&digest(id));
    }

    fn expire(&mut self, now: Instant) {
        self.live
            .retain(|_, s| now.saturating_duration_since(s.last_use) < IDLE);
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// No live session.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
}

/// The session cookie's value in a `Cookie` header.
pub fn cookie_value(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == COOKIE).then_some(v)
    })
}

/// The `Set-Cookie` value for a new session (`Secure` over TLS).
pub fn set_cookie(id: &str, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        IDLE.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> Sessions {
        let keys = BTreeMap::from([("AKIDx".to_string(), "secret".to_string())]);
        Sessions::new(keys, "t0ken".into())
    }

    fn key(id: &str, key: &str) -> Credentials {
        Credentials {
            secret_id: Some(id.into()),
            secret_key: Some(key.into()),
            token: None,
        }
    }

    fn token(t: &str) -> Credentials {
        Credentials {
            secret_id: None,
            secret_key: None,
            token: Some(t.into()),
        }
    }

    #[test]
    fn a_key_pair_or_the_token_opens_a_session_with_its_own_csrf_token() {
        let mut s = sessions();
        let now = Instant::now();
        let (id, a) = s.login(&key("AKIDx", "secret"), now).expect("key");
        assert_eq!(a.who, "AKIDx");
        let (id2, b) = s.login(&token("t0ken"), now).expect("token");
        assert_eq!(b.who, "token");
        assert_ne!(id, id2);
        assert_ne!(a.csrf, b.csrf);
        assert_eq!(id.len(), 64);
        assert_eq!(s.get(&id, now).expect("live").csrf, a.csrf);
        s.logout(&id);
        assert!(s.get(&id, now).is_none());
        assert!(s.get(&id2, now).is_some());
    }

    #[test]
    fn wrong_or_mixed_credentials_are_denied() {
        let mut s = sessions();
        let now = Instant::now();
        for c in [
            key("AKIDx", "secreT"),
            key("AKIDy", "secret"),
            token("t0kem"),
            token(""),
            Credentials {
                secret_id: Some("AKIDx".into()),
                secret_key: Some("secret".into()),
                token: Some("t0ken".into()),
            },
        ] {
            assert!(
                matches!(s.login(&c, now), Err(LoginError::Denied(_))),
                "{c:?}"
            );
        }
        assert!(s.is_empty());
    }

    #[test]
    fn failed_logins_are_rate_limited_for_a_minute() {
        let mut s = sessions();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(s.login(&token("guess"), now).is_err());
        }
        assert_eq!(
            s.login(&token("t0ken"), now).map(|_| ()),
            Err(LoginError::TooMany)
        );
        let later = now + Duration::from_secs(61);
        assert!(s.login(&token("t0ken"), later).is_ok());
    }

    #[test]
    fn sessions_expire_when_idle_and_are_capped() {
        let mut s = sessions();
        let now = Instant::now();
        let (id, _) = s.login(&token("t0ken"), now).expect("login");
        assert!(s.get(&id, now + IDLE - Duration::from_secs(1)).is_some());
        assert!(s.get(&id, now + IDLE * 2).is_none(), "idle too long");
        let first = s.login(&token("t0ken"), now).expect("login").0;
        for k in 1..=MAX_SESSIONS as u64 {
            s.login(&token("t0ken"), now + Duration::from_millis(k))
                .expect("login");
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(s.get(&first, now).is_none(), "the least recently used went");
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let c = set_cookie("abc", true);
        assert!(c.starts_with("havip_session=abc;"));
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!set_cookie("abc", false).contains("Secure"));
        assert_eq!(cookie_value("a=1; havip_session=xyz; b=2"), Some("xyz"));
        assert_eq!(cookie_value("havip_sessionx=1"), None);
    }
}
