//! Property tests: encode/decode round trips for every version and family, and the decoder is
//! total (never panics) on arbitrary bytes and addresses.

use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp::{Advert, AdvertInterval, Auth, ChecksumMode, PacketAddrs, Version};

fn v4() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o)))
}

fn v6() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 16]>().prop_map(|o| IpAddr::V6(Ipv6Addr::from(o)))
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Pass),
        Just(Auth::Ah)
    ]
}

fn v2_case() -> impl Strategy<Value = (Advert, PacketAddrs, ChecksumMode)> {
    (
        1u8..,
        any::<u8>(),
        1u16..=255,
        auth(),
        prop::collection::vec(v4(), 0..20),
        v4(),
        v4(),
    )
        .prop_map(|(vrid, priority, secs, auth, addresses, src, dst)| {
            let interval = AdvertInterval::from_secs(secs).expect("1-255 s");
            let advert = Advert {
                version: Version::V2,
                vrid,
                priority,
                interval,
                auth,
                addresses,
            };
            (advert, PacketAddrs { src, dst }, ChecksumMode::MessageOnly)
        })
}

fn v3_case() -> impl Strategy<Value = (Advert, PacketAddrs, ChecksumMode)> {
    let ipv4 = (
        prop::collection::vec(v4(), 0..20),
        v4(),
        v4(),
        prop_oneof![
            Just(ChecksumMode::PseudoHeader),
            Just(ChecksumMode::MessageOnly),
            Just(ChecksumMode::PseudoHeaderMulticastDst),
        ],
    );
    let ipv6 = (
        prop::collection::vec(v6(), 0..20),
        v6(),
        v6(),
        Just(ChecksumMode::PseudoHeader),
    );
    (1u8.., any::<u8>(), 1u16..=4095, prop_oneof![ipv4, ipv6]).prop_map(
        |(vrid, priority, cs, (addresses, src, dst, mode))| {
            let interval = AdvertInterval::from_centis(cs).expect("non-zero");
            let advert = Advert {
                version: Version::V3,
                vrid,
                priority,
                interval,
                auth: Auth::None,
                addresses,
            };
            (advert, PacketAddrs { src, dst }, mode)
        },
    )
}

proptest! {
    #[test]
    fn round_trip((advert, addrs, mode) in prop_oneof![v2_case(), v3_case()]) {
        let bytes = advert.encode(&addrs, mode).expect("valid adverts encode");
        prop_assert_eq!(bytes.len(), advert.encoded_len(vrrp::Family::of(&addrs.src)));
        let decoded = Advert::decode(&bytes, &addrs).expect("own encoding decodes");
        prop_assert_eq!(decoded.advert, advert);
    }

    #[test]
    fn any_single_bit_flip_is_detected_or_decodes_consistently(
        (advert, addrs, mode) in v2_case(), bit in 0usize..160
    ) {
        let mut bytes = advert.encode(&addrs, mode).expect("encodes");
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        // A single flipped bit always breaks the Internet checksum.
        prop_assert!(Advert::decode(&bytes, &addrs).is_err());
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600),
                           src in prop_oneof![v4(), v6()], dst in prop_oneof![v4(), v6()]) {
        let _ = Advert::decode(&bytes, &PacketAddrs { src, dst });
    }

    #[test]
    fn ip_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok((h, payload)) = vrrp::ip::parse(&bytes) {
            prop_assert_eq!(h.header_len + payload.len(), bytes.len());
        }
    }
}
