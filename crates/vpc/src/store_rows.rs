//! The API's records as rows of havip's own OVSDB schema (`schema/havip-vpc.ovsschema`,
//! database `Havip_Vpc`), both ways: [`Change`]s to the operations that store them, and rows
//! (a snapshot, or a monitor's updates) back to `Change`s. Pure: `store_ovsdb.rs` does the I/O.
//!
//! Each record is one row keyed by its id (the schema's indexes make the keys unique); a
//! replaced record is deleted and inserted again in the same transaction, so a reader sees a
//! deletion only for a record that is gone (a HAVIP). Tokens, tasks and history carry a `seq`
//! (the order they came) so that the oldest beyond what [`Cloud`] keeps are deleted, as the
//! SQLite store does by rowid.

use crate::cloud::{Change, Cloud, HISTORY_KEPT, TASKS_KEPT, TOKENS_KEPT};
use crate::store::Kind;
use anyhow::{Context, Result, anyhow};
use ovsdb::{Atom, Condition, Datum, Operation, Row, RowUpdate, TableUpdates};
use std::collections::{BTreeMap, BTreeSet};

/// The database's name in the schema.
pub const DB: &str = "Havip_Vpc";
/// The schema, for `ovsdb-tool create-cluster`.
pub const SCHEMA: &str = include_str!("../schema/havip-vpc.ovsschema");

/// The record tables, in the order their rows become changes.
pub const RECORD_TABLES: [&str; 5] = ["Resource", "Owner", "Client_Token", "Task", "History"];
/// The write lease's table (one row).
pub const LEASE: &str = "Lease";

/// The kinds of `Resource` rows, in the order they are applied.
const KINDS: [Kind; 6] = [
    Kind::Vpc,
    Kind::Subnet,
    Kind::Eni,
    Kind::Address,
    Kind::HaVip,
    Kind::RouteTable,
];

/// The next `seq` of each ordered table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seqs {
    /// `Client_Token`.
    pub token: i64,
    /// `Task`.
    pub task: i64,
    /// `History`.
    pub history: i64,
}

impl Seqs {
    /// One past the largest `seq` of each table in `rows`.
    pub fn after(rows: &TableUpdates) -> Seqs {
        let next = |table: &str| {
            rows.get(table)
                .into_iter()
                .flat_map(|t| t.values())
                .filter_map(|u| u.new.as_ref().and_then(|r| integer(r, "seq")))
                .max()
                .map_or(0, |m| m + 1)
        };
        Seqs {
            token: next("Client_Token"),
            task: next("Task"),
            history: next("History"),
        }
    }
}

fn string(row: &Row, column: &str) -> Option<String> {
    row.get(column).and_then(Datum::as_str).map(String::from)
}

/// An integer column.
pub fn integer(row: &Row, column: &str) -> Option<i64> {
    match row.get(column)?.atoms() {
        [Atom::Integer(i)] => Some(*i),
        _ => None,
    }
}

fn text(s: &str) -> Datum {
    Datum::string(s)
}

fn int(i: i64) -> Datum {
    Datum::atom(Atom::Integer(i))
}

fn body(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).context("serializing")
}

