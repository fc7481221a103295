//! DescribeHaVips with 10,000 HAVIPs: in process (the action alone) and over HTTP (signed
//! request, loopback, one client). Throughput is the inverse of the times reported.
// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::collections::BTreeMap;
use vpc::cloud::Quotas;
use vpc::service::Service;

const N: usize = 10_000;

fn service() -> (std::sync::Arc<Service>, Vec<String>) {
    let keys = BTreeMap::from([("AKIDbench".to_string(), "bench".to_string())]);
    let s = Service::new(
        Box::new(vpc::store::Memory),
        keys,
        Quotas {
            havips_per_vpc: N + 1,
            havips_per_eni: 5,
            requests_per_second: 0,
        },
    )
    .expect("service");
    let vpc = s
        .call(
            "CreateVpc",
            &json!({"VpcName": "b", "CidrBlock": "10.0.0.0/16"}),
            "r",
        )
        .expect("vpc")["Vpc"]["VpcId"]
        .clone();
    let subnet = s
        .call(
            "CreateSubnet",
            &json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/17", "Zone": "z"}),
            "r",
        )
        .expect("subnet")["Subnet"]["SubnetId"]
        .clone();
    let ids = (0..N)
        .map(|k| {
            let vip = format!("10.0.{}.{}", 1 + k / 250, 2 + k % 250);
            s.call(
                "CreateHaVip",
                &json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": format!("h{k}"), "Vip": vip}),
                "r",
            )
            .expect("havip")["HaVip"]["HaVipId"]
                .as_str()
                .expect("id")
                .to_string()
        })
        .collect();
    (s, ids)
}

fn bench(c: &mut Criterion) {
    let (s, ids) = service();
    let mut g = c.benchmark_group("describe_havips_10k");
    g.bench_function("by_id", |b| {
        let body = json!({"HaVipIds": [ids[N / 2]]});
        b.iter(|| s.call("DescribeHaVips", &body, "r").expect("ok"))
    });
    g.bench_function("filter_vip", |b| {
        let body = json!({"Filters": [{"Name": "vip", "Values": ["10.0.20.100"]}]});
        b.iter(|| s.call("DescribeHaVips", &body, "r").expect("ok"))
    });
    g.bench_function("page_of_100", |b| {
        let body = json!({"Offset": 5000, "Limit": 100});
        b.iter(|| s.call("DescribeHaVips", &body, "r").expect("ok"))
    });
    let (host, _rt) = vpc::server::serve_in_background(s.clone()).expect("server");
    let agent = ureq::AgentBuilder::new().build();
    let url = format!("http://{host}/");
    g.bench_function("http_by_id", |b| {
        let text = json!({"HaVipIds": [ids[N / 2]]}).to_string();
        b.iter(|| {
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let mut req = agent.post(&url);
            for (k, v) in vpc::auth::sign_request(
                &host,
                "DescribeHaVips",
                text.as_bytes(),
                "AKIDbench",
                "bench",
                ts,
            ) {
                req = req.set(&k, &v);
            }
            req.send_string(&text)
                .expect("200")
                .into_string()
                .expect("body")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
