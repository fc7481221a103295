//! auth_hmac against keepalived 2.4.3's own test vectors (`test/auth_hmac_test.c`: the draft's
//! appendix images, key 00..1f, VRID 51, priority 200, sequence 0x6800000080000000), its
//! mutation cases, and the replay, window and sequence rules.

use std::net::IpAddr;
use vrrp::auth_hmac::{
    AntiReplay, HmacConfig, HmacSession, Key, Mode, Rejection, SenderTable, Seq, TRAILER_LEN,
    UnixTime,
};
use vrrp::{Advert, AdvertInterval, Auth, ChecksumMode, PacketAddrs, Version};

const IPV4_VECTOR: &str = "3133c80100644402c0000264010100006800000080000000\
                           1b84bc4e8e43892dc6d98448f8ee2265";
const IPV6_VECTOR: &str = "3133c8010064a2e9fe800000000000000000000000000100\
                           010100006800000080000000c8c56146ebfd66ee10ec4d8186461b78";
const MSG4_LEN: usize = 12;
const MSG6_LEN: usize = 24;
/// The vectors' sequence number: 0x68000000 s and half a second.
const VECTOR_TIME: UnixTime = UnixTime {
    secs: 0x6800_0000,
    nanos: 500_000_000,
};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn config(mode: Mode, anti_replay: AntiReplay) -> HmacConfig {
    HmacConfig {
        keys: vec![Key {
            id: 1,
            bytes: (0u8..32).collect(),
        }],
        active_key: 1,
        mode,
        anti_replay,
        time_window: 5,
    }
}

fn session(anti_replay: AntiReplay) -> HmacSession {
    HmacSession::new(config(Mode::Enforce, anti_replay), Version::V3, 51, &[])
}

fn split(image: &[u8], mlen: usize) -> (&[u8], &[u8; TRAILER_LEN]) {
    let (m, t) = image.split_at(mlen);
    (m, t.try_into().expect("trailer length"))
}

fn verify_image(
    s: &mut HmacSession,
    now: UnixTime,
    src: &str,
    image: &[u8],
    mlen: usize,
) -> Result<(), Rejection> {
    let (m, t) = split(image, mlen);
    s.verify(now, ip(src), m, Some(t)).map(|_| ())
}

fn vector_advert(vip: &str) -> Advert {
    Advert {
        version: Version::V3,
        vrid: 51,
        priority: 200,
        interval: AdvertInterval::ONE_SECOND,
        auth: Auth::None,
        addresses: vec![ip(vip)],
    }
}

#[test]
fn appendix_vectors_verify() {
    for (hex_image, src, mlen) in [
        (IPV4_VECTOR, "198.51.100.10", MSG4_LEN),
        (IPV6_VECTOR, "fe80::10", MSG6_LEN),
    ] {
        let image = hex::decode(hex_image).expect("hex");
        let mut s = session(AntiReplay::Monotonic);
        assert_eq!(
            verify_image(&mut s, UnixTime::now(), src, &image, mlen),
            Ok(()),
            "{src}"
        );
    }
}

#[test]
fn appendix_vectors_are_what_we_send() {
    // IPv4: the RFC 9568 message-only checksum, then the trailer.
    let addrs = PacketAddrs {
        src: ip("198.51.100.10"),
        dst: ip("224.0.0.18"),
    };
    let mut s = session(AntiReplay::Monotonic);
    let mut bytes = vector_advert("192.0.2.100")
        .encode(&addrs, ChecksumMode::MessageOnly)
        .expect("encode");
    s.sign(VECTOR_TIME, addrs.src, &mut bytes);
    assert_eq!(hex::encode(&bytes), IPV4_VECTOR.replace(' ', ""));

    // IPv6: the checksum covers the trailer, for destination fe80::20.
    let addrs = PacketAddrs {
        src: ip("fe80::10"),
        dst: ip("fe80::20"),
    };
    let mut s = session(AntiReplay::Monotonic);
    let mut bytes = vector_advert("fe80::100")
        .encode(&addrs, ChecksumMode::PseudoHeader)
        .expect("encode");
    s.sign(VECTOR_TIME, addrs.src, &mut bytes);
    vrrp::reseal_ipv6_checksum(&mut bytes, &addrs);
    assert_eq!(hex::encode(&bytes), IPV6_VECTOR.replace(' ', ""));
}

