//! The console's logins: who may log in (an API key pair from the keys file, or the token
//! printed when the server started), the sessions they hold (a random id in an HttpOnly,
//! SameSite=Strict cookie, a CSRF token the page sends with every action), and bounds on both:
//! sessions expire, their number is capped, failed logins are rate-limited per source (an
//! IPv4 address, an IPv6 /64), so one source's guesses lock out only itself. Pure: the clock
//! and the source are passed in.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "havip_session";
/// How long a session lasts after its last use.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// Sessions kept at most; a new login beyond that ends the least recently used.
pub const MAX_SESSIONS: usize = 64;
/// Failed logins accepted per minute from one source; beyond that its logins wait.
pub const FAILURES_PER_MINUTE: usize = 10;
/// Sources whose failures are remembered at most; beyond that the one idle longest is forgotten.
pub const MAX_FAILING_SOURCES: usize = 4096;

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
    /// Failure times of the last minute, by source.
    failures: HashMap<IpAddr, VecDeque<Instant>>,
}

/// The source failures are counted under: an IPv4 address, or the /64 of an IPv6 one (one host
/// holds a whole /64). IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
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
            failures: HashMap::new(),
        }
    }

    /// The token printed at start.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Forgets failures older than a minute (and sources left with none).
    fn forget_old_failures(&mut self, now: Instant) {
        let minute = Duration::from_secs(60);
        self.failures.retain(|_, times| {
            while times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= minute)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
    }

    /// Records a failed login from `source`, within [`MAX_FAILING_SOURCES`].
    fn record_failure(&mut self, source: IpAddr, now: Instant) {
        if !self.failures.contains_key(&source)
            && self.failures.len() >= MAX_FAILING_SOURCES
            && let Some(quietest) = self
                .failures
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(k, _)| *k)
        {
            self.failures.remove(&quietest);
        }
        self.failures.entry(source).or_default().push_back(now);
    }

    /// Checks `c`, sent from `from`, and opens a session: returns the cookie's value and the
    /// session. A source with [`FAILURES_PER_MINUTE`] failures in the last minute waits.
    pub fn login(
        &mut self,
        c: &Credentials,
        from: IpAddr,
        now: Instant,
    ) -> Result<(String, Session), LoginError> {
        let source = source_of(from);
        self.forget_old_failures(now);
        if self
            .failures
            .get(&source)
            .is_some_and(|t| t.len() >= FAILURES_PER_MINUTE)
        {
            return Err(LoginError::TooMany);
        }
        let who = match self.verify(c) {
            Ok(who) => who,
            Err(why) => {
                self.record_failure(source, now);
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
        let (id, a) = s.login(&key("AKIDx", "secret"), HERE, now).expect("key");
        assert_eq!(a.who, "AKIDx");
        let (id2, b) = s.login(&token("t0ken"), HERE, now).expect("token");
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
                matches!(s.login(&c, HERE, now), Err(LoginError::Denied(_))),
                "{c:?}"
            );
        }
        assert!(s.is_empty());
    }

    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn one_sources_failures_lock_out_that_source_only() {
        let mut s = sessions();
        let now = Instant::now();
        let attacker: IpAddr = "2001:db8::1".parse().expect("ip");
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(s.login(&token("guess"), attacker, now).is_err());
        }
        // Another address of the attacker's /64 is the same source.
        let neighbour: IpAddr = "2001:db8::ffff".parse().expect("ip");
        assert_eq!(
            s.login(&token("t0ken"), neighbour, now).map(|_| ()),
            Err(LoginError::TooMany)
        );
        assert!(s.login(&token("t0ken"), HERE, now).is_ok(), "others log in");
        // Many failing sources: the table stays bounded.
        for n in 0..(MAX_FAILING_SOURCES as u32 + 100) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            let _ = s.login(&token("guess"), ip, now);
        }
        assert!(s.failures.len() <= MAX_FAILING_SOURCES);
    }

    #[test]
    fn failed_logins_are_rate_limited_for_a_minute() {
        let mut s = sessions();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(s.login(&token("guess"), HERE, now).is_err());
        }
        assert_eq!(
            s.login(&token("t0ken"), HERE, now).map(|_| ()),
            Err(LoginError::TooMany)
        );
        let later = now + Duration::from_secs(61);
        assert!(s.login(&token("t0ken"), HERE, later).is_ok());
    }

    #[test]
    fn sessions_expire_when_idle_and_are_capped() {
        let mut s = sessions();
        let now = Instant::now();
        let (id, _) = s.login(&token("t0ken"), HERE, now).expect("login");
        assert!(s.get(&id, now + IDLE - Duration::from_secs(1)).is_some());
        assert!(s.get(&id, now + IDLE * 2).is_none(), "idle too long");
        let first = s.login(&token("t0ken"), HERE, now).expect("login").0;
        for k in 1..=MAX_SESSIONS as u64 {
            s.login(&token("t0ken"), HERE, now + Duration::from_millis(k))
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
