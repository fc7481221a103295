//! Transaction operations (RFC 7047 section 5.2) and their conditions, built as typed values
//! and sent as JSON.

use crate::datum::{Datum, Row, row_to_json};
use serde_json::{Value, json};

/// A condition on a column: `[column, function, value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    column: String,
    function: &'static str,
    value: Datum,
}

impl Condition {
    /// `column == value`.
    pub fn eq(column: impl Into<String>, value: Datum) -> Self {
        Condition {
            column: column.into(),
            function: "==",
            value,
        }
    }

    /// `column <= value` (integers and reals).
    pub fn at_most(column: impl Into<String>, value: Datum) -> Self {
        Condition {
            column: column.into(),
            function: "<=",
            value,
        }
    }

    /// The row with this UUID.
    pub fn uuid(uuid: &str) -> Self {
        Condition::eq("_uuid", Datum::atom(crate::Atom::Uuid(uuid.to_string())))
    }

    /// `column` includes every element of `value` (sets and maps).
    pub fn includes(column: impl Into<String>, value: Datum) -> Self {
        Condition {
            column: column.into(),
            function: "includes",
            value,
        }
    }

    fn to_json(&self) -> Value {
        json!([self.column, self.function, self.value.to_json()])
    }
}

/// A mutation of a column: `[column, mutator, value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutation {
    column: String,
    mutator: &'static str,
    value: Datum,
}

impl Mutation {
    /// Adds the elements of `value` to a set or map column.
    pub fn insert(column: impl Into<String>, value: Datum) -> Self {
        Mutation {
            column: column.into(),
            mutator: "insert",
            value,
        }
    }

    /// Removes the elements of `value` (or, for a map, the keys given as a set) from a column.
    pub fn delete(column: impl Into<String>, value: Datum) -> Self {
        Mutation {
            column: column.into(),
            mutator: "delete",
            value,
        }
    }

    fn to_json(&self) -> Value {
        json!([self.column, self.mutator, self.value.to_json()])
    }
}

/// One operation of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// Inserts `row` into `table`; `uuid_name` lets later operations refer to it.
    Insert {
        /// Table.
        table: String,
        /// The new row.
        row: Row,
        /// Its name within the transaction.
        uuid_name: Option<String>,
    },
    /// The rows matching `conditions` (all columns, or `columns`).
    Select {
        /// Table.
        table: String,
        /// Conditions, all of which must hold.
        conditions: Vec<Condition>,
        /// Columns to return (`None`: all).
        columns: Option<Vec<String>>,
    },
    /// Sets `row`'s columns in every row matching `conditions`.
    Update {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// Columns to set.
        row: Row,
    },
    /// Mutates the rows matching `conditions`.
    Mutate {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// Mutations.
        mutations: Vec<Mutation>,
    },
    /// Deletes the rows matching `conditions`.
    Delete {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
    },
    /// Aborts the transaction unless exactly `count` rows match (a compare-and-set guard).
    Count {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// The count required.
        count: usize,
    },
    /// A comment logged with the transaction.
    Comment(String),
}

impl Operation {
    /// The operation on the wire.
    pub fn to_json(&self) -> Value {
        let conds = |c: &[Condition]| c.iter().map(Condition::to_json).collect::<Vec<_>>();
        match self {
            Operation::Insert {
                table,
                row,
                uuid_name,
            } => {
                let mut op = json!({"op": "insert", "table": table, "row": row_to_json(row)});
                if let Some(name) = uuid_name {
                    op["uuid-name"] = json!(name);
                }
                op
            }
            Operation::Select {
                table,
                conditions,
                columns,
            } => {
                let mut op = json!({"op": "select", "table": table, "where": conds(conditions)});
                if let Some(cols) = columns {
                    op["columns"] = json!(cols);
                }
                op
            }
            Operation::Update {
                table,
                conditions,
                row,
            } => {
                json!({"op": "update", "table": table, "where": conds(conditions), "row": row_to_json(row)})
            }
            Operation::Mutate {
                table,
                conditions,
                mutations,
            } => json!({"op": "mutate", "table": table, "where": conds(conditions),
                "mutations": mutations.iter().map(Mutation::to_json).collect::<Vec<_>>()}),
            Operation::Delete { table, conditions } => {
                json!({"op": "delete", "table": table, "where": conds(conditions)})
            }
            Operation::Count {
                table,
                conditions,
                count,
            } => count_guard(table, &conds(conditions), *count),
            Operation::Comment(text) => json!({"op": "comment", "comment": text}),
        }
    }
}

/// A `wait` that holds when exactly `count` rows match: rows are compared on `_uuid` only, so
/// the guard is on the number of matching rows, whatever their contents.
fn count_guard(table: &str, conditions: &[Value], count: usize) -> Value {
    if count == 0 {
        return json!({"op": "wait", "table": table, "where": conditions, "columns": [],
            "until": "==", "rows": [], "timeout": 0});
    }
    // With no columns compared, `rows` of `count` empty objects matches any `count` rows.
    let rows: Vec<Value> = (0..count).map(|_| json!({})).collect();
    json!({"op": "wait", "table": table, "where": conditions, "columns": [],
        "until": "==", "rows": rows, "timeout": 0})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_sent_as_rfc_7047_describes() {
        let mut row = Row::new();
        row.insert("name".into(), Datum::string("ls1"));
        let insert = Operation::Insert {
            table: "Logical_Switch".into(),
            row,
            uuid_name: Some("ls".into()),
        };
        assert_eq!(
            insert.to_json(),
            json!({"op": "insert", "table": "Logical_Switch", "row": {"name": "ls1"}, "uuid-name": "ls"})
        );
        let mutate = Operation::Mutate {
            table: "Logical_Switch".into(),
            conditions: vec![Condition::eq("name", Datum::string("ls1"))],
            mutations: vec![Mutation::insert(
                "ports",
                Datum::atom(crate::Atom::NamedUuid("p".into())),
            )],
        };
        assert_eq!(
            mutate.to_json(),
            json!({"op": "mutate", "table": "Logical_Switch", "where": [["name", "==", "ls1"]],
                "mutations": [["ports", "insert", ["named-uuid", "p"]]]})
        );
        let select = Operation::Select {
            table: "Port_Binding".into(),
            conditions: vec![Condition::uuid("u1")],
            columns: Some(vec!["chassis".into()]),
        };
        assert_eq!(
            select.to_json()["where"],
            json!([["_uuid", "==", ["uuid", "u1"]]])
        );
    }
}
