//! `havip vpc serve --backend ovn` end to end, without chassis: the API's writes become OVN
//! northbound rows (ovn-northd makes the HAVIP's virtual binding), the holder the API reports
//! is the one the southbound database names (written here as ovn-controller would on a GARP),
//! and engine faults neither lose an acknowledged write nor make the API report a binding OVN
//! does not have for longer than an outage: a southbound restart is followed again, a
//! northbound outage refuses writes (nothing stored) and delays recording claims until it is
//! back, a northd restart changes nothing.

mod common;
use common::Api;
use common::ovn::Central;
use ovsdb::{Client, Condition, Datum, Operation, Row};
use serde_json::json;
use std::time::{Duration, Instant};
use vpc::cloud::Quotas;
use vpc::ovn::backend::OvnBackend;
use vpc::ovn::engine::Engine;

fn quotas() -> Quotas {
    Quotas {
        requests_per_second: 0,
        ..Quotas::default()
    }
}

/// The service on `central`, storing in `db`, following the southbound bindings.
fn serve(central: &Central, db: &std::path::Path, rt: &tokio::runtime::Runtime) -> Api {
    let engine = Engine::start(central.endpoint("nb")).expect("engine");
    let sqlite = vpc::store::Sqlite::open(db).expect("sqlite");
    let api = Api::start_on(
        Box::new(sqlite),
        Box::new(OvnBackend::new(engine)),
        quotas(),
    );
    rt.spawn(vpc::ovn::follow::follow_bindings(
        api.service.clone(),
        central.endpoint("sb"),
    ));
    api
}

/// Writes `virtual_parent` of `port`'s southbound binding, as ovn-controller does when a
/// parent's GARP claims it (retrying while northd has not made the binding yet).
fn claim(rt: &tokio::runtime::Runtime, central: &Central, port: &str, parent: &str) {
    let sb = central.endpoint("sb");
    rt.block_on(async {
        let c = Client::connect(&sb).await.expect("sb");
        let op = Operation::Update {
            table: "Port_Binding".into(),
            conditions: vec![Condition::eq("logical_port", Datum::string(port))],
            row: Row::from([("virtual_parent".into(), Datum::string(parent))]),
        };
        for _ in 0..100 {
            let r = c
                .transact("OVN_Southbound", std::slice::from_ref(&op))
                .await
                .expect("claim");
            if r[0]["count"] == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("northd never made {port}'s binding");
    });
}

fn holder(api: &Api, id: &str) -> String {
    let h = &api.ok("DescribeHaVips", json!({"HaVipIds": [id]}))["HaVipSet"][0];
    h["NetworkInterfaceId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} within 10 s");
}

#[test]
fn the_api_on_ovn_follows_the_southbound_binding_through_engine_faults() {
    let Some(mut central) = Central::start("backend") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = central.dir.join("api.db");
    let api = serve(&central, &db, &rt);
    let s = api.seed();
    let id = api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    claim(&rt, &central, &id, &s.enis[0]);
    until("the API reports eni 0", || holder(&api, &id) == s.enis[0]);
    let history = api.service.snapshot().history;
    assert!(
        history.back().is_some_and(|e| e.reason.starts_with("OVN:")),
        "{history:?}"
    );
    // The southbound database restarts; the follower connects again and follows.
    central.kill("sb");
    central.start_db("sb");
    claim(&rt, &central, &id, &s.enis[1]);
    until("the API follows after a southbound restart", || {
        holder(&api, &id) == s.enis[1]
    });
    // northd restarts: nothing changes.
    central.kill("northd");
    central.start_northd();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(holder(&api, &id), s.enis[1]);
    // The northbound database is down: a write is refused and nothing is stored...
    central.kill("nb");
    let body =
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "h2", "Vip": "172.16.16.13"});
    assert_eq!(api.err("CreateHaVip", body.clone()), "InternalError");
    let listed = api.ok("DescribeHaVips", json!({}))["TotalCount"].clone();
    assert_eq!(listed, 1, "a refused write was stored");
    // A claim while the northbound database is down cannot be recorded yet (recording it moves
    // port security); it is, once the database is back: the follower follows the whole table
    // again.
    claim(&rt, &central, &id, &s.enis[0]);
    // ... until it is back; then the write goes through and OVN has it.
    central.start_db("nb");
    until("the claim made during the outage is followed", || {
        holder(&api, &id) == s.enis[0]
    });
    let id2 = api.ok("CreateHaVip", body)["HaVip"]["HaVipId"]
        .as_str()
        .expect("id")
        .to_string();
    claim(&rt, &central, &id2, &s.enis[0]);
    until("the second HAVIP is followed", || {
        holder(&api, &id2) == s.enis[0]
    });
    // The service restarts on its store: everything acknowledged is there, OVN agrees.
    drop(api);
    let api = serve(&central, &db, &rt);
    assert_eq!(holder(&api, &id), s.enis[0]);
    assert_eq!(holder(&api, &id2), s.enis[0]);
}