fn row(columns: &[(&str, Datum)]) -> Row {
    columns
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Deletes the row of `table` whose `column` is `key` (if any), then inserts `new`.
fn replace(ops: &mut Vec<Operation>, table: &str, keys: &[(&str, Datum)], new: Row) {
    ops.push(Operation::Delete {
        table: table.into(),
        conditions: keys
            .iter()
            .map(|(c, v)| Condition::eq(*c, v.clone()))
            .collect(),
    });
    ops.push(Operation::Insert {
        table: table.into(),
        row: new,
        uuid_name: None,
    });
}

/// A record's kind, id and body, for the changes that are `Resource` rows.
fn resource(c: &Change) -> Result<Option<(Kind, &str, String)>> {
    Ok(Some(match c {
        Change::Vpc(v) => (Kind::Vpc, v.vpc_id.as_str(), body(v)?),
        Change::Subnet(s) => (Kind::Subnet, s.subnet_id.as_str(), body(s)?),
        Change::Eni(e) => (Kind::Eni, e.network_interface_id.as_str(), body(e)?),
        Change::Address(a) => (Kind::Address, a.address_id.as_str(), body(a)?),
        Change::HaVip(h) => (Kind::HaVip, h.ha_vip_id.as_str(), body(h)?),
        Change::RouteTable(t) => (Kind::RouteTable, t.route_table_id.as_str(), body(t)?),
        _ => return Ok(None),
    }))
}

/// Appends the operations that store `c`.
fn change_ops(c: &Change, seqs: &mut Seqs, ops: &mut Vec<Operation>) -> Result<()> {
    if let Some((kind, id, b)) = resource(c)? {
        let keys = [("kind", text(kind.as_str())), ("id", text(id))];
        let new = row(&[keys[0].clone(), keys[1].clone(), ("body", text(&b))]);
        replace(ops, "Resource", &keys, new);
        return Ok(());
    }
    match c {
        Change::DeleteHaVip(id) => {
            let owner = vec![Condition::eq("id", text(id))];
            let record = vec![
                Condition::eq("kind", text(Kind::HaVip.as_str())),
                Condition::eq("id", text(id)),
            ];
            for (table, conditions) in [("Owner", owner), ("Resource", record)] {
                ops.push(Operation::Delete {
                    table: table.into(),
                    conditions,
                });
            }
        }
        Change::Owner { id, account } => {
            let new = row(&[("id", text(id)), ("account", text(account))]);
            replace(ops, "Owner", &[("id", text(id))], new);
        }
        Change::Token { token, id } => {
            let seq = int(next(&mut seqs.token));
            let new = row(&[("token", text(token)), ("havip_id", text(id)), ("seq", seq)]);
            replace(ops, "Client_Token", &[("token", text(token))], new);
        }
        Change::Task(t) => {
            let seq = int(next(&mut seqs.task));
            let new = row(&[
                ("id", text(&t.task_id)),
                ("body", text(&body(t)?)),
                ("seq", seq),
            ]);
            replace(ops, "Task", &[("id", text(&t.task_id))], new);
        }
        Change::History(e) => ops.push(Operation::Insert {
            table: "History".into(),
            row: row(&[
                ("body", text(&body(e)?)),
                ("seq", int(next(&mut seqs.history))),
            ]),
            uuid_name: None,
        }),
        _ => {}
    }
    Ok(())
}

/// The next value of a counter.
fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter - 1
}

/// The operations that store `changes` (numbering ordered rows from `seqs`, which advance),
/// then delete the oldest ordered rows beyond what [`Cloud`] keeps.
pub fn store_ops(changes: &[Change], seqs: &mut Seqs) -> Result<Vec<Operation>> {
    let mut ops = Vec::with_capacity(changes.len() * 2 + 3);
    for c in changes {
        change_ops(c, seqs, &mut ops)?;
    }
    for (table, next, kept) in [
        ("Client_Token", seqs.token, TOKENS_KEPT),
        ("Task", seqs.task, TASKS_KEPT),
        ("History", seqs.history, HISTORY_KEPT),
    ] {
        let last_dropped = next - 1 - kept as i64;
        if last_dropped >= 0 {
            ops.push(Operation::Delete {
                table: table.into(),
                conditions: vec![Condition::at_most("seq", int(last_dropped))],
            });
        }
    }
    Ok(ops)
}

/// Rows a `select` answered, as a monitor's first answer shows them (all new).
pub fn selected(table: &str, result: &serde_json::Value) -> Result<TableUpdates> {
    let rows = result["rows"]
        .as_array()
        .ok_or_else(|| anyhow!("select on {table} answered {result}"))?;
    let mut out = BTreeMap::new();
    for (k, r) in rows.iter().enumerate() {
        let row = ovsdb::row_from_json(r).with_context(|| format!("{table} row {k}"))?;
        let uuid = row
            .get("_uuid")
            .and_then(|d| d.atoms().first().and_then(Atom::as_uuid).map(String::from))
            .unwrap_or_else(|| format!("row-{k}"));
        out.insert(
            uuid,
            RowUpdate {
                old: None,
                new: Some(row),
            },
        );
    }
    Ok(TableUpdates::from([(table.to_string(), out)]))
}

/// The rows `new` of `table` in `updates`, in `seq` order where the table has one.
fn new_rows<'a>(updates: &'a TableUpdates, table: &str) -> Vec<&'a Row> {
    let mut rows: Vec<&Row> = updates
        .get(table)
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(|u| u.new.as_ref())
        .collect();
    rows.sort_by_key(|r| integer(r, "seq"));
    rows
}

fn parsed<T: serde::de::DeserializeOwned>(row: &Row, what: &str) -> Result<T> {
    let b = string(row, "body").ok_or_else(|| anyhow!("{what} row without a body"))?;
    serde_json::from_str(&b).with_context(|| format!("{what} row's body"))
}

fn field(row: &Row, table: &str, column: &str) -> Result<String> {
    string(row, column).ok_or_else(|| anyhow!("{table} row without `{column}`"))
}

