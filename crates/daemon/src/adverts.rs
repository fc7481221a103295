//! Adverts on the wire for one instance: encoded once per destination, signed once per advert
//! when `auth_hmac` signs (every unicast copy carries the same trailer, as keepalived sends
//! them) or sealed in AH with one sequence number per advert (`auth_type AH`: whole IPv4
//! packets, for the AH socket), and received ones authenticated before the router sees them.

use crate::instance::Instance;
use crate::send_errors;
use crate::sockets::VrrpSocket;
use std::io;
use std::net::IpAddr;
use tracing::warn;
use vrrp::auth_hmac::{Rejection, TRAILER_LEN, UnixTime};
use vrrp::{Advert, Auth, ChecksumMode, Family, PacketAddrs, Router, State};

pub use crate::encoded::Copies;

/// An advert waiting for the batch of adverts to go: its instance, its priority and its copies.
pub type Queued = (node::InstanceId, u8, Copies);

/// The copies of `advert` for each of the instance's destinations; `None` if it cannot be
/// encoded (logged).
pub fn copies(inst: &mut Instance, advert: &Advert) -> Option<Copies> {
    if inst.ah.is_some() {
        return sealed_copies(inst, advert).map(Copies::from);
    }
    if inst.auth.is_none()
        && let Some(c) = inst.encoded.get(advert, inst.primary, &inst.destinations)
    {
        return Some(c);
    }
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
    let out = Copies::from(out);
    if inst.auth.is_none() {
        inst.encoded
            .put(advert, inst.primary, &inst.destinations, out.clone());
    }
    Some(out)
}

/// The copies of an AH instance's advert: whole IPv4 packets, one IP identification and
/// sequence number for all of them (keepalived's `vrrp_update_pkt`).
fn sealed_copies(inst: &mut Instance, advert: &Advert) -> Option<Vec<(Vec<u8>, IpAddr)>> {
    let IpAddr::V4(src) = inst.primary else {
        warn!(instance = %inst.name, "AH needs an IPv4 source");
        return None;
    };
    let ah = inst.ah.as_mut()?;
    let stamp = ah.stamp();
    let mut out = Vec::with_capacity(inst.destinations.len());
    for dst in &inst.destinations {
        let IpAddr::V4(dst4) = *dst else { continue };
        let addrs = PacketAddrs {
            src: inst.primary,
            dst: *dst,
        };
        match advert.encode(&addrs, ChecksumMode::MessageOnly) {
            Ok(vrrp) => out.push((ah.seal(stamp, src, dst4, &vrrp), *dst)),
            Err(e) => {
                warn!(instance = %inst.name, error = %e, "advert not encodable");
                return None;
            }
        }
    }
    Some(out)
}

/// Counts the copies the kernel refused (`results`, in the order of `copies`) and logs them;
/// an advert no copy of which left is not counted as sent.
pub fn account(
    inst: &mut Instance,
    router: &mut Router,
    priority: u8,
    copies: &[(Vec<u8>, IpAddr)],
    results: &[io::Result<()>],
) {
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
        router.advert_not_sent(priority);
    }
}

/// Sends `advert` to each of the instance's destinations at once (one system call).
pub fn send(inst: &mut Instance, router: &mut Router, sock: &VrrpSocket, advert: &Advert) {
    if let Some(c) = copies(inst, advert) {
        let results = sock.send_batch(inst.primary, inst.xmit_index, &c);
        account(inst, router, advert.priority, &c, &results);
    }
}

