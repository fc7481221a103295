//! The cloud's bad days over HTTP: switched at start (`Options::faults`, `serve --fault-*`) or
//! by `POST /internal/faults` with the internal secret; throttling, failed calls that change
//! nothing, added latency, and a Describe that shows the old owner for N ms after a move.

mod common;
use common::Api;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use vpc::faults::Faults;
use vpc::service::Options;

fn set(api: &Api, secret: Option<&str>, body: &Value) -> Result<Value, u16> {
    let mut req = ureq::post(&format!("{}internal/faults", api.url));
    if let Some(s) = secret {
        req = req.set("Authorization", &format!("Bearer {s}"));
    }
    match req.send_string(&body.to_string()) {
        Ok(r) => Ok(serde_json::from_str(&r.into_string().expect("body")).expect("json")),
        Err(ureq::Error::Status(code, _)) => Err(code),
        Err(e) => panic!("{e}"),
    }
}

fn switch(api: &Api, body: Value) {
    let secret = api.service.internal_secret().to_string();
    set(api, Some(&secret), &body).expect("faults switched");
}

/// An ENI with a secondary address .20 and a second ENI; returns (a, b).
fn two_enis(api: &Api) -> (String, String) {
    let s = api.seed();
    api.ok(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": s.enis[0], "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.20"}]}),
    );
    (s.enis[0].clone(), s.enis[1].clone())
}

fn owner_of_20(api: &Api) -> Vec<String> {
    api.ok("DescribeNetworkInterfaces", json!({}))["NetworkInterfaceSet"]
        .as_array()
        .expect("set")
        .iter()
        .filter(|e| e.to_string().contains("\"172.16.16.20\""))
        .map(|e| e["NetworkInterfaceId"].as_str().expect("id").to_string())
        .collect()
}

fn migrate(a: &str, b: &str) -> Value {
    json!({"SourceNetworkInterfaceId": a, "DestinationNetworkInterfaceId": b, "PrivateIpAddress": "172.16.16.20"})
}

#[test]
fn the_faults_endpoint_wants_the_secret_and_bounded_values() {
    let api = Api::memory();
    let on = json!({"ThrottlePercent": 100});
    assert_eq!(set(&api, None, &on), Err(401));
    assert_eq!(set(&api, Some("guess"), &on), Err(401));
    let secret = api.service.internal_secret().to_string();
    assert_eq!(
        set(&api, Some(&secret), &json!({"ThrottlePercent": 101})),
        Err(400)
    );
    assert_eq!(set(&api, Some(&secret), &json!({"Unknown": 1})), Err(400));
    assert_eq!(
        set(&api, Some(&secret), &json!({"LatencyMs": 60_001})),
        Err(400)
    );
    assert_eq!(api.service.faults(), Faults::default(), "nothing switched");
    api.ok("DescribeVpcs", json!({}));
}

#[test]
fn throttling_refuses_its_share_of_calls() {
    let api = Api::memory();
    switch(&api, json!({"ThrottlePercent": 100}));
    assert_eq!(api.err("DescribeVpcs", json!({})), "RequestLimitExceeded");
    switch(&api, json!({"ThrottlePercent": 50}));
    let throttled = (0..200)
        .filter(|_| api.call("DescribeVpcs", json!({})).get("Error").is_some())
        .count();
    assert!((50..=150).contains(&throttled), "{throttled} of 200");
    switch(&api, json!({}));
    assert!((0..50).all(|_| api.call("DescribeVpcs", json!({})).get("Error").is_none()));
}

#[test]
fn a_failed_call_changes_nothing() {
    let api = Api::memory();
    let (a, b) = two_enis(&api);
    switch(&api, json!({"FailPercent": 100}));
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(&a, &b)),
        "InternalError"
    );
    switch(&api, json!({}));
    assert_eq!(owner_of_20(&api), std::slice::from_ref(&a));
    api.ok("MigratePrivateIpAddress", migrate(&a, &b));
    assert_eq!(owner_of_20(&api), [b]);
}

#[test]
fn latency_is_added_to_every_call() {
    let options = Options {
        quotas: vpc::cloud::Quotas {
            requests_per_second: 0,
            ..Default::default()
        },
        faults: Faults {
            latency_ms: 300,
            ..Faults::default()
        },
        ..Options::default()
    };
    let api = Api::start_with(Box::new(vpc::store::Memory), options);
    let t = Instant::now();
    api.ok("DescribeVpcs", json!({}));
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    switch(&api, json!({}));
    let t = Instant::now();
    api.ok("DescribeVpcs", json!({}));
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn describe_shows_the_old_owner_for_the_lag_after_a_move() {
    let api = Api::memory();
    let (a, b) = two_enis(&api);
    switch(&api, json!({"StaleDescribeMs": 1500}));
    let moved = Instant::now();
    api.ok("MigratePrivateIpAddress", migrate(&a, &b));
    assert_eq!(
        owner_of_20(&api),
        std::slice::from_ref(&a),
        "the old owner, within the lag"
    );
    assert!(
        moved.elapsed() < Duration::from_millis(1500),
        "too slow to tell"
    );
    // The migration is stored: moving it again from the old owner is refused.
    assert_eq!(
        api.err("MigratePrivateIpAddress", migrate(&a, &b)),
        "UnauthorizedOperation.AttachmentNotFound"
    );
    std::thread::sleep(Duration::from_millis(1600).saturating_sub(moved.elapsed()));
    assert_eq!(owner_of_20(&api), [b], "the new owner once the lag is over");
}