/// The `Resource` rows of `updates` as changes: new and replaced records by kind, then
/// HAVIPs whose row was deleted and not inserted again.
fn resource_changes(updates: &TableUpdates, out: &mut Vec<Change>) -> Result<()> {
    let rows = new_rows(updates, "Resource");
    let mut present = BTreeSet::new();
    for kind in KINDS {
        for r in &rows {
            let word = field(r, "Resource", "kind")?;
            let Some(k) = Kind::from_word(&word) else {
                anyhow::bail!("unknown resource kind `{word}` in the store");
            };
            if k != kind {
                continue;
            }
            present.insert((word, field(r, "Resource", "id")?));
            out.push(match kind {
                Kind::Vpc => Change::Vpc(parsed(r, "vpc")?),
                Kind::Subnet => Change::Subnet(parsed(r, "subnet")?),
                Kind::Eni => Change::Eni(parsed(r, "eni")?),
                Kind::Address => Change::Address(parsed(r, "address")?),
                Kind::HaVip => Change::HaVip(parsed(r, "havip")?),
                Kind::RouteTable => Change::RouteTable(parsed(r, "route table")?),
            });
        }
    }
    let gone = updates
        .get("Resource")
        .into_iter()
        .flat_map(|t| t.values())
        .filter(|u| u.new.is_none())
        .filter_map(|u| u.old.as_ref());
    for old in gone {
        let (Some(kind), Some(id)) = (string(old, "kind"), string(old, "id")) else {
            continue;
        };
        if kind == Kind::HaVip.as_str() && !present.contains(&(kind.clone(), id.clone())) {
            out.push(Change::DeleteHaVip(id));
        }
    }
    Ok(())
}

/// What `updates` (a snapshot or a monitor's update) change, in an order [`Cloud::apply`]
/// takes: records, owners, then tokens, tasks and history as they came. Deleted owners,
/// tokens, tasks and history need nothing: a HAVIP's deletion disowns it and `Cloud` forgets
/// the oldest itself.
pub fn changes(updates: &TableUpdates) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    resource_changes(updates, &mut out)?;
    for r in new_rows(updates, "Owner") {
        out.push(Change::Owner {
            id: field(r, "Owner", "id")?,
            account: field(r, "Owner", "account")?,
        });
    }
    for r in new_rows(updates, "Client_Token") {
        out.push(Change::Token {
            token: field(r, "Client_Token", "token")?,
            id: field(r, "Client_Token", "havip_id")?,
        });
    }
    for r in new_rows(updates, "Task") {
        out.push(Change::Task(parsed(r, "Task")?));
    }
    for r in new_rows(updates, "History") {
        out.push(Change::History(parsed(r, "History")?));
    }
    Ok(out)
}

