//! Request values reach SQLite only as bound parameters: names and descriptions written as SQL
//! come back verbatim, every table is still there, and the store opens again with them.

mod common;
use common::Api;
use serde_json::json;
use vpc::cloud::Quotas;

/// Values an attacker would splice into a statement built as text.
const HOSTILE: [&str; 4] = [
    "x'); DROP TABLE havips; --",
    "x\"; DELETE FROM vpcs; --",
    "' OR '1'='1",
    "x'||(SELECT name FROM sqlite_master)||'",
];

/// The store's tables.
fn tables(path: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(path).expect("sqlite");
    let mut q = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("query");
    q.query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("name"))
        .collect()
}

#[test]
fn sql_in_names_is_stored_verbatim_and_changes_no_table() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vpc.db");
    let quotas = Quotas {
        requests_per_second: 0,
        ..Quotas::default()
    };
    let open = || Box::new(vpc::store::Sqlite::open(&path).expect("store"));
    let ids: Vec<String> = {
        let api = Api::start(open(), quotas);
        let s = api.seed();
        let before = tables(&path);
        let ids = HOSTILE
            .iter()
            .map(|name| api.havip(&s, name, json!({})))
            .collect();
        assert_eq!(tables(&path), before, "a table changed");
        ids
    };
    // Opened again: every record is there, with the name it was given.
    let api = Api::start(open(), quotas);
    let all = api.ok("DescribeHaVips", json!({"HaVipIds": ids}));
    assert_eq!(all["TotalCount"], HOSTILE.len(), "{all}");
    for (name, id) in HOSTILE.iter().zip(&ids) {
        let one = api.ok("DescribeHaVips", json!({"HaVipIds": [id]}));
        assert_eq!(one["HaVipSet"][0]["HaVipName"], *name, "{one}");
    }
    assert_eq!(api.ok("DescribeVpcs", json!({}))["TotalCount"], 1);
}
