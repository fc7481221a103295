//! VRRP packets without a trailer (plain, and inside AH): the advert decoder, the IP header view and the AH opener and checker: no input may
//! panic, and whatever decodes must re-encode to bytes that decode to the same advert; what an
//! AH packet carries, sealed again with our key, must open and verify.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp::{Advert, PacketAddrs};

/// Decodes `data` as an IP packet, an AH packet, and a VRRP payload.
pub fn run(data: &[u8]) {
    if let Ok((header, payload)) = vrrp::ip::parse(data) {
        check(payload, &header.addrs);
    }
    check_ah(data);
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
            (
                PacketAddrs {
                    src: IpAddr::V6(Ipv6Addr::from(s)),
                    dst: IpAddr::V6(Ipv6Addr::from(d)),
                },
                &rest[32..],
            )
        }
        _ => return,
    };
    check(payload, &addrs);
}

fn check(payload: &[u8], addrs: &PacketAddrs) {
    if let Ok(decoded) = Advert::decode(payload, addrs) {
        let bytes = decoded
            .advert
            .encode(addrs, decoded.checksum)
            .expect("a decoded advert re-encodes");
        let again = Advert::decode(&bytes, addrs).expect("re-encoded bytes decode");
        assert_eq!(again.advert, decoded.advert);
    }
}

/// AH: open and verify (a fixed key), decode the VRRP message inside, and seal it again.
fn check_ah(data: &[u8]) {
    let Ok(opened) = vrrp::ah::open(data) else {
        return;
    };
    let key = vrrp::ah::Key::from_pass("fuzz");
    let unicast = data.len() % 2 == 0;
    let mut session = vrrp::ah::AhSession::new(key.clone(), unicast);
    let _ = session.verify(data, &opened, true);
    check(opened.vrrp, &opened.ip.addrs);
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (opened.ip.addrs.src, opened.ip.addrs.dst) else {
        return;
    };
    let env = vrrp::ah::Envelope {
        src,
        dst,
        id: u16::from_be_bytes([data[4], data[5]]),
        unicast,
    };
    let seq = opened.ah.seq.max(1);
    let sealed = vrrp::ah::seal(&key, &env, seq, opened.vrrp);
    let again = vrrp::ah::open(&sealed).expect("a sealed packet opens");
    assert_eq!((again.ah.seq, again.vrrp), (seq, opened.vrrp));
    let mut fresh = vrrp::ah::AhSession::new(key, unicast);
    fresh
        .verify(&sealed, &again, true)
        .expect("a sealed packet verifies");
}
