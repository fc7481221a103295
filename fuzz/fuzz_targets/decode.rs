//! Fuzzes the advert decoder and the IP header view: no input may panic, and whatever decodes
//! must re-encode to bytes that decode to the same advert.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp::{Advert, PacketAddrs};

fuzz_target!(|data: &[u8]| {
    if let Ok((header, payload)) = vrrp::ip::parse(data) {
        check(payload, &header.addrs);
    }
    // Also the raw payload, with addresses taken from the first bytes.
    let (addrs, payload) = match data.split_first() {
        Some((&sel, rest)) if sel & 1 == 0 && rest.len() >= 8 => (
            PacketAddrs {
                src: IpAddr::V4(Ipv4Addr::new(rest[0], rest[1], rest[2], rest[3])),
                dst: IpAddr::V4(Ipv4Addr::new(rest[4], rest[5], rest[6], rest[7])),
            },
            &rest[8..],
        ),
        Some((_, rest)) if rest.len() >= 32 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&rest[..16]);
            d.copy_from_slice(&rest[16..32]);
            (PacketAddrs { src: IpAddr::V6(Ipv6Addr::from(s)), dst: IpAddr::V6(Ipv6Addr::from(d)) }, &rest[32..])
        }
        _ => return,
    };
    check(payload, &addrs);
});

fn check(payload: &[u8], addrs: &PacketAddrs) {
    if let Ok(decoded) = Advert::decode(payload, addrs) {
        let bytes = decoded.advert.encode(addrs, decoded.checksum).expect("a decoded advert re-encodes");
        let again = Advert::decode(&bytes, addrs).expect("re-encoded bytes decode");
        assert_eq!(again.advert, decoded.advert);
    }
}
