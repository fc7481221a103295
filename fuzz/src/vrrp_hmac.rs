//! VRRP adverts with keepalived's `auth_hmac` trailer: the split of message and trailer, and
//! the session's verification (keys, sequence numbers, replay marks) in each mode. What a
//! session signs must verify in a fresh one.

use std::net::{IpAddr, Ipv4Addr};
use vrrp::auth_hmac::{AntiReplay, HmacConfig, HmacSession, Key, Mode, UnixTime};
use vrrp::{Advert, PacketAddrs};

fn config(mode: Mode, anti_replay: AntiReplay) -> HmacConfig {
    HmacConfig {
        keys: vec![
            Key {
                id: 1,
                bytes: vec![0x11; 32],
            },
            Key {
                id: 2,
                bytes: vec![0x22; 64],
            },
        ],
        active_key: 1,
        mode,
        anti_replay,
        time_window: 5,
    }
}

/// The first byte picks the mode, replay rule, family and clock; the rest is the VRRP payload.
pub fn run(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let mode = [Mode::Enforce, Mode::Permissive, Mode::ReceiveOnly][usize::from(sel % 3)];
    let replay = if sel & 4 == 0 {
        AntiReplay::Time
    } else {
        AntiReplay::Monotonic
    };
    let src = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let addrs = PacketAddrs {
        src,
        dst: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
    };
    let now = UnixTime {
        secs: 1_700_000_000 + u64::from(sel >> 3),
        nanos: 0,
    };
    let peers: &[IpAddr] = if sel & 8 == 0 { &[] } else { &[src] };
    let Ok((decoded, trailer)) = Advert::decode_with_trailer(payload, &addrs) else {
        return;
    };
    let mut session = HmacSession::new(
        config(mode, replay),
        decoded.advert.version,
        decoded.advert.vrid,
        peers,
    );
    let message = &payload[..payload.len() - trailer.map_or(0, |t| t.len())];
    let _ = session.verify(now, src, message, trailer);
    if trailer.is_none() {
        return;
    }
    // Sign the same message and check a fresh session takes it (once: a replay is refused).
    let mut signed = message.to_vec();
    let mut signer = HmacSession::new(
        config(Mode::Enforce, replay),
        decoded.advert.version,
        decoded.advert.vrid,
        &[],
    );
    signer.sign(now, src, &mut signed);
    let (_, t) = Advert::decode_with_trailer(&signed, &addrs).expect("a signed advert decodes");
    let t = t.expect("a signed advert has its trailer");
    let mut fresh = HmacSession::new(
        config(Mode::Enforce, replay),
        decoded.advert.version,
        decoded.advert.vrid,
        &[],
    );
    fresh
        .verify(now, src, message, Some(t))
        .expect("a signed advert verifies");
    assert!(
        fresh.verify(now, src, message, Some(t)).is_err(),
        "a replay is refused"
    );
}
