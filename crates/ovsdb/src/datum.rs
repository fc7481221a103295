//! OVSDB's data on the wire (RFC 7047 section 5.1): atoms (integer, real, boolean, string,
//! `["uuid", U]`, `["named-uuid", N]`), sets (`["set", [...]]`, or a lone atom) and maps
//! (`["map", [[k, v], ...]]`), and rows of them.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One value of a column's base type.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom {
    /// `integer`.
    Integer(i64),
    /// `real`.
    Real(f64),
    /// `boolean`.
    Boolean(bool),
    /// `string`.
    String(String),
    /// A row's UUID.
    Uuid(String),
    /// The UUID of a row inserted earlier in the same transaction, by its `uuid-name`.
    NamedUuid(String),
}

/// A column's value: an atom, a set or a map.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    /// A set (a lone atom is a set of one).
    Set(Vec<Atom>),
    /// A map.
    Map(Vec<(Atom, Atom)>),
}

/// A row: column name to value.
pub type Row = BTreeMap<String, Datum>;

/// Why a JSON value is not OVSDB data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not OVSDB data: {0}")]
pub struct NotData(pub String);

impl Atom {
    /// A string atom.
    pub fn string(s: impl Into<String>) -> Self {
        Atom::String(s.into())
    }

    /// The atom on the wire.
    pub fn to_json(&self) -> Value {
        match self {
            Atom::Integer(i) => json!(i),
            Atom::Real(r) => json!(r),
            Atom::Boolean(b) => json!(b),
            Atom::String(s) => json!(s),
            Atom::Uuid(u) => json!(["uuid", u]),
            Atom::NamedUuid(n) => json!(["named-uuid", n]),
        }
    }

    /// An atom from the wire.
    pub fn from_json(v: &Value) -> Result<Self, NotData> {
        match v {
            Value::Bool(b) => Ok(Atom::Boolean(*b)),
            Value::String(s) => Ok(Atom::String(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .map(Atom::Integer)
                .or_else(|| n.as_f64().map(Atom::Real))
                .ok_or_else(|| NotData(n.to_string())),
            Value::Array(a) => match (a.first().and_then(Value::as_str), a.get(1), a.len()) {
                (Some("uuid"), Some(Value::String(u)), 2) => Ok(Atom::Uuid(u.clone())),
                (Some("named-uuid"), Some(Value::String(n)), 2) => Ok(Atom::NamedUuid(n.clone())),
                _ => Err(NotData(v.to_string())),
            },
            _ => Err(NotData(v.to_string())),
        }
    }

    /// The string, if this is a string atom.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Atom::String(s) => Some(s),
            _ => None,
        }
    }

    /// The UUID, if this is a UUID atom.
    pub fn as_uuid(&self) -> Option<&str> {
        match self {
            Atom::Uuid(u) => Some(u),
            _ => None,
        }
    }
}

impl Datum {
    /// One atom.
    pub fn atom(a: Atom) -> Self {
        Datum::Set(vec![a])
    }

    /// A string.
    pub fn string(s: impl Into<String>) -> Self {
        Datum::atom(Atom::string(s))
    }

    /// A set of strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Datum::Set(items.into_iter().map(Atom::string).collect())
    }

    /// A map of strings to strings.
    pub fn string_map<K: Into<String>, V: Into<String>>(
        items: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Datum::Map(
            items
                .into_iter()
                .map(|(k, v)| (Atom::string(k), Atom::string(v)))
                .collect(),
        )
    }

    /// The value on the wire (a set of one is sent as its atom).
    pub fn to_json(&self) -> Value {
        match self {
            Datum::Set(atoms) if atoms.len() == 1 => atoms[0].to_json(),
            Datum::Set(atoms) => {
                json!(["set", atoms.iter().map(Atom::to_json).collect::<Vec<_>>()])
            }
            Datum::Map(pairs) => json!([
                "map",
                pairs
                    .iter()
                    .map(|(k, v)| json!([k.to_json(), v.to_json()]))
                    .collect::<Vec<_>>()
            ]),
        }
    }

    /// A value from the wire.
    pub fn from_json(v: &Value) -> Result<Self, NotData> {
        let tagged = v
            .as_array()
            .and_then(|a| Some((a.first()?.as_str()?, a.get(1)?)));
        match tagged {
            Some(("set", Value::Array(items))) => items
                .iter()
                .map(Atom::from_json)
                .collect::<Result<_, _>>()
                .map(Datum::Set),
            Some(("map", Value::Array(pairs))) => pairs
                .iter()
                .map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((Atom::from_json(k)?, Atom::from_json(v)?)),
                    _ => Err(NotData(p.to_string())),
                })
                .collect::<Result<_, _>>()
                .map(Datum::Map),
            _ => Atom::from_json(v).map(Datum::atom),
        }
    }

    /// The atoms of a set (empty for a map).
    pub fn atoms(&self) -> &[Atom] {
        match self {
            Datum::Set(a) => a,
            Datum::Map(_) => &[],
        }
    }

    /// The single string of a set of one.
    pub fn as_str(&self) -> Option<&str> {
        match self.atoms() {
            [a] => a.as_str(),
            _ => None,
        }
    }

    /// The value of `key` in a map of strings.
    pub fn map_get(&self, key: &str) -> Option<&str> {
        match self {
            Datum::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .and_then(|(_, v)| v.as_str()),
            Datum::Set(_) => None,
        }
    }
}

/// A row on the wire.
pub fn row_to_json(row: &Row) -> Value {
    Value::Object(row.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// A row from the wire.
pub fn row_from_json(v: &Value) -> Result<Row, NotData> {
    let obj = v.as_object().ok_or_else(|| NotData(v.to_string()))?;
    obj.iter()
        .map(|(k, v)| Ok((k.clone(), Datum::from_json(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_goes_to_the_wire_and_back() {
        let cases = [
            Datum::string("lsp1"),
            Datum::atom(Atom::Integer(-3)),
            Datum::atom(Atom::Real(1.5)),
            Datum::atom(Atom::Boolean(true)),
            Datum::atom(Atom::Uuid("6f2d0c4e-0000-4000-8000-000000000001".into())),
            Datum::Set(vec![]),
            Datum::strings(["a", "b"]),
            Datum::string_map([("virtual-ip", "10.0.0.9"), ("virtual-parents", "p1,p2")]),
        ];
        for d in cases {
            assert_eq!(Datum::from_json(&d.to_json()), Ok(d.clone()), "{d:?}");
        }
        assert_eq!(Datum::strings(["a"]).to_json(), json!("a"));
        assert_eq!(
            Datum::atom(Atom::NamedUuid("row1".into())).to_json(),
            json!(["named-uuid", "row1"])
        );
    }

    #[test]
    fn maps_are_read_by_key() {
        let d = Datum::from_json(&json!(["map", [["virtual-ip", "10.0.0.9"]]])).expect("map");
        assert_eq!(d.map_get("virtual-ip"), Some("10.0.0.9"));
        assert_eq!(d.map_get("other"), None);
    }

    #[test]
    fn what_is_not_data_says_so() {
        for bad in [
            json!(null),
            json!({"a": 1}),
            json!(["uuid"]),
            json!(["map", [[1]]]),
        ] {
            assert!(Datum::from_json(&bad).is_err(), "{bad}");
        }
    }
}
