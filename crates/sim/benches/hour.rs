//! Benchmark: 1,000 routers (500 primary/secondary pairs, each pair on its own segment)
//! simulated for one virtual hour at advert_int 1: 1.8 million adverts encoded, delivered,
//! decoded and handled.
// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use sim::Network;
use std::net::{IpAddr, Ipv4Addr};
use vrrp::{Micros, RouterConfig, Timestamp};

fn thousand_routers() -> Network {
    let mut net = Network::new(1);
    for pair in 0..500u32 {
        let vrid = (pair % 255 + 1) as u8;
        let base = 0x0a00_0000 + (pair << 8);
        let vip = IpAddr::V4(Ipv4Addr::from(base + 100));
        for (host, priority) in [(5u32, 150u8), (6, 100)] {
            let mut cfg =
                RouterConfig::new(vrid, IpAddr::V4(Ipv4Addr::from(base + host)), vec![vip]);
            cfg.priority = priority;
            net.add_node_on(pair, &format!("p{pair}-{host}"), cfg);
        }
    }
    net.start_all();
    net
}

fn hour(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    group.bench_function("1000_routers_1_hour", |b| {
        b.iter_with_setup(thousand_routers, |mut net| {
            net.run_until(Timestamp(0) + Micros::from_secs(3600));
            assert_eq!(net.codec_errors(), 0);
            net.adverts_sent()
        })
    });
    group.finish();
}

criterion_group!(benches, hour);
criterion_main!(benches);
