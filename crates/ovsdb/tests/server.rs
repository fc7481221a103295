//! The client against a real `ovsdb-server` holding OVN's northbound schema, on a Unix socket
//! in a directory of the test's own (and, for the inactivity probe, on loopback TCP); `ssl:`
//! is in `tests/tls.rs`.

use ovsdb::{
    Atom, Client, Condition, Datum, Endpoint, Error, MonitorRequest, Mutation, Operation, Row,
};
use std::time::Duration;

mod common;
use common::{DB, Server};

fn row(pairs: &[(&str, Datum)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A switch `ls1` with a virtual port `vip1` (OVN's HAVIP: virtual-ip and its parents).
fn switch_with_virtual_port() -> Vec<Operation> {
    vec![
        Operation::Insert {
            table: "Logical_Switch_Port".into(),
            row: row(&[
                ("name", Datum::string("vip1")),
                ("type", Datum::string("virtual")),
                (
                    "options",
                    Datum::string_map([("virtual-ip", "10.0.0.9"), ("virtual-parents", "p1,p2")]),
                ),
            ]),
            uuid_name: Some("vip".into()),
        },
        Operation::Insert {
            table: "Logical_Switch".into(),
            row: row(&[
                ("name", Datum::string("ls1")),
                ("ports", Datum::atom(Atom::NamedUuid("vip".into()))),
            ]),
            uuid_name: None,
        },
    ]
}

fn lsp_named(name: &str) -> Vec<Condition> {
    vec![Condition::eq("name", Datum::string(name))]
}

#[tokio::test]
async fn transactions_insert_select_and_name_the_operation_that_fails() {
    let Some(server) = Server::start("transact", false) else {
        return;
    };
    let c = Client::connect(&server.unix()).await.expect("connect");
    assert!(
        c.list_dbs()
            .await
            .expect("list_dbs")
            .contains(&DB.to_string())
    );
    let results = c
        .transact(DB, &switch_with_virtual_port())
        .await
        .expect("insert");
    assert!(results[0]["uuid"][1].is_string(), "{results:?}");
    let select = Operation::Select {
        table: "Logical_Switch_Port".into(),
        conditions: lsp_named("vip1"),
        columns: None,
    };
    let rows = c.transact(DB, &[select]).await.expect("select");
    let got = ovsdb::row_from_json(&rows[0]["rows"][0]).expect("row");
    assert_eq!(got["options"].map_get("virtual-parents"), Some("p1,p2"));
    // A second port named vip1 on the switch breaks the name index: nothing is committed.
    let dup = vec![
        Operation::Insert {
            table: "Logical_Switch_Port".into(),
            row: row(&[("name", Datum::string("vip1"))]),
            uuid_name: Some("dup".into()),
        },
        Operation::Mutate {
            table: "Logical_Switch".into(),
            conditions: vec![Condition::eq("name", Datum::string("ls1"))],
            mutations: vec![Mutation::insert(
                "ports",
                Datum::atom(Atom::NamedUuid("dup".into())),
            )],
        },
    ];
    match c.transact(DB, &dup).await {
        Err(Error::Operation { error, .. }) => assert_eq!(error, "constraint violation"),
        other => panic!("duplicate name accepted: {other:?}"),
    }
    // Guards: the transaction runs only if the count of matching rows is as expected.
    for (count, holds) in [(1, true), (0, false)] {
        let guard = Operation::Count {
            table: "Logical_Switch_Port".into(),
            conditions: lsp_named("vip1"),
            count,
        };
        let r = c
            .transact(DB, &[guard, Operation::Comment("guarded".into())])
            .await;
        assert_eq!(r.is_ok(), holds, "count {count}: {r:?}");
    }
    let bad_table = Operation::Delete {
        table: "No_Such_Table".into(),
        conditions: vec![],
    };
    assert!(matches!(
        c.transact(DB, &[bad_table]).await,
        Err(Error::Operation { index: Some(0), .. })
    ));
}

#[tokio::test]
async fn a_monitor_sees_the_rows_then_each_change_in_order() {
    let Some(server) = Server::start("monitor", false) else {
        return;
    };
    let c = Client::connect(&server.unix()).await.expect("connect");
    c.transact(DB, &switch_with_virtual_port())
        .await
        .expect("insert");
    let req = MonitorRequest::columns("Logical_Switch_Port", &["name", "options"]);
    let mut m = c.monitor(DB, &[req]).await.expect("monitor");
    let initial: Vec<_> = m.initial["Logical_Switch_Port"].values().collect();
    assert_eq!(initial.len(), 1);
    assert_eq!(
        initial[0].new.as_ref().expect("row")["name"].as_str(),
        Some("vip1")
    );
    let moved = row(&[(
        "options",
        Datum::string_map([("virtual-ip", "10.0.0.9"), ("virtual-parents", "p2")]),
    )]);
    let update = Operation::Update {
        table: "Logical_Switch_Port".into(),
        conditions: lsp_named("vip1"),
        row: moved,
    };
    c.transact(DB, &[update]).await.expect("update");
    let change = next(&mut m).await;
    let (uuid, u) = change["Logical_Switch_Port"].iter().next().expect("a row");
    assert_eq!(
        u.old.as_ref().expect("old")["options"].map_get("virtual-parents"),
        Some("p1,p2")
    );
    assert_eq!(
        u.new.as_ref().expect("new")["options"].map_get("virtual-parents"),
        Some("p2")
    );
    let drop_switch = Operation::Delete {
        table: "Logical_Switch".into(),
        conditions: vec![],
    };
    c.transact(DB, &[drop_switch]).await.expect("delete");
    let gone = next(&mut m).await;
    let g = &gone["Logical_Switch_Port"][uuid];
    assert!(g.new.is_none() && g.old.is_some(), "{g:?}");
}

#[tokio::test]
async fn a_cancelled_monitor_ends_and_the_connection_goes_on() {
    let Some(server) = Server::start("cancel", false) else {
        return;
    };
    let c = Client::connect(&server.unix()).await.expect("connect");
    let req = MonitorRequest::columns("Logical_Switch_Port", &["name"]);
    let mut m = c.monitor(DB, &[req]).await.expect("monitor");
    c.monitor_cancel(&m.id).await.expect("cancel");
    let ended = tokio::time::timeout(Duration::from_secs(5), m.updates.recv()).await;
    assert!(matches!(ended, Ok(None)), "the stream goes on: {ended:?}");
    // The server knows it no more (a second cancel is refused), and the connection serves.
    assert!(matches!(
        c.monitor_cancel(&m.id).await,
        Err(Error::Rpc { .. })
    ));
    c.transact(DB, &switch_with_virtual_port())
        .await
        .expect("insert");
}

#[tokio::test]
async fn the_server_s_inactivity_probe_is_answered_and_its_death_ends_everything() {
    let Some(mut server) = Server::start("probe", true) else {
        return;
    };
    let tcp: Endpoint = format!("tcp:127.0.0.1:{}", server.tcp.expect("port"))
        .parse()
        .expect("tcp");
    let c = Client::connect(&tcp).await.expect("connect");
    let mut m = c
        .monitor(DB, &[MonitorRequest::table("Logical_Switch")])
        .await
        .expect("monitor");
    // ovsdb-server probes an idle TCP client after 5 s and drops it 5 s later if unanswered.
    tokio::time::sleep(Duration::from_secs(12)).await;
    c.echo()
        .await
        .expect("still connected after the server's probes");
    server.child.kill().expect("kill");
    let _ = server.child.wait();
    let ended = tokio::time::timeout(Duration::from_secs(5), m.updates.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the monitor did not end: {ended:?}"
    );
    assert!(matches!(c.echo().await, Err(Error::Closed)));
}

async fn next(m: &mut ovsdb::Monitor) -> ovsdb::TableUpdates {
    tokio::time::timeout(Duration::from_secs(5), m.updates.recv())
        .await
        .expect("an update within 5 s")
        .expect("the monitor is open")
}

#[tokio::test]
async fn dropping_the_client_closes_its_connection_and_ends_its_monitors() {
    let Some(server) = Server::start("drop", false) else {
        return;
    };
    let c = Client::connect(&server.unix()).await.expect("connect");
    let mut m = c
        .monitor(DB, &[MonitorRequest::table("Logical_Switch")])
        .await
        .expect("monitor");
    drop(c);
    let ended = tokio::time::timeout(Duration::from_secs(5), m.updates.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the connection stayed open: {ended:?}"
    );
}