/// Whether a received advert may go on to the router: without `auth_hmac`, only one without a
/// trailer (keepalived counts one as a length error); with it, one that passes the checks.
/// As keepalived, an advert that the router drops anyway for its TTL or version is not
/// authenticated first, so it is counted there.
pub fn admit(
    inst: &mut Instance,
    router: &Router,
    Wire {
        src,
        ttl,
        multicast,
    }: Wire,
    advert: &Advert,
    message: &[u8],
    trailer: Option<&[u8; TRAILER_LEN]>,
) -> bool {
    let Some(auth) = &mut inst.auth else {
        return trailer.is_none();
    };
    if !router.envelope_ok(ttl, multicast, advert.version) {
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

/// How a received advert came: its source, TTL (or hop limit) and whether it was multicast.
#[derive(Clone, Copy, Debug)]
pub struct Wire {
    /// IP source.
    pub src: IpAddr,
    /// TTL or hop limit.
    pub ttl: u8,
    /// Sent to a multicast group.
    pub multicast: bool,
}

/// What becomes of an advert that came in AH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AhVerdict {
    /// Authenticated, with this sequence number: on to the router.
    Accepted(u32),
    /// Not authenticated here: the router drops and counts it itself (TTL, version, or an auth
    /// type field other than AH), as keepalived checks those first.
    ToRouter,
    /// Refused (counted as an authentication failure).
    Refused,
}

/// keepalived's checks of an advert that came in AH, for an AH instance: the router's own
/// checks that come first, then the ICV, the SPI and the sequence number.
pub fn admit_ah(
    inst: &mut Instance,
    router: &mut Router,
    packet: &[u8],
    ttl: u8,
    multicast: bool,
    advert: &Advert,
) -> AhVerdict {
    let Some(ah) = &mut inst.ah else {
        return AhVerdict::Refused;
    };
    // Only a backup or a master reads adverts (keepalived's dispatcher); the router drops
    // the others, and the counter does not move.
    let listening = matches!(router.state(), State::Backup | State::Master);
    if !listening || !router.envelope_ok(ttl, multicast, advert.version) || advert.auth != Auth::Ah
    {
        return AhVerdict::ToRouter;
    }
    let Ok(opened) = vrrp::ah::open(packet) else {
        return AhVerdict::Refused;
    };
    let backup = router.state() == State::Backup;
    match ah.verify(packet, &opened, backup) {
        Ok(()) => AhVerdict::Accepted(opened.ah.seq),
        Err(r) => {
            router.auth_failed();
            if inst.auth_log.due(&r) {
                warn!(instance = %inst.name, src = %opened.ip.addrs.src, "advert refused: {r}");
            }
            AhVerdict::Refused
        }
    }
}

/// keepalived's sequence counter rules on what the router made of an authenticated AH advert
/// (`seq`, from `src` at `priority`), before its answer is sealed: a master that heard a lower
/// one goes one above that number; one that heard a higher one lets a stopped counter go.
/// `was`: the state and effective priority before the advert; `dropped`: whether the router
/// ignored it.
pub fn after_ah(
    inst: &mut Instance,
    (was, our_priority): (State, u8),
    (src, priority, seq): (IpAddr, u8, u32),
    dropped: bool,
) {
    let primary = inst.primary;
    let Some(ah) = &mut inst.ah else { return };
    // A priority 0 advert is answered before these rules, as keepalived does.
    if was != State::Master || dropped || priority == 0 {
        return;
    }
    match vrrp::ah::outranks(priority, src, our_priority, primary) {
        std::cmp::Ordering::Less => ah.counter().master_heard_lower(seq),
        std::cmp::Ordering::Greater => ah.counter().heard_master(),
        std::cmp::Ordering::Equal => {}
    }
}

/// Sorts a received advert for instance `inst` by how it came: in AH for an AH instance, it is
/// authenticated here (`Some(Some(seq))` when it passed, `None` when refused); in plain VRRP
/// for an AH instance, its auth type is taken as none, so the router counts the mismatch
/// (keepalived: "No AH header but auth type is AH"); otherwise `Some(None)`.
pub fn sort_ah(
    inst: &mut Instance,
    router: &mut Router,
    pkt: &crate::sockets::Received,
    multicast: bool,
    advert: &mut Advert,
) -> Option<Option<u32>> {
    match (&pkt.ah_packet, inst.ah.is_some()) {
        (Some(packet), true) => match admit_ah(inst, router, packet, pkt.ttl, multicast, advert) {
            AhVerdict::Accepted(seq) => Some(Some(seq)),
            AhVerdict::ToRouter => Some(None),
            AhVerdict::Refused => None,
        },
        (None, true) => {
            advert.auth = Auth::None;
            Some(None)
        }
        (_, false) => Some(None),
    }
}
