//! Adverts captured from Debian's keepalived 2.2.7 (scripts/capture-keepalived-vectors.sh):
//! each decodes to the fields its config set, and our encoder reproduces its bytes exactly.

use std::net::IpAddr;
use vrrp::ip;
use vrrp::{Advert, AdvertInterval, Auth, ChecksumMode, Version};

mod common;

use common::load_vector as load;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// Decodes a captured packet, checks the IP envelope, re-encodes, and returns the advert.
fn roundtrip(name: &str, dst: &str, checksum: ChecksumMode) -> Advert {
    let packet = load(name);
    let (header, payload) = ip::parse(&packet).expect("IP header");
    assert_eq!(
        header.ttl, 255,
        "{name}: keepalived sends TTL/hop limit 255"
    );
    assert_eq!(header.protocol, 112, "{name}: IP protocol VRRP");
    assert_eq!(header.addrs.dst, ip(dst), "{name}: destination");
    let decoded = Advert::decode(payload, &header.addrs).expect("decodes");
    assert_eq!(decoded.checksum, checksum, "{name}: checksum form");
    let encoded = decoded
        .advert
        .encode(&header.addrs, checksum)
        .expect("encodes");
    assert_eq!(
        hex::encode(&encoded),
        hex::encode(payload),
        "{name}: byte-exact re-encoding"
    );
    decoded.advert
}

#[test]
fn v2_pass_multicast() {
    let a = roundtrip("v2-pass-multicast", "224.0.0.18", ChecksumMode::MessageOnly);
    assert_eq!(
        a,
        Advert {
            version: Version::V2,
            vrid: 51,
            priority: 255,
            interval: AdvertInterval::ONE_SECOND,
            auth: Auth::pass("1111"),
            addresses: vec![ip("172.16.16.12")],
        }
    );
}

#[test]
fn v2_pass_unicast_is_the_seed_setup() {
    let a = roundtrip("v2-pass-unicast", "172.16.16.6", ChecksumMode::MessageOnly);
    assert_eq!((a.vrid, a.priority, a.auth), (51, 255, Auth::pass("1111")));
    assert_eq!(a.addresses, vec![ip("172.16.16.12")]);
}

#[test]
fn v3_ipv4_multicast_uses_pseudo_header() {
    let a = roundtrip(
        "v3-ipv4-multicast",
        "224.0.0.18",
        ChecksumMode::PseudoHeader,
    );
    assert_eq!((a.version, a.vrid, a.priority), (Version::V3, 52, 255));
    assert_eq!(a.interval.centis(), 100);
    assert_eq!(a.auth, Auth::None);
    assert_eq!(a.addresses, vec![ip("172.16.16.12"), ip("172.16.16.13")]);
}

#[test]
fn v3_ipv4_unicast_pseudo_header_has_the_peer_as_destination() {
    let a = roundtrip("v3-ipv4-unicast", "172.16.16.6", ChecksumMode::PseudoHeader);
    assert_eq!((a.version, a.vrid), (Version::V3, 52));
}

#[test]
fn v3_ipv6_multicast_from_link_local() {
    let packet = load("v3-ipv6-multicast");
    let (header, _) = ip::parse(&packet).expect("IPv6 header");
    assert_eq!(header.addrs.src, ip("fe80::5"));
    let a = roundtrip("v3-ipv6-multicast", "ff02::12", ChecksumMode::PseudoHeader);
    assert_eq!((a.version, a.vrid, a.priority), (Version::V3, 53, 255));
    assert_eq!(a.addresses, vec![ip("fd00::12")]);
}

#[test]
fn shutdown_adverts_carry_priority_zero() {
    for (name, dst, mode) in [
        (
            "v2-pass-multicast-prio0",
            "224.0.0.18",
            ChecksumMode::MessageOnly,
        ),
        (
            "v2-pass-unicast-prio0",
            "172.16.16.6",
            ChecksumMode::MessageOnly,
        ),
        (
            "v3-ipv4-multicast-prio0",
            "224.0.0.18",
            ChecksumMode::PseudoHeader,
        ),
        (
            "v3-ipv4-unicast-prio0",
            "172.16.16.6",
            ChecksumMode::PseudoHeader,
        ),
        (
            "v3-ipv6-multicast-prio0",
            "ff02::12",
            ChecksumMode::PseudoHeader,
        ),
    ] {
        assert_eq!(roundtrip(name, dst, mode).priority, 0, "{name}");
    }
}

#[test]
fn other_v3_ipv4_checksum_forms_are_accepted_and_reported() {
    let packet = load("v3-ipv4-unicast");
    let (header, payload) = ip::parse(&packet).expect("IP header");
    let advert = Advert::decode(payload, &header.addrs)
        .expect("decodes")
        .advert;
    for mode in [
        ChecksumMode::MessageOnly,
        ChecksumMode::PseudoHeaderMulticastDst,
    ] {
        let bytes = advert.encode(&header.addrs, mode).expect("encodes");
        assert_ne!(bytes, payload, "{mode:?} differs from keepalived's default");
        assert_eq!(
            Advert::decode(&bytes, &header.addrs)
                .expect("decodes")
                .checksum,
            mode
        );
    }
}
