//! Adverts on the wire for one instance: encoded once per destination, signed once per advert
//! when `auth_hmac` signs (every unicast copy carries the same trailer, as keepalived sends
//! them), and received ones authenticated before the router sees them.

use crate::instance::Instance;
use crate::send_errors;
use crate::sockets::VrrpSocket;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use tracing::warn;
use vrrp::auth_hmac::{Rejection, TRAILER_LEN, UnixTime};
use vrrp::{Advert, ChecksumMode, Family, PacketAddrs};

/// How often one instance logs rejections of the same kind.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// One advert's copies, one per destination, encoded (and signed once).
pub type Copies = Vec<(Vec<u8>, IpAddr)>;

/// The copies of `advert` for each of the instance's destinations; `None` if it cannot be
/// encoded (logged).
pub fn copies(inst: &mut Instance, advert: &Advert) -> Option<Copies> {
    let mut trailer: Option<[u8; TRAILER_LEN]> = None;
    let mut out = Vec::with_capacity(inst.destinations.len());
    for k in 0..inst.destinations.len() {
        let dst = inst.destinations[k];
        let addrs = PacketAddrs {
            src: inst.primary,
            dst,
        };
        let mut bytes = match advert.encode(&addrs, ChecksumMode::PseudoHeader) {
            Ok(b) => b,
            Err(e) => {
                warn!(instance = %inst.name, error = %e, "advert not encodable");
                return None;
            }
        };
        if let Some(auth) = &mut inst.auth {
            let message_len = bytes.len();
            match &trailer {
                Some(t) => bytes.extend_from_slice(t),
                None => {
                    auth.sign(UnixTime::now(), inst.primary, &mut bytes);
                    trailer = bytes[message_len..].try_into().ok();
                }
            }
            vrrp::reseal_ipv6_checksum(&mut bytes, &addrs);
        }
        out.push((bytes, dst));
    }
    Some(out)
}

/// Counts the copies the kernel refused (`results`, in the order of `copies`) and logs them;
/// an advert no copy of which left is not counted as sent.
pub fn account(inst: &mut Instance, priority: u8, copies: &Copies, results: &[io::Result<()>]) {
    let mut sent_any = copies.is_empty();
    for ((_, dst), result) in copies.iter().zip(results) {
        match result {
            Ok(()) => sent_any = true,
            Err(e) => inst
                .send_errors
                .failed(&inst.name, send_errors::Kind::Advert, dst, e),
        }
    }
    if !sent_any {
        inst.router.advert_not_sent(priority);
    }
}

/// Sends `advert` to each of the instance's destinations at once (one system call).
pub fn send(inst: &mut Instance, sock: &VrrpSocket, advert: &Advert) {
    if let Some(c) = copies(inst, advert) {
        let results = sock.send_batch(inst.primary, inst.xmit_index, &c);
        account(inst, advert.priority, &c, &results);
    }
}

/// Rate limit of rejection logs, per instance and kind.
#[derive(Debug, Default)]
pub struct RejectionLog {
    last: Vec<(std::mem::Discriminant<Rejection>, Instant)>,
}

impl RejectionLog {
    fn due(&mut self, r: &Rejection) -> bool {
        let kind = std::mem::discriminant(r);
        let now = Instant::now();
        match self.last.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, at)) if now.duration_since(*at) < LOG_EVERY => false,
            Some((_, at)) => {
                *at = now;
                true
            }
            None => {
                self.last.push((kind, now));
                true
            }
        }
    }
}

/// Whether a received advert may go on to the router: without `auth_hmac`, only one without a
/// trailer (keepalived counts one as a length error); with it, one that passes the checks.
/// As keepalived, an advert that the router drops anyway for its TTL or version is not
/// authenticated first, so it is counted there.
pub fn admit(
    inst: &mut Instance,
    src: IpAddr,
    ttl: u8,
    multicast: bool,
    advert: &Advert,
    message: &[u8],
    trailer: Option<&[u8; TRAILER_LEN]>,
) -> bool {
    let Some(auth) = &mut inst.auth else {
        return trailer.is_none();
    };
    if !inst.router.envelope_ok(ttl, multicast, advert.version) {
        return true;
    }
    match auth.verify(UnixTime::now(), src, message, trailer) {
        Ok(ok) => {
            let half = auth.config().time_window / 2;
            if let Some(skew) = ok.skew.filter(|s| s.unsigned_abs() > half)
                && inst.auth_log.due(&Rejection::Stale { skew })
            {
                warn!(instance = %inst.name, %src, skew, window = auth.config().time_window, "authentication clock skew approaching the window");
            }
            true
        }
        Err(r) => {
            if inst.auth_log.due(&r) {
                warn!(instance = %inst.name, %src, family = ?Family::of(&src), "advert refused: {r}");
            }
            false
        }
    }
}
