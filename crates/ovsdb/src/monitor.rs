//! Monitors (RFC 7047 section 4.1.5): what to follow, and the table updates the server sends,
//! first the current rows, then each change as the old and new versions of a row.

use crate::datum::{Row, row_from_json};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One table to follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorRequest {
    /// The table.
    pub table: String,
    /// The columns (`None`: all).
    pub columns: Option<Vec<String>>,
}

impl MonitorRequest {
    /// All columns of `table`.
    pub fn table(table: &str) -> Self {
        MonitorRequest {
            table: table.to_string(),
            columns: None,
        }
    }

    /// `columns` of `table`.
    pub fn columns(table: &str, columns: &[&str]) -> Self {
        MonitorRequest {
            table: table.to_string(),
            columns: Some(columns.iter().map(|c| c.to_string()).collect()),
        }
    }

    /// The request on the wire: initial rows, inserts, deletes and modifications.
    pub fn to_json(&self) -> Value {
        let mut r =
            json!({"select": {"initial": true, "insert": true, "delete": true, "modify": true}});
        if let Some(cols) = &self.columns {
            r["columns"] = json!(cols);
        }
        r
    }
}

/// A row's change: `old` only is a deletion, `new` only an insertion (or an initial row),
/// both a modification (`old` then holds only the columns that changed).
#[derive(Clone, Debug, PartialEq)]
pub struct RowUpdate {
    /// The row before (changed columns only, for a modification).
    pub old: Option<Row>,
    /// The row after (all monitored columns).
    pub new: Option<Row>,
}

/// Changes by table, then by row UUID.
pub type TableUpdates = BTreeMap<String, BTreeMap<String, RowUpdate>>;

/// A monitor's first answer and its stream of changes (it ends with the connection).
pub struct Monitor {
    /// Its id on the connection ([`crate::Client::monitor_cancel`]).
    pub id: String,
    /// The monitored tables' rows when the monitor started.
    pub initial: TableUpdates,
    /// Every change after that, in the server's order.
    pub updates: tokio::sync::mpsc::UnboundedReceiver<TableUpdates>,
}

/// Reads `<table-updates>`.
pub fn parse_table_updates(v: &Value) -> Result<TableUpdates, String> {
    let tables = v
        .as_object()
        .ok_or_else(|| format!("table updates are not an object: {v}"))?;
    let mut out = TableUpdates::new();
    for (table, rows) in tables {
        let rows = rows
            .as_object()
            .ok_or_else(|| format!("{table}: rows are not an object"))?;
        let mut changes = BTreeMap::new();
        for (uuid, change) in rows {
            let side = |k: &str| -> Result<Option<Row>, String> {
                change
                    .get(k)
                    .map(row_from_json)
                    .transpose()
                    .map_err(|e| format!("{table} {uuid}: {e}"))
            };
            changes.insert(
                uuid.clone(),
                RowUpdate {
                    old: side("old")?,
                    new: side("new")?,
                },
            );
        }
        out.insert(table.clone(), changes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_read_per_table_and_row() {
        let v = json!({"Port_Binding": {
            "u1": {"new": {"logical_port": "vip1", "chassis": ["uuid", "c1"]}},
            "u2": {"old": {"chassis": ["set", []]}, "new": {"logical_port": "vip2", "chassis": ["uuid", "c2"]}},
            "u3": {"old": {"logical_port": "gone"}}
        }});
        let u = parse_table_updates(&v).expect("updates");
        let pb = &u["Port_Binding"];
        assert!(pb["u1"].old.is_none());
        assert_eq!(
            pb["u2"].new.as_ref().expect("new")["chassis"].atoms()[0].as_uuid(),
            Some("c2")
        );
        assert!(pb["u3"].new.is_none());
        assert!(parse_table_updates(&json!({"T": {"u": {"new": 3}}})).is_err());
    }
}