#[test]
fn appendix_vectors_decode_with_their_trailer() {
    let image = hex::decode(IPV6_VECTOR).expect("hex");
    let addrs = PacketAddrs {
        src: ip("fe80::10"),
        dst: ip("fe80::20"),
    };
    let (decoded, trailer) = Advert::decode_with_trailer(&image, &addrs).expect("decodes");
    assert_eq!(decoded.advert, vector_advert("fe80::100"));
    assert_eq!(trailer.map(|t| t.as_slice()), Some(&image[MSG6_LEN..]));
    // Without auth_hmac the same bytes are a length error, as keepalived counts them.
    assert!(Advert::decode(&image, &addrs).is_err());

    let image = hex::decode(IPV4_VECTOR).expect("hex");
    let addrs = PacketAddrs {
        src: ip("198.51.100.10"),
        dst: ip("224.0.0.18"),
    };
    let (decoded, trailer) = Advert::decode_with_trailer(&image, &addrs).expect("decodes");
    assert_eq!(decoded.checksum, ChecksumMode::MessageOnly);
    assert!(trailer.is_some());
}

#[test]
fn mutations_of_the_ipv6_vector() {
    // (what, offset of the flipped byte, expected outcome), as keepalived's test lists them.
    let trailer = |field: usize| MSG6_LEN + field;
    let cases: [(&str, usize, Result<(), Rejection>); 10] = [
        ("tampered priority", 2, Err(Rejection::BadHmac)),
        ("tampered advert interval", 4, Err(Rejection::BadHmac)),
        ("tampered checksum", 6, Ok(())),
        ("tampered vip", 8 + 15, Err(Rejection::BadHmac)),
        (
            "unsupported ext type",
            trailer(0),
            Err(Rejection::Malformed),
        ),
        ("unknown key id", trailer(1), Err(Rejection::UnknownKey(0))),
        ("nonzero reserved", trailer(2), Err(Rejection::Malformed)),
        ("tampered seconds", trailer(4), Err(Rejection::BadHmac)),
        ("tampered counter", trailer(10), Err(Rejection::BadHmac)),
        ("tampered hmac", trailer(12), Err(Rejection::BadHmac)),
    ];
    let image = hex::decode(IPV6_VECTOR).expect("hex");
    for (what, off, expected) in cases {
        let mut bad = image.clone();
        bad[off] ^= 0x01;
        let mut s = session(AntiReplay::Monotonic);
        assert_eq!(
            verify_image(&mut s, UnixTime::now(), "fe80::10", &bad, MSG6_LEN),
            expected,
            "{what}"
        );
    }
}

#[test]
fn the_pseudo_header_binds_source_and_vrid() {
    let image = hex::decode(IPV6_VECTOR).expect("hex");
    let mut s = session(AntiReplay::Monotonic);
    let now = UnixTime::now();
    assert_eq!(
        verify_image(&mut s, now, "fe80::20", &image, MSG6_LEN),
        Err(Rejection::BadHmac)
    );
    let mut other_vrid = HmacSession::new(
        config(Mode::Enforce, AntiReplay::Monotonic),
        Version::V3,
        52,
        &[],
    );
    assert_eq!(
        verify_image(&mut other_vrid, now, "fe80::10", &image, MSG6_LEN),
        Err(Rejection::BadHmac)
    );
    assert_eq!(other_vrid.stats().auth_ext_invalid_hmac, 1);
}

fn signed_ipv6(s: &mut HmacSession, now: UnixTime) -> Vec<u8> {
    let addrs = PacketAddrs {
        src: ip("fe80::10"),
        dst: ip("fe80::20"),
    };
    let mut bytes = vector_advert("fe80::100")
        .encode(&addrs, ChecksumMode::PseudoHeader)
        .expect("encode");
    s.sign(now, addrs.src, &mut bytes);
    vrrp::reseal_ipv6_checksum(&mut bytes, &addrs);
    bytes
}

#[test]
fn a_replayed_advert_is_refused_and_each_receiver_has_its_own_mark() {
    let now = UnixTime::now();
    let mut sender = session(AntiReplay::Time);
    let image = signed_ipv6(&mut sender, now);
    let mut receiver = session(AntiReplay::Time);
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
        Ok(())
    );
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
        Err(Rejection::Replay)
    );
    assert_eq!(receiver.stats().auth_ext_replay, 1);
    let mut second = session(AntiReplay::Time);
    assert_eq!(
        verify_image(&mut second, now, "fe80::10", &image, MSG6_LEN),
        Ok(())
    );
    // The next advert, even within the same 1/65536 s, is newer.
    let next = signed_ipv6(&mut sender, now);
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &next, MSG6_LEN),
        Ok(())
    );
}

