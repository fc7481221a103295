//! Benchmarks of the hot path: one received advert decoded and handled by a backup, and the
//! encoding of one advert by a master.
// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::IpAddr;
use vrrp::{
    Advert, Auth, ChecksumMode, Event, Micros, PacketAddrs, Router, RouterConfig, Timestamp,
    Version,
};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn setup(version: Version) -> (Router, Vec<u8>, PacketAddrs) {
    let mut cfg = RouterConfig::new(51, ip("172.16.16.6"), vec![ip("172.16.16.12")]);
    cfg.version = version;
    if version == Version::V2 {
        cfg.auth = Auth::pass("1111");
    }
    let mut router = Router::new(cfg.clone()).expect("valid");
    router.handle(Timestamp(0), Event::Startup);
    let addrs = PacketAddrs {
        src: ip("172.16.16.5"),
        dst: ip("224.0.0.18"),
    };
    let advert = Advert {
        version,
        vrid: 51,
        priority: 150,
        interval: cfg.advert_interval,
        auth: cfg.auth,
        addresses: cfg.virtual_addresses.clone(),
    };
    let bytes = advert
        .encode(&addrs, ChecksumMode::PseudoHeader)
        .expect("encodes");
    (router, bytes, addrs)
}

fn receive(c: &mut Criterion) {
    for (name, version) in [("v2_pass", Version::V2), ("v3", Version::V3)] {
        let (mut router, bytes, addrs) = setup(version);
        let mut now = Timestamp(0);
        c.bench_function(&format!("decode_and_handle_advert/{name}"), |b| {
            b.iter(|| {
                now = now + Micros(1);
                let advert = Advert::decode(black_box(&bytes), &addrs)
                    .expect("valid")
                    .advert;
                let actions = router.handle(
                    now,
                    Event::Advert {
                        src: addrs.src,
                        ttl: 255,
                        multicast: true,
                        advert,
                    },
                );
                black_box(actions)
            })
        });
    }
    let (_, bytes, addrs) = setup(Version::V3);
    let advert = Advert::decode(&bytes, &addrs).expect("valid").advert;
    let mut buf = Vec::with_capacity(64);
    c.bench_function("encode_advert/v3", |b| {
        b.iter(|| {
            buf.clear();
            advert
                .encode_into(black_box(&addrs), ChecksumMode::PseudoHeader, &mut buf)
                .expect("encodes");
            black_box(&buf);
        })
    });
}

criterion_group!(benches, receive);
criterion_main!(benches);