/// The state a snapshot of every record table holds.
pub fn state(snapshot: &TableUpdates) -> Result<Cloud> {
    let mut cloud = Cloud::default();
    cloud.apply(&changes(snapshot)?);
    Ok(cloud)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Tables = BTreeMap<String, BTreeMap<String, Row>>;

    /// Whether `r` meets the conditions of a `where` (`==` and `<=` as the store uses them).
    fn meets(conds: &[serde_json::Value], r: &Row) -> bool {
        conds.iter().all(|c| {
            let column = c[0].as_str().expect("column");
            let v = ovsdb::Datum::from_json(&c[2]).expect("value");
            match c[1].as_str() {
                Some("==") => r.get(column) == Some(&v),
                Some("<=") => match v.atoms() {
                    [Atom::Integer(i)] => integer(r, column).is_some_and(|x| x <= *i),
                    _ => false,
                },
                _ => panic!("{c}"),
            }
        })
    }

    /// Plays one operation on `tables` as ovsdb-server would, noting it in `update`.
    fn play_one(op: &Operation, tables: &mut Tables, update: &mut TableUpdates) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let json = op.to_json();
        let table = json["table"].as_str().expect("table").to_string();
        let rows = tables.entry(table.clone()).or_default();
        let noted = update.entry(table).or_default();
        if json["op"] == "insert" {
            let uuid = format!(
                "u{}",
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let r = ovsdb::row_from_json(&json["row"]).expect("row");
            rows.insert(uuid.clone(), r.clone());
            noted.insert(
                uuid,
                RowUpdate {
                    old: None,
                    new: Some(r),
                },
            );
            return;
        }
        assert_eq!(json["op"], "delete", "{json}");
        let conds = json["where"].as_array().expect("where");
        let gone: Vec<String> = rows
            .iter()
            .filter(|(_, r)| meets(conds, r))
            .map(|(u, _)| u.clone())
            .collect();
        for u in gone {
            let old = rows.remove(&u);
            if noted.remove(&u).is_none() {
                noted.insert(u, RowUpdate { old, new: None });
            }
        }
    }

    /// Plays `ops` on the rows of `before` as one transaction: the monitor's update, and
    /// every row after.
    fn play(ops: &[Operation], before: &TableUpdates) -> (TableUpdates, TableUpdates) {
        let mut tables: Tables = before
            .iter()
            .map(|(t, rows)| {
                let rows = rows
                    .iter()
                    .filter_map(|(u, r)| r.new.clone().map(|n| (u.clone(), n)))
                    .collect();
                (t.clone(), rows)
            })
            .collect();
        let mut update = TableUpdates::new();
        for op in ops {
            play_one(op, &mut tables, &mut update);
        }
        let all = tables
            .into_iter()
            .map(|(t, rows)| {
                let rows = rows
                    .into_iter()
                    .map(|(u, r)| {
                        (
                            u,
                            RowUpdate {
                                old: None,
                                new: Some(r),
                            },
                        )
                    })
                    .collect();
                (t, rows)
            })
            .collect();
        (update, all)
    }

    fn vpc(id: &str, name: &str) -> Change {
        Change::Vpc(crate::model::Vpc {
            vpc_id: id.into(),
            vpc_name: name.into(),
            ..Default::default()
        })
    }

    fn havip(id: &str) -> Change {
        Change::HaVip(crate::model::HaVip {
            ha_vip_id: id.into(),
            subnet_id: "subnet-1".into(),
            vip: "10.0.0.9".into(),
            ..Default::default()
        })
    }

    #[test]
    fn changes_come_back_from_their_rows_and_updates() {
        let mut seqs = Seqs::default();
        let first = [
            vpc("vpc-1", "a"),
            havip("havip-1"),
            Change::Owner {
                id: "havip-1".into(),
                account: "1300000001".into(),
            },
            Change::Token {
                token: "t1".into(),
                id: "havip-1".into(),
            },
        ];
        let ops = store_ops(&first, &mut seqs).expect("ops");
        let (update, all) = play(&ops, &TableUpdates::new());
        assert_eq!(changes(&update).expect("changes").len(), first.len());
        let cloud = state(&all).expect("state");
        assert_eq!(cloud.tokens.get("t1").map(String::as_str), Some("havip-1"));
        assert_eq!(
            cloud.owners.get("havip-1").map(String::as_str),
            Some("1300000001")
        );
        // A replaced VPC is a replacement, not a deletion; a deleted HAVIP is one.
        let second = [
            vpc("vpc-1", "renamed"),
            Change::DeleteHaVip("havip-1".into()),
        ];
        let ops = store_ops(&second, &mut seqs).expect("ops");
        let (update, all) = play(&ops, &all);
        let c = changes(&update).expect("changes");
        assert!(
            matches!(&c[0], Change::Vpc(v) if v.vpc_name == "renamed"),
            "{c:?}"
        );
        assert!(
            matches!(&c[1], Change::DeleteHaVip(id) if id == "havip-1"),
            "{c:?}"
        );
        assert_eq!(c.len(), 2);
        let cloud = state(&all).expect("state");
        assert!(cloud.havips.is_empty() && cloud.owners.is_empty());
        assert_eq!(cloud.vpcs["vpc-1"].vpc_name, "renamed");
    }

    #[test]
    fn the_oldest_ordered_rows_beyond_what_the_state_keeps_are_deleted() {
        let event = |k: usize| {
            Change::History(crate::model::BindingEvent {
                reason: k.to_string(),
                ..Default::default()
            })
        };
        let mut seqs = Seqs::default();
        let batch: Vec<Change> = (0..HISTORY_KEPT + 7).map(event).collect();
        let (_, all) = play(
            &store_ops(&batch, &mut seqs).expect("ops"),
            &TableUpdates::new(),
        );
        assert_eq!(Seqs::after(&all), seqs);
        let (_, all) = play(
            &store_ops(&[event(HISTORY_KEPT + 7)], &mut seqs).expect("ops"),
            &all,
        );
        assert_eq!(all["History"].len(), HISTORY_KEPT);
        let cloud = state(&all).expect("state");
        assert_eq!(cloud.history.len(), HISTORY_KEPT);
        assert_eq!(cloud.history[0].reason, "8");
    }

    #[test]
    fn a_row_of_an_unknown_kind_is_named() {
        let r = row(&[
            ("kind", text("router")),
            ("id", text("r-1")),
            ("body", text("{}")),
        ]);
        let u = TableUpdates::from([(
            "Resource".to_string(),
            BTreeMap::from([(
                "u".to_string(),
                RowUpdate {
                    old: None,
                    new: Some(r),
                },
            )]),
        )]);
        let e = changes(&u).expect_err("unknown");
        assert!(e.to_string().contains("router"), "{e}");
    }
}
