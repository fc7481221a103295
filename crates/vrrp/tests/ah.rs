//! `auth_type AH`: adverts captured from Debian's keepalived 2.2.7
//! (scripts/capture-keepalived-vectors.sh) open, verify, decode and are sealed again byte for
//! byte; every field the ICV covers is checked; keepalived's sequence number rules.

use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};
use vrrp::ah::{self, AhSession, Envelope, Key, Rejection, SeqCounter};
use vrrp::{Advert, AdvertInterval, Auth, ChecksumMode, PacketAddrs, Version};

mod common;

use common::load_vector as load;

fn v4(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

/// Opens, verifies and decodes a captured packet, seals the decoded advert again with the
/// captured IP id and sequence number, and compares the bytes.
fn vector(name: &str, pass: &str, unicast: bool) -> (Advert, u32) {
    let packet = load(name);
    let opened = ah::open(&packet).expect("opens");
    let mut session = AhSession::new(Key::from_pass(pass), unicast);
    session
        .verify(&packet, &opened, true)
        .unwrap_or_else(|r| panic!("{name}: {r}"));
    let advert = Advert::decode(opened.vrrp, &opened.ip.addrs)
        .expect("VRRP decodes")
        .advert;
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (opened.ip.addrs.src, opened.ip.addrs.dst) else {
        panic!("IPv4")
    };
    let vrrp = advert
        .encode(&opened.ip.addrs, ChecksumMode::MessageOnly)
        .expect("encodes");
    let env = Envelope {
        src,
        dst,
        id: u16::from_be_bytes([packet[4], packet[5]]),
        unicast,
    };
    let sealed = ah::seal(&Key::from_pass(pass), &env, opened.ah.seq, &vrrp);
    assert_eq!(
        hex::encode(&sealed),
        hex::encode(&packet),
        "{name}: byte-exact"
    );
    (advert, opened.ah.seq)
}

#[test]
fn keepalived_multicast_adverts_verify_and_reseal_byte_for_byte() {
    let (a, seq) = vector("v2-ah-multicast", "secret", false);
    assert_eq!(
        a,
        Advert {
            version: Version::V2,
            vrid: 54,
            priority: 255,
            interval: AdvertInterval::ONE_SECOND,
            auth: Auth::Ah,
            addresses: vec![
                IpAddr::V4(v4("172.16.16.12")),
                IpAddr::V4(v4("172.16.16.13"))
            ],
        }
    );
    assert_eq!(
        seq, 1,
        "keepalived's counter starts at 0: the first advert is 1"
    );
    let (a, seq) = vector("v2-ah-multicast-prio0", "secret", false);
    assert_eq!((a.priority, seq), (0, 5));
}

#[test]
fn keepalived_unicast_adverts_key_with_the_first_8_bytes() {
    // auth_pass longersecret: keepalived keys with "longerse".
    let (a, _) = vector("v2-ah-unicast", "longersecret", true);
    assert_eq!((a.vrid, a.auth), (54, Auth::Ah));
    vector("v2-ah-unicast-prio0", "longerse", true);
}

#[test]
fn the_ip_header_and_ah_fields() {
    let packet = load("v2-ah-multicast");
    let opened = ah::open(&packet).expect("opens");
    assert_eq!(opened.ip.protocol, ah::IPPROTO_AH);
    assert_eq!((opened.ip.ttl, packet[1]), (255, 0xc0), "TTL 255, TOS 0xc0");
    assert_eq!(&packet[6..8], &[0, 0], "no DF");
    assert_eq!(opened.ah.next_header, 112);
    assert_eq!(packet[21], ah::wire::PAYLOAD_LEN_WORDS);
    assert_eq!(opened.ah.spi, u32::from(v4("172.16.16.5")), "SPI = source");
    assert_eq!(opened.vrrp.len(), packet.len() - 20 - ah::AH_LEN);
    assert_eq!(opened.vrrp[4], 2, "VRRP auth type 2");
    assert_eq!(
        &opened.vrrp[opened.vrrp.len() - 8..],
        &[0; 8],
        "auth data zero"
    );
}

fn refused(packet: &[u8], pass: &str, unicast: bool) -> Option<Rejection> {
    let opened = ah::open(packet).ok()?;
    AhSession::new(Key::from_pass(pass), unicast)
        .verify(packet, &opened, true)
        .err()
}

#[test]
fn another_pass_or_any_covered_field_altered_is_refused() {
    let packet = load("v2-ah-multicast");
    assert_eq!(refused(&packet, "secreT", false), Some(Rejection::BadIcv));
    // The VRRP priority, the IP id, a VIP, the sequence number: all covered.
    for at in [20 + 24 + 2, 4, 20 + 24 + 9, 20 + 11] {
        let mut p = packet.clone();
        p[at] ^= 1;
        assert_eq!(
            refused(&p, "secret", false),
            Some(Rejection::BadIcv),
            "byte {at}"
        );
    }
    // Multicast: the TTL is covered. TOS and fragment fields are not.
    let mut p = packet.clone();
    p[8] = 254;
    assert_eq!(refused(&p, "secret", false), Some(Rejection::BadIcv));
    let mut p = packet.clone();
    p[1] = 0;
    p[6] = 0x40;
    assert_eq!(refused(&p, "secret", false), None);
}

#[test]
fn unicast_leaves_the_ttl_out_of_the_icv() {
    let mut p = load("v2-ah-unicast");
    p[8] = 60;
    assert_eq!(refused(&p, "longerse", true), None);
    // A receiver configured for multicast covers the TTL, so it disagrees.
    assert_eq!(refused(&p, "longerse", false), Some(Rejection::BadIcv));
}

#[test]
fn spi_must_be_the_source_address() {
    let key = Key::from_pass("k");
    let env = Envelope {
        src: v4("10.0.0.1"),
        dst: v4("224.0.0.18"),
        id: 1,
        unicast: false,
    };
    let mut p = ah::seal(
        &key,
        &env,
        1,
        &[0x21, 1, 100, 0, 2, 1, 0xdc, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    p[24..28].copy_from_slice(&[10, 0, 0, 2]);
    let len = p.len();
    let icv = ah::wire::icv(&key, &p, 20, false);
    p[32..44].copy_from_slice(&icv);
    assert_eq!(p.len(), len);
    assert_eq!(
        refused(&p, "k", false),
        Some(Rejection::BadSpi {
            spi: u32::from(v4("10.0.0.2"))
        })
    );
}

#[test]
fn other_packets_do_not_open() {
    let packet = load("v2-ah-multicast");
    let mut p = packet.clone();
    p[20] = 6; // AH around TCP
    assert_eq!(ah::open(&p), Err(ah::OpenError::NextHeader(6)));
    assert!(matches!(ah::open(&packet[..50]), Err(ah::OpenError::Ip(_))));
    let vrrp = load("v2-pass-multicast");
    assert_eq!(ah::open(&vrrp), Err(ah::OpenError::NotAh(112)));
    let mut short = vrrp::ip::ipv4_packet(v4("1.2.3.4"), v4("224.0.0.18"), &[0; 30]);
    short[9] = 51;
    assert!(matches!(
        ah::open(&short),
        Err(ah::OpenError::Truncated {
            needed: 32,
            got: 30
        })
    ));
}

/// A sealer at `seq` for tests of the counter.
fn advert_at(key: &Key, src: &str, seq: u32, priority: u8) -> Vec<u8> {
    let addrs = PacketAddrs {
        src: IpAddr::V4(v4(src)),
        dst: IpAddr::V4(v4("224.0.0.18")),
    };
    let advert = Advert {
        version: Version::V2,
        vrid: 9,
        priority,
        interval: AdvertInterval::ONE_SECOND,
        auth: Auth::Ah,
        addresses: vec![IpAddr::V4(v4("10.0.0.100"))],
    };
    let vrrp = advert
        .encode(&addrs, ChecksumMode::MessageOnly)
        .expect("encodes");
    let env = Envelope {
        src: v4(src),
        dst: v4("224.0.0.18"),
        id: 7,
        unicast: false,
    };
    ah::seal(key, &env, seq, &vrrp)
}

fn verdict(s: &mut AhSession, p: &[u8]) -> Result<(), Rejection> {
    let opened = ah::open(p).expect("opens");
    s.verify(p, &opened, true)
}

#[test]
fn replays_and_numbers_going_back_are_refused() {
    let key = Key::from_pass("pw");
    let mut backup = AhSession::new(key.clone(), false);
    assert_eq!(
        verdict(&mut backup, &advert_at(&key, "10.0.0.1", 5, 100)),
        Ok(())
    );
    let again = advert_at(&key, "10.0.0.1", 5, 100);
    assert_eq!(
        verdict(&mut backup, &again),
        Err(Rejection::Replay { seq: 5, local: 5 })
    );
    assert_eq!(
        verdict(&mut backup, &advert_at(&key, "10.0.0.1", 3, 100)),
        Err(Rejection::Replay { seq: 3, local: 5 })
    );
    assert_eq!(
        verdict(&mut backup, &advert_at(&key, "10.0.0.1", 6, 100)),
        Ok(())
    );
    assert_eq!(backup.stats().auth_ah_replay, 2);
    // A refused advert does not move the counter; an ICV failure is checked first.
    assert_eq!(
        verdict(
            &mut backup,
            &advert_at(&Key::from_pass("x"), "10.0.0.1", 99, 100)
        ),
        Err(Rejection::BadIcv)
    );
    assert_eq!(backup.counter_now().seq, 6);
}

#[test]
fn a_backup_continues_above_its_master_and_a_fresh_router_is_refused() {
    let key = Key::from_pass("pw");
    let mut master = AhSession::new(key.clone(), false);
    let mut backup = AhSession::new(key.clone(), false);
    for _ in 0..3 {
        let stamp = master.stamp();
        let p = master.seal(
            stamp,
            v4("10.0.0.1"),
            v4("224.0.0.18"),
            &[0x21, 9, 100, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        assert_eq!(verdict(&mut backup, &p), Ok(()));
    }
    assert_eq!(backup.counter_now().seq, 3);
    // The backup takes over: its first advert is 4, which any router that heard 3 accepts.
    assert_eq!(backup.stamp().seq, 4);
    // A router that restarts counts from 1 again: refused until it has heard the others.
    let mut restarted = AhSession::new(key.clone(), false);
    let first = restarted.stamp();
    assert_eq!((first.id, first.seq), (1, 1));
    let p = restarted.seal(
        first,
        v4("10.0.0.1"),
        v4("224.0.0.18"),
        &[0x21, 9, 100, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(
        verdict(&mut backup, &p),
        Err(Rejection::Replay { seq: 1, local: 4 })
    );
}

#[test]
fn counter_rules_at_the_end_and_on_lower_priority() {
    let mut c = SeqCounter {
        seq: ah::SEQ_LAST - 1,
        cycle: false,
    };
    assert_eq!(c.next_to_send(), ah::SEQ_LAST);
    assert_eq!(c.next_to_send(), ah::SEQ_LAST + 1);
    // Past the end the counter stops: the same number again, refused by every peer.
    assert_eq!(c.next_to_send(), ah::SEQ_LAST + 1);
    assert!(c.cycle);
    // Becoming master with a stopped counter starts it again from 0.
    c.became_master();
    assert_eq!((c.seq, c.cycle), (0, false));
    c.became_master();
    assert_eq!(c.seq, 0, "only a stopped counter is reset");
    // A master hearing a lower priority advert goes one above it.
    c.master_heard_lower(41);
    assert_eq!(c.next_to_send(), 43);
    assert_eq!(
        ah::outranks(
            100,
            "10.0.0.2".parse().expect("ip"),
            100,
            "10.0.0.1".parse().expect("ip")
        ),
        std::cmp::Ordering::Greater
    );
}

#[test]
fn stamps_share_one_number_per_advert_and_skip_ip_id_zero() {
    let mut s = AhSession::new(Key::from_pass("pw"), true);
    let mut last = s.stamp();
    for _ in 0..70_000 {
        let next = s.stamp();
        assert_ne!(next.id, 0);
        assert_eq!(next.seq, last.seq + 1);
        last = next;
    }
}

proptest! {
    #[test]
    fn sealed_adverts_open_verify_and_decode(
        vrid in 1u8..,
        priority in any::<u8>(),
        secs in 1u16..=255,
        vips in prop::collection::vec(any::<[u8; 4]>(), 0..20),
        src in any::<[u8; 4]>(),
        dst in any::<[u8; 4]>(),
        id in any::<u16>(),
        seq in 1u32..,
        pass in "[ -~]{1,12}",
        unicast in any::<bool>(),
    ) {
        let (src, dst) = (Ipv4Addr::from(src), Ipv4Addr::from(dst));
        let addrs = PacketAddrs { src: IpAddr::V4(src), dst: IpAddr::V4(dst) };
        let advert = Advert {
            version: Version::V2,
            vrid,
            priority,
            interval: AdvertInterval::from_secs(secs).expect("1-255 s"),
            auth: Auth::Ah,
            addresses: vips.into_iter().map(|o| IpAddr::V4(Ipv4Addr::from(o))).collect(),
        };
        let vrrp = advert.encode(&addrs, ChecksumMode::MessageOnly).expect("encodes");
        let key = Key::from_pass(&pass);
        let packet = ah::seal(&key, &Envelope { src, dst, id, unicast }, seq, &vrrp);
        let opened = ah::open(&packet).expect("opens");
        prop_assert_eq!(opened.ah.seq, seq);
        let mut s = AhSession::new(key, unicast);
        prop_assert_eq!(s.verify(&packet, &opened, true), Ok(()));
        let decoded = Advert::decode(opened.vrrp, &opened.ip.addrs).expect("decodes");
        prop_assert_eq!(decoded.advert, advert);
    }

    #[test]
    fn opening_and_verifying_never_panic(
        payload in prop::collection::vec(any::<u8>(), 0..120),
        ihl in 5u8..=15,
    ) {
        let mut p = vrrp::ip::ipv4_packet(v4("10.0.0.1"), v4("224.0.0.18"), &payload);
        p[0] = 0x40 | ihl;
        p[9] = ah::IPPROTO_AH;
        if let Ok(opened) = ah::open(&p) {
            let _ = AhSession::new(Key::from_pass("k"), false).verify(&p, &opened, false);
        }
        let _ = ah::wire::icv(&Key::from_pass("k"), &payload, 20, true);
    }
}
