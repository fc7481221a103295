//! Signatures of writes already used. TC3 signs Host, Content-Type, the body and the
//! timestamp (in seconds); the cloud's SDKs sign neither `X-TC-Action` nor a nonce. So a
//! captured write could be sent again within the timestamp's five minutes, or to another
//! write that takes the same parameters (`HaVipDisassociateAddressIp` -> `DeleteHaVip`).
//!
//! A client's own identical writes within one second of its clock carry the same signature
//! (two `AllocateAddresses {}`, a ClientToken retry, a disassociation and a deletion of one
//! HAVIP): those cannot be told from a replay, and the cloud's clients send them. So the
//! signature of every write is remembered until its timestamp expires, and a write carrying
//! it is refused once [`SAME_SIGNATURE_GRACE_MS`] have passed since it was first received
//! (by then the client's second is over: a later identical request is a replay). Reads are
//! not remembered: they change nothing. Pure: the clock is passed in.

use crate::auth::MAX_SKEW_SECS;
use crate::error::ApiError;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// How long after its first receipt a write's signature may be seen again (the client's own
/// requests signed within the same second, with network and scheduling delay under load).
pub const SAME_SIGNATURE_GRACE_MS: i64 = 5_000;

/// Signatures remembered at most; beyond that new requests wait (`RequestLimitExceeded`)
/// rather than forget one that could then be replayed.
pub const MAX_REMEMBERED: usize = 200_000;

/// The signatures of the last five minutes.
#[derive(Debug, Default)]
pub struct ReplayCache {
    /// Signature digest -> the action it was first used for, and when (ms).
    seen: HashMap<[u8; 32], (String, i64)>,
    by_expiry: BTreeMap<(i64, [u8; 32]), ()>,
}

impl ReplayCache {
    /// Admits the request signed `signature` by `secret_id` at `timestamp` (s) for `action`
    /// (`read_only`: it changes nothing), received at `now_ms`; refuses a write whose
    /// signature a write used more than [`SAME_SIGNATURE_GRACE_MS`] ago.
    pub fn admit(
        &mut self,
        secret_id: &str,
        signature: &str,
        action: &str,
        read_only: bool,
        timestamp: i64,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        if read_only {
            return Ok(());
        }
        self.forget_expired(now_ms.div_euclid(1000));
        let key: [u8; 32] = Sha256::digest(format!("{secret_id}\n{signature}")).into();
        if let Some((first, at)) = self.seen.get(&key) {
            if now_ms.saturating_sub(*at) <= SAME_SIGNATURE_GRACE_MS {
                return Ok(());
            }
            let what = if first == action {
                format!("this signed {action} request was already received (a replay)")
            } else {
                format!(
                    "this signature was already used for {first}; it cannot also serve {action} (X-TC-Action is not covered by the signature)"
                )
            };
            return Err(ApiError::new(
                "AuthFailure.SignatureFailure",
                format!("{what}; sign each write anew"),
            ));
        }
        if self.seen.len() >= MAX_REMEMBERED {
            return Err(ApiError::new(
                "RequestLimitExceeded",
                format!("more than {MAX_REMEMBERED} signed writes in five minutes; retry later"),
            ));
        }
        let expires = timestamp.saturating_add(MAX_SKEW_SECS);
        self.seen.insert(key, (action.to_string(), now_ms));
        self.by_expiry.insert((expires, key), ());
        Ok(())
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some((&(expires, key), ())) = self.by_expiry.first_key_value() {
            if expires >= now {
                break;
            }
            self.by_expiry.remove(&(expires, key));
            self.seen.remove(&key);
        }
    }

    /// Signatures remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writes_signature_serves_no_write_after_the_grace_and_reads_repeat() {
        let mut c = ReplayCache::default();
        let t = 1_000_000;
        let ms = t * 1000;
        let disassociate = "HaVipDisassociateAddressIp";
        assert!(c.admit("AKID", "aa", disassociate, false, t, ms).is_ok());
        // The client's own identical request within its second: admitted.
        assert!(
            c.admit("AKID", "aa", disassociate, false, t, ms + 900)
                .is_ok()
        );
        assert!(
            c.admit("AKID", "aa", "DeleteHaVip", false, t, ms + 900)
                .is_ok()
        );
        let late = ms + SAME_SIGNATURE_GRACE_MS + 1;
        let again = c.admit("AKID", "aa", disassociate, false, t, late);
        assert_eq!(
            again.map_err(|e| e.code),
            Err("AuthFailure.SignatureFailure".into())
        );
        let swapped = c
            .admit("AKID", "aa", "DeleteHaVip", false, t, late)
            .expect_err("swap");
        assert!(
            swapped.message.contains(disassociate),
            "{}",
            swapped.message
        );
        // Reads repeat, whatever signed them.
        assert!(
            c.admit("AKID", "aa", "DescribeHaVips", true, t, late)
                .is_ok()
        );
        // Another key's identical signature is another request.
        assert!(
            c.admit("AKID2", "aa", "DeleteHaVip", false, t, late)
                .is_ok()
        );
        // Once the timestamp has expired the entry goes (the signature is refused as expired).
        let later = (t + 400) * 1000;
        assert!(
            c.admit("AKID", "cc", "CreateVpc", false, t + 400, later)
                .is_ok()
        );
        assert_eq!(c.len(), 1);
    }
}
