//! Signing what an instance sends and verifying what it receives.

use super::PreparedKey;
use super::{
    Accepted, AuthStats, Binding, EXT_TYPE_HMAC_SHA256, HMAC_LEN, HmacConfig, HmacSession, Mode,
    Rejection, ReplayMark, SenderTable, Seq, TRAILER_LEN, Trailer, UnixTime,
};
use crate::packet::Version;
use std::collections::HashMap;
use std::net::IpAddr;

impl HmacSession {
    /// A session for the instance `vrid` of `version`; `unicast_peers` empty means multicast
    /// (replay state per recent sender instead of per configured peer).
    pub fn new(cfg: HmacConfig, version: Version, vrid: u8, unicast_peers: &[IpAddr]) -> Self {
        HmacSession {
            prepared: prepare(&cfg),
            cfg,
            version,
            vrid,
            send_seq: Seq::default(),
            peers: peer_marks(unicast_peers, None),
            senders: SenderTable::default(),
            stats: AuthStats::default(),
        }
    }

    /// New settings on reload: the sequence sent so far and the replay marks of peers that stay
    /// are kept, so neither side sees a replay or a gap.
    pub fn reconfigure(&mut self, cfg: HmacConfig, unicast_peers: &[IpAddr]) {
        self.prepared = prepare(&cfg);
        self.cfg = cfg;
        self.peers = peer_marks(unicast_peers, self.peers.take());
    }

    /// The settings.
    pub fn config(&self) -> &HmacConfig {
        &self.cfg
    }

    /// Rejections so far.
    pub fn stats(&self) -> &AuthStats {
        &self.stats
    }

    /// Bytes the trailer adds to what we send (none in `receive-only` mode).
    pub fn trailer_len(&self) -> usize {
        if self.cfg.mode == Mode::ReceiveOnly {
            0
        } else {
            TRAILER_LEN
        }
    }

    /// Appends the signed trailer to `message` (a VRRP message from `src`), unless the mode is
    /// `receive-only`. One signature serves every unicast copy: the destination is not bound.
    pub fn sign(&mut self, now: UnixTime, src: IpAddr, message: &mut Vec<u8>) {
        if self.cfg.mode == Mode::ReceiveOnly {
            return;
        }
        let seq = self.next_seq(now);
        let binding = self.binding(src);
        let active = self.cfg.active_key;
        let trailer = match self.key(active) {
            Some(key) => super::sign(active, key, seq, &binding, message),
            // Resolved configs always have their active key; a zero HMAC fails everywhere.
            None => Trailer {
                ext_type: EXT_TYPE_HMAC_SHA256,
                key_id: active,
                reserved: 0,
                seq,
                hmac: [0; HMAC_LEN],
            },
        };
        message.extend_from_slice(&trailer.to_bytes());
    }

    /// Checks a received VRRP `message` from `src` and its trailer, if it carried one, and
    /// counts a rejection under its reason.
    pub fn verify(
        &mut self,
        now: UnixTime,
        src: IpAddr,
        message: &[u8],
        trailer: Option<&[u8; TRAILER_LEN]>,
    ) -> Result<Accepted, Rejection> {
        let result = self.check(now, src, message, trailer);
        if let Err(r) = result {
            let s = &mut self.stats;
            match r {
                Rejection::Missing => s.auth_ext_missing += 1,
                Rejection::Malformed => s.auth_ext_malformed += 1,
                Rejection::UnknownKey(_) => s.auth_ext_unknown_key += 1,
                Rejection::BadHmac => s.auth_ext_invalid_hmac += 1,
                Rejection::Stale { .. } => s.auth_ext_stale += 1,
                Rejection::Replay => s.auth_ext_replay += 1,
                Rejection::UnknownPeer => {}
            }
        }
        result
    }

    fn check(
        &mut self,
        now: UnixTime,
        src: IpAddr,
        message: &[u8],
        trailer: Option<&[u8; TRAILER_LEN]>,
    ) -> Result<Accepted, Rejection> {
        let Some(bytes) = trailer else {
            return if self.cfg.mode == Mode::Enforce {
                Err(Rejection::Missing)
            } else {
                Ok(Accepted {
                    signed: false,
                    skew: None,
                })
            };
        };
        if self.peers.as_ref().is_some_and(|p| !p.contains_key(&src)) {
            return Err(Rejection::UnknownPeer);
        }
        let t = Trailer::parse(bytes);
        if t.ext_type != EXT_TYPE_HMAC_SHA256 || t.reserved != 0 {
            return Err(Rejection::Malformed);
        }
        let window = self.cfg.window();
        let skew = window.map(|_| Seq::secs_behind(now, t.seq.secs()));
        if let (Some(w), Some(skew)) = (window, skew)
            && skew.unsigned_abs() > w
        {
            return Err(Rejection::Stale { skew });
        }
        let key = self.key(t.key_id).ok_or(Rejection::UnknownKey(t.key_id))?;
        if !super::verify(key, &self.binding(src), message, &t) {
            return Err(Rejection::BadHmac);
        }
        let mark = match &mut self.peers {
            Some(peers) => peers.entry(src).or_default(),
            None => self.senders.mark(src),
        };
        if !mark.accept(t.seq, now, window) {
            return Err(Rejection::Replay);
        }
        Ok(Accepted { signed: true, skew })
    }

    /// The larger of the clock and the last sequence plus one. In time mode a sequence
    /// stranded beyond the window by a clock stepped back restarts from the clock, since
    /// receivers would refuse it; monotonic mode keeps strict growth, its only guarantee.
    fn next_seq(&mut self, now: UnixTime) -> Seq {
        let clock = Seq::from_clock(now);
        if clock.is_after(self.send_seq) {
            self.send_seq = clock;
            return clock;
        }
        let ahead = self.send_seq.secs().wrapping_sub(clock.secs()) as i32;
        self.send_seq = match self.cfg.window() {
            Some(w) if ahead > w as i32 => clock,
            _ => Seq(self.send_seq.0.wrapping_add(1)),
        };
        self.send_seq
    }

    /// Sets the last sequence sent (tests of clock steps; restoring state).
    pub fn set_send_seq(&mut self, seq: Seq) {
        self.send_seq = seq;
    }

    fn key(&self, id: u8) -> Option<&PreparedKey> {
        self.prepared.iter().find(|(k, _)| *k == id).map(|(_, p)| p)
    }

    fn binding(&self, src: IpAddr) -> Binding {
        Binding {
            version: self.version,
            vrid: self.vrid,
            src,
        }
    }
}

fn prepare(cfg: &HmacConfig) -> Vec<(u8, PreparedKey)> {
    cfg.keys
        .iter()
        .map(|k| (k.id, PreparedKey::new(&k.bytes)))
        .collect()
}

fn peer_marks(
    peers: &[IpAddr],
    old: Option<HashMap<IpAddr, ReplayMark>>,
) -> Option<HashMap<IpAddr, ReplayMark>> {
    if peers.is_empty() {
        return None;
    }
    let mut old = old.unwrap_or_default();
    Some(
        peers
            .iter()
            .map(|p| (*p, old.remove(p).unwrap_or_default()))
            .collect(),
    )
}