#[test]
fn receive_only_sends_no_trailer_but_checks_one() {
    let mut s = HmacSession::new(
        config(Mode::ReceiveOnly, AntiReplay::Time),
        Version::V3,
        51,
        &[],
    );
    assert_eq!(s.trailer_len(), 0);
    let mut bytes = vec![1, 2, 3];
    s.sign(UnixTime::now(), ip("fe80::10"), &mut bytes);
    assert_eq!(bytes, [1, 2, 3]);
    let now = UnixTime::now();
    let mut signer = session(AntiReplay::Time);
    let mut image = signed_ipv6(&mut signer, now);
    let (m, _) = image.split_at(MSG6_LEN);
    assert!(
        s.verify(now, ip("fe80::10"), m, None)
            .is_ok_and(|a| !a.signed)
    );
    image[MSG6_LEN + 12] ^= 1;
    assert_eq!(
        verify_image(&mut s, now, "fe80::10", &image, MSG6_LEN),
        Err(Rejection::BadHmac)
    );
}

#[test]
fn a_missing_trailer_is_refused_only_in_enforce_mode() {
    let message = &hex::decode(IPV6_VECTOR).expect("hex")[..MSG6_LEN];
    for (mode, refused) in [
        (Mode::ReceiveOnly, false),
        (Mode::Permissive, false),
        (Mode::Enforce, true),
    ] {
        let mut s = HmacSession::new(config(mode, AntiReplay::Time), Version::V3, 51, &[]);
        let r = s.verify(UnixTime::now(), ip("fe80::10"), message, None);
        assert_eq!(r.is_err(), refused, "{mode:?}");
        assert_eq!(s.stats().auth_ext_missing, u64::from(refused));
    }
}

#[test]
fn stale_and_future_timestamps_are_shed() {
    let now = UnixTime::now();
    let mut sender = session(AntiReplay::Time);
    for (offset, skew) in [(-100i64, 100), (100, -100)] {
        let then = UnixTime {
            secs: now.secs.saturating_add_signed(offset),
            nanos: 0,
        };
        let image = signed_ipv6(&mut sender, then);
        let mut receiver = session(AntiReplay::Time);
        assert_eq!(
            verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
            Err(Rejection::Stale { skew })
        );
        assert_eq!(receiver.stats().auth_ext_stale, 1);
    }
}

#[test]
fn time_mode_restarts_a_sequence_stranded_in_the_future() {
    let now = UnixTime::now();
    let mut s = session(AntiReplay::Time);
    s.set_send_seq(Seq(u64::from(now.wire_secs() + 3600) << 32));
    let image = signed_ipv6(&mut s, now);
    let sent = Seq::from_parts(
        u32::from_be_bytes(image[MSG6_LEN + 4..MSG6_LEN + 8].try_into().expect("4")),
        0,
        0,
    );
    assert!(Seq::secs_behind(now, sent.secs()).abs() <= 1);
}

#[test]
fn a_receiver_mark_stranded_in_the_future_expires_in_time_mode_only() {
    let now = UnixTime::now();
    let far = Seq(u64::from(now.wire_secs() + 3600) << 32);
    let mut mark = vrrp::auth_hmac::ReplayMark { last: Some(far) };
    let fresh = Seq::from_clock(now);
    assert!(mark.accept(fresh, now, Some(5)), "expired mark");
    assert!(!mark.accept(fresh, now, Some(5)), "replay after expiry");
    let mut monotonic = vrrp::auth_hmac::ReplayMark { last: Some(far) };
    assert!(
        !monotonic.accept(fresh, now, None),
        "monotonic keeps its mark"
    );
}

#[test]
fn monotonic_mode_keeps_strict_growth() {
    let now = UnixTime::now();
    let mut s = session(AntiReplay::Monotonic);
    let ahead = u64::from(now.wire_secs() + 3600) << 32;
    s.set_send_seq(Seq(ahead));
    let image = signed_ipv6(&mut s, now);
    let t = &image[MSG6_LEN..];
    assert_eq!(
        u32::from_be_bytes(t[4..8].try_into().expect("4")),
        now.wire_secs() + 3600
    );
    assert_eq!(u16::from_be_bytes([t[10], t[11]]), 1);
}

#[test]
fn serial_arithmetic_survives_the_wrap() {
    assert!(Seq(0).is_after(Seq(u64::MAX)));
    assert!(!Seq(u64::MAX).is_after(Seq(0)));
    assert!(Seq(5).is_after(Seq(4)));
    assert!(!Seq(4).is_after(Seq(4)));
}

