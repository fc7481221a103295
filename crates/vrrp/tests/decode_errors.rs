//! One table row per malformed case: every one is a typed error, none panics.

use std::net::IpAddr;
use vrrp::{Advert, ChecksumMode, DecodeError, PacketAddrs};

fn addrs(src: &str, dst: &str) -> PacketAddrs {
    PacketAddrs {
        src: src.parse().expect("addr"),
        dst: dst.parse().expect("addr"),
    }
}

fn v4() -> PacketAddrs {
    addrs("172.16.16.5", "224.0.0.18")
}

/// A valid v2 advert with PASS auth and one address, with its checksum set.
fn v2_bytes() -> Vec<u8> {
    hex::decode("2133ff010101c04aac10100c3131313100000000").expect("hex")
}

/// Recomputes the v2 checksum after a field was edited.
fn fix_v2_checksum(b: &mut [u8]) {
    b[6] = 0;
    b[7] = 0;
    let c = vrrp::checksum::internet_checksum(b);
    b[6..8].copy_from_slice(&c.to_be_bytes());
}

fn err(bytes: &[u8], a: &PacketAddrs) -> DecodeError {
    Advert::decode(bytes, a).expect_err("must be rejected")
}

#[test]
fn the_valid_base_case_decodes() {
    assert!(Advert::decode(&v2_bytes(), &v4()).is_ok());
}

#[test]
fn malformed_adverts_table() {
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = v2_bytes();
        f(&mut b);
        fix_v2_checksum(&mut b);
        b
    };
    let cases: Vec<(&str, Vec<u8>, PacketAddrs, DecodeError)> = vec![
        (
            "empty",
            vec![],
            v4(),
            DecodeError::Truncated { needed: 8, got: 0 },
        ),
        (
            "7 bytes",
            v2_bytes()[..7].to_vec(),
            v4(),
            DecodeError::Truncated { needed: 8, got: 7 },
        ),
        (
            "version 1",
            edit(&|b| b[0] = 0x11),
            v4(),
            DecodeError::BadVersion(1),
        ),
        (
            "version 4",
            edit(&|b| b[0] = 0x41),
            v4(),
            DecodeError::BadVersion(4),
        ),
        (
            "type 2",
            edit(&|b| b[0] = 0x22),
            v4(),
            DecodeError::BadType(2),
        ),
        (
            "mixed families",
            v2_bytes(),
            addrs("172.16.16.5", "ff02::12"),
            DecodeError::MixedFamily {
                src: "172.16.16.5".parse().expect("a"),
                dst: "ff02::12".parse().expect("a"),
            },
        ),
        (
            "v2 over IPv6",
            v2_bytes(),
            addrs("fe80::5", "ff02::12"),
            DecodeError::V2OverIpv6,
        ),
        ("vrid 0", edit(&|b| b[1] = 0), v4(), DecodeError::ZeroVrid),
        (
            "count says 2, one address present",
            edit(&|b| b[3] = 2),
            v4(),
            DecodeError::LengthMismatch {
                count: 2,
                expected: 24,
                got: 20,
            },
        ),
        (
            "trailing byte",
            edit(&|b| b.push(0)),
            v4(),
            DecodeError::LengthMismatch {
                count: 1,
                expected: 20,
                got: 21,
            },
        ),
        (
            "auth data cut off",
            v2_bytes()[..16].to_vec(),
            v4(),
            DecodeError::LengthMismatch {
                count: 1,
                expected: 20,
                got: 16,
            },
        ),
        (
            "v2 interval 0",
            edit(&|b| b[5] = 0),
            v4(),
            DecodeError::ZeroInterval,
        ),
        (
            "auth type 3",
            edit(&|b| b[4] = 3),
            v4(),
            DecodeError::BadAuthType(3),
        ),
        (
            "bit flip in address",
            {
                let mut b = v2_bytes();
                b[9] ^= 1;
                b
            },
            v4(),
            DecodeError::BadChecksum { found: 0xc04a },
        ),
    ];
    for (name, bytes, a, expected) in cases {
        assert_eq!(err(&bytes, &a), expected, "{name}");
    }
}

#[test]
fn v3_zero_interval_and_bad_ipv6_checksum() {
    let a = addrs("fe80::5", "ff02::12");
    let advert = Advert {
        version: vrrp::Version::V3,
        vrid: 9,
        priority: 100,
        interval: vrrp::AdvertInterval::ONE_SECOND,
        auth: vrrp::Auth::None,
        addresses: vec!["fd00::12".parse::<IpAddr>().expect("a")],
    };
    let mut b = advert
        .encode(&a, ChecksumMode::PseudoHeader)
        .expect("encodes");
    // IPv6 has only the pseudo-header form: the message-only sum must not be accepted.
    let wrong_dst = addrs("fe80::5", "ff02::13");
    assert!(matches!(
        err(&b, &wrong_dst),
        DecodeError::BadChecksum { .. }
    ));
    b[4] = 0xf0; // reserved bits set, interval 0
    b[5] = 0;
    assert_eq!(err(&b, &a), DecodeError::ZeroInterval);
}

#[test]
fn v3_reserved_bits_are_ignored_on_receive() {
    let a = v4();
    let advert = Advert {
        version: vrrp::Version::V3,
        vrid: 9,
        priority: 100,
        interval: vrrp::AdvertInterval::ONE_SECOND,
        auth: vrrp::Auth::None,
        addresses: vec!["172.16.16.12".parse::<IpAddr>().expect("a")],
    };
    let mut b = advert
        .encode(&a, ChecksumMode::MessageOnly)
        .expect("encodes");
    b[4] |= 0xf0;
    b[6] = 0;
    b[7] = 0;
    let c = vrrp::checksum::internet_checksum(&b);
    b[6..8].copy_from_slice(&c.to_be_bytes());
    assert_eq!(Advert::decode(&b, &a).expect("decodes").advert, advert);
}
