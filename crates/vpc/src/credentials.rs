//! Temporary keys, as the cloud's CAM role gives an instance through the metadata service
//! (`metadata.rs`): a `TmpSecretId`, `TmpSecretKey` and `Token` that sign API calls of the
//! instance's account until `ExpiredTime`. A call signed with one must carry the token in
//! `X-TC-Token`; an expired key or a wrong token is refused. Kept in memory only (a restart of
//! the service ends them, as the instance then asks again), at most [`MAX_TEMPORARY_KEYS`].

use crate::error::ApiError;
use std::collections::BTreeMap;

/// Temporary keys held at once; the oldest expiring goes first when more are issued.
pub const MAX_TEMPORARY_KEYS: usize = 4096;

/// One temporary key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryKey {
    /// `TmpSecretId`.
    pub secret_id: String,
    /// `TmpSecretKey`.
    pub secret_key: String,
    /// `Token` (sent as `X-TC-Token`).
    pub token: String,
    /// The account (AppId) its calls act for.
    pub account: String,
    /// Unix seconds after which it is refused.
    pub expires: i64,
}

/// The temporary keys issued, by SecretId, and the one each (instance, role) holds now.
#[derive(Debug, Default)]
pub struct TemporaryKeys {
    by_id: BTreeMap<String, TemporaryKey>,
    current: BTreeMap<(String, String), String>,
}

fn random_text(prefix: &str, bytes: usize) -> String {
    let b: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    format!("{prefix}{}", hex::encode(b))
}

impl TemporaryKeys {
    /// The key of `role` for `instance` of `account` at `now`: the one it holds while more than
    /// half of `ttl_secs` is left (the cloud hands the same key out until it nears expiry),
    /// else a new one valid for `ttl_secs`.
    pub fn issue(
        &mut self,
        instance: &str,
        role: &str,
        account: &str,
        now: i64,
        ttl_secs: i64,
    ) -> TemporaryKey {
        let slot = (instance.to_string(), role.to_string());
        if let Some(k) = self.current.get(&slot).and_then(|id| self.by_id.get(id))
            && k.account == account
            && (k.expires - now) * 2 > ttl_secs
        {
            return k.clone();
        }
        self.forget_expired(now);
        while self.by_id.len() >= MAX_TEMPORARY_KEYS {
            let oldest = self
                .by_id
                .values()
                .min_by_key(|k| k.expires)
                .map(|k| k.secret_id.clone());
            match oldest {
                Some(id) => self.by_id.remove(&id),
                None => break,
            };
        }
        let key = TemporaryKey {
            secret_id: random_text("AKIDtmp", 14),
            secret_key: random_text("", 16),
            token: random_text("", 32),
            account: account.to_string(),
            expires: now + ttl_secs,
        };
        self.by_id.insert(key.secret_id.clone(), key.clone());
        self.current.insert(slot, key.secret_id.clone());
        key
    }

    fn forget_expired(&mut self, now: i64) {
        self.by_id.retain(|_, k| k.expires >= now);
        let by_id = &self.by_id;
        self.current.retain(|_, id| by_id.contains_key(id));
    }

    /// The key of `secret_id`, if it is a temporary one (expired or not).
    pub fn get(&self, secret_id: &str) -> Option<&TemporaryKey> {
        self.by_id.get(secret_id)
    }

    /// Checks a call signed by the temporary key `secret_id` at `now`: unexpired, and `token`
    /// (its `X-TC-Token`) is the key's. `Ok(None)`: not a temporary key.
    pub fn check(
        &self,
        secret_id: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<Option<&TemporaryKey>, ApiError> {
        let Some(k) = self.by_id.get(secret_id) else {
            return Ok(None);
        };
        if now > k.expires {
            return Err(ApiError::new(
                "AuthFailure.TokenFailure",
                format!(
                    "the temporary key {secret_id} expired at {} (ask the metadata service again)",
                    k.expires
                ),
            ));
        }
        if !crate::session::same_secret(token.unwrap_or(""), &k.token) {
            return Err(ApiError::new(
                "AuthFailure.TokenFailure",
                format!("the temporary key {secret_id} needs its token in X-TC-Token"),
            ));
        }
        Ok(Some(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_reused_until_half_its_life_then_replaced_and_refused_once_expired() {
        let mut keys = TemporaryKeys::default();
        let a = keys.issue("ins-1", "role", "1300000001", 1000, 100);
        assert_eq!(keys.issue("ins-1", "role", "1300000001", 1049, 100), a);
        let b = keys.issue("ins-1", "role", "1300000001", 1050, 100);
        assert_ne!(a.secret_id, b.secret_id);
        assert!(keys.issue("ins-2", "role", "1300000001", 1050, 100) != b);
        let ok = keys
            .check(&a.secret_id, Some(&a.token), 1100)
            .expect("valid");
        assert_eq!(ok.map(|k| k.account.as_str()), Some("1300000001"));
        let e = keys
            .check(&a.secret_id, Some(&a.token), 1101)
            .expect_err("expired");
        assert_eq!(e.code, "AuthFailure.TokenFailure");
        assert!(keys.check(&b.secret_id, Some("wrong"), 1060).is_err());
        assert!(keys.check(&b.secret_id, None, 1060).is_err());
        assert_eq!(keys.check("AKIDpermanent", None, 1060), Ok(None));
    }

    #[test]
    fn at_most_max_keys_are_held() {
        let mut keys = TemporaryKeys::default();
        for k in 0..MAX_TEMPORARY_KEYS + 10 {
            keys.issue(&format!("ins-{k}"), "role", "1", 1000 + k as i64, 100_000);
        }
        assert_eq!(keys.by_id.len(), MAX_TEMPORARY_KEYS);
    }
}