#[test]
fn unicast_state_is_per_configured_peer() {
    let now = UnixTime::now();
    let peer = ip("fe80::10");
    let mut receiver = HmacSession::new(
        config(Mode::Enforce, AntiReplay::Time),
        Version::V3,
        51,
        &[peer],
    );
    let mut sender = session(AntiReplay::Time);
    let image = signed_ipv6(&mut sender, now);
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
        Ok(())
    );
    // Another source is no peer: refused before any HMAC work.
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::99", &image, MSG6_LEN),
        Err(Rejection::UnknownPeer)
    );
    // The mark survives a reload that keeps the peer.
    receiver.reconfigure(config(Mode::Enforce, AntiReplay::Time), &[peer]);
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
        Err(Rejection::Replay)
    );
}

#[test]
fn the_multicast_table_evicts_the_least_recently_used_sender() {
    let now = UnixTime::now();
    let mut table = SenderTable::default();
    let senders: Vec<IpAddr> = (1..=5).map(|k| ip(&format!("10.0.0.{k}"))).collect();
    for s in &senders[..4] {
        assert!(table.mark(*s).accept(Seq(10), now, None));
    }
    // Sender 1 is used again, so sender 2 is the oldest and gives way to sender 5.
    assert!(!table.mark(senders[0]).accept(Seq(10), now, None));
    assert!(table.mark(senders[4]).accept(Seq(10), now, None));
    assert!(
        !table.mark(senders[0]).accept(Seq(10), now, None),
        "sender 1 kept"
    );
    assert!(
        table.mark(senders[1]).accept(Seq(10), now, None),
        "sender 2 forgotten"
    );
}

#[test]
fn rotation_verifies_either_key_and_signs_with_the_active_one() {
    let now = UnixTime::now();
    let two_keys = |active| HmacConfig {
        keys: vec![
            Key {
                id: 1,
                bytes: vec![1; 32],
            },
            Key {
                id: 2,
                bytes: vec![2; 64],
            },
        ],
        active_key: active,
        ..config(Mode::Enforce, AntiReplay::Time)
    };
    let mut receiver = HmacSession::new(two_keys(1), Version::V3, 51, &[]);
    // One sender moves its active key (a reload): its sequence keeps growing.
    let mut sender = HmacSession::new(two_keys(1), Version::V3, 51, &[]);
    for active in [1u8, 2] {
        sender.reconfigure(two_keys(active), &[]);
        let image = signed_ipv6(&mut sender, now);
        assert_eq!(image[MSG6_LEN + 1], active);
        assert_eq!(
            verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
            Ok(())
        );
    }
    let mut unknown = HmacSession::new(
        HmacConfig {
            keys: vec![Key {
                id: 3,
                bytes: vec![3; 32],
            }],
            active_key: 3,
            ..two_keys(1)
        },
        Version::V3,
        51,
        &[],
    );
    let image = signed_ipv6(&mut unknown, now);
    assert_eq!(
        verify_image(&mut receiver, now, "fe80::10", &image, MSG6_LEN),
        Err(Rejection::UnknownKey(3))
    );
}

#[test]
fn default_window_is_three_intervals_within_bounds() {
    let w = |cs| HmacConfig::default_window(AdvertInterval::from_centis(cs).expect("interval"));
    assert_eq!(w(100), 5);
    assert_eq!(w(1), 5);
    assert_eq!(w(400), 12);
    assert_eq!(w(4095), 120);
    assert_eq!(
        HmacConfig::default_window(AdvertInterval::from_secs(255).expect("i")),
        300
    );
}

#[test]
fn keys_are_never_printed() {
    let printed = format!("{:?}", config(Mode::Enforce, AntiReplay::Time));
    assert!(printed.contains("32 bytes"), "{printed}");
    assert!(!printed.contains("31"), "{printed}");
}

proptest::proptest! {
    /// Any bytes from any source: decoding with a trailer and verifying never panic, and
    /// nothing random is ever accepted as signed.
    #[test]
    fn random_packets_never_panic_nor_verify(
        bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        last in proptest::num::u8::ANY,
    ) {
        let addrs = PacketAddrs { src: ip(&format!("10.0.0.{last}")), dst: ip("224.0.0.18") };
        let _ = Advert::decode_with_trailer(&bytes, &addrs);
        let mut s = session(AntiReplay::Monotonic);
        if bytes.len() >= TRAILER_LEN {
            let (m, t) = bytes.split_at(bytes.len() - TRAILER_LEN);
            let t: &[u8; TRAILER_LEN] = t.try_into().expect("length");
            let r = s.verify(UnixTime::now(), addrs.src, m, Some(t));
            proptest::prop_assert!(r.is_err());
        }
    }
}

#[test]
fn keys_are_wiped_when_dropped() {
    // Key's Drop overwrites its bytes (zeroize); the marker says so to the type system.
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<vrrp::auth_hmac::Key>();
}
