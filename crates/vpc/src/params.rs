//! Reading an action's JSON parameters with the cloud's errors: every parameter read is
//! remembered, so anything left over is an `UnknownParameter`; wrong types are
//! `InvalidParameter`, naming the parameter.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// The longest string any parameter may hold (names and descriptions have narrower limits of
/// their own, checked by their actions).
pub const MAX_STRING_CHARS: usize = 1024;

/// The most items in any list parameter (the cloud: 100 ids a request).
pub const MAX_LIST_ITEMS: usize = 100;

/// The most filters a request may carry (the cloud: 10).
pub const MAX_FILTERS: usize = 10;

/// The most values one filter may carry (the cloud: 5).
pub const MAX_FILTER_VALUES: usize = 5;

/// The most tags a request may carry (the cloud: 50).
pub const MAX_TAGS: usize = 50;

/// Checks every string and list in `v` against the bounds, naming the first that is over
/// (`path`, e.g. `Filters.0.Values`). One pass over the body: the work is linear in its size.
fn check_bounds(path: &str, v: &Value) -> Result<(), ApiError> {
    match v {
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("`{path}` is longer than {MAX_STRING_CHARS} characters"),
        )),
        Value::Array(items) => {
            let name = path.rsplit('.').next().unwrap_or(path);
            let most = match name {
                "Filters" => MAX_FILTERS,
                "Values" if path.starts_with("Filters.") => MAX_FILTER_VALUES,
                "Tags" | "TagSet" => MAX_TAGS,
                _ => MAX_LIST_ITEMS,
            };
            if items.len() > most {
                return Err(ApiError::new(
                    "InvalidParameterValue.LimitExceeded",
                    format!("`{path}` has {} items, at most {most}", items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                check_bounds(&format!("{path}.{i}"), item)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, item) in map {
                check_bounds(&format!("{path}.{k}"), item)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// An action's parameters.
pub struct Params<'a> {
    map: &'a Map<String, Value>,
    read: RefCell<BTreeSet<String>>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Params<'a> {
    /// Wraps the request body (which must be a JSON object).
    pub fn new(body: &'a Value) -> Result<Self, ApiError> {
        let map = body.as_object().ok_or_else(|| {
            ApiError::new(
                "InvalidParameter",
                format!("the request body must be a JSON object, not {}", kind(body)),
            )
        })?;
        for (k, v) in map {
            check_bounds(k, v)?;
        }
        Ok(Params {
            map,
            read: RefCell::new(BTreeSet::new()),
        })
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.read.borrow_mut().insert(name.to_string());
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional string.
    pub fn str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ApiError::new(
                "InvalidParameter",
                format!("`{name}` must be a string, not {}", kind(v)),
            )),
        }
    }

    /// A required, non-empty string.
    pub fn req_str(&self, name: &str) -> Result<&'a str, ApiError> {
        match self.str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::missing(name)),
        }
    }

    /// An optional boolean.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(ApiError::new(
                "InvalidParameter",
                format!("`{name}` must be a boolean, not {}", kind(v)),
            )),
        }
    }

    /// An optional integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(v) => Err(ApiError::new(
                "InvalidParameter",
                format!("`{name}` must be an integer, not {}", kind(v)),
            )),
        }
    }

    /// An optional list of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        self.typed::<Vec<String>>(name, "a list of strings")
    }

    /// An optional value of a structured type.
    pub fn typed<T: DeserializeOwned>(
        &self,
        name: &str,
        want: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
                ApiError::new("InvalidParameter", format!("`{name}` must be {want}: {e}"))
            }),
        }
    }

    /// Fails with `UnknownParameter` if the request has a parameter nobody read.
    pub fn finish(&self) -> Result<(), ApiError> {
        let read = self.read.borrow();
        match self.map.keys().find(|k| !read.contains(*k)) {
            Some(k) => Err(ApiError::new(
                "UnknownParameter",
                format!("the parameter `{k}` is not known to this action"),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_missing_and_unknown_parameters_are_named() {
        let body = json!({"A": "x", "B": 3, "C": true, "D": ["p"], "E": 1});
        let p = Params::new(&body).expect("object");
        assert_eq!(p.req_str("A"), Ok("x"));
        assert_eq!(p.int("B"), Ok(Some(3)));
        assert_eq!(p.bool("C"), Ok(Some(true)));
        assert_eq!(p.strings("D"), Ok(Some(vec!["p".to_string()])));
        assert_eq!(
            p.req_str("Z").expect_err("missing").code,
            "MissingParameter"
        );
        assert_eq!(
            p.finish().expect_err("E unread").message,
            "the parameter `E` is not known to this action"
        );
        let e = p.str("B").expect_err("type");
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("InvalidParameter", "`B` must be a string, not a number")
        );
        assert!(Params::new(&json!([1])).is_err());
    }

    #[test]
    fn long_strings_and_long_lists_are_refused_with_their_path() {
        let long = "x".repeat(MAX_STRING_CHARS + 1);
        let body = json!({"Filters": [{"Name": "vip", "Values": [long]}]});
        let e = Params::new(&body).err().expect("too long");
        assert_eq!(e.code, "InvalidParameterValue.TooLong");
        assert!(e.message.contains("`Filters.0.Values.0`"), "{}", e.message);
        let ids: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| format!("havip-{i}")).collect();
        let e = Params::new(&json!({"HaVipIds": ids}))
            .err()
            .expect("too many");
        assert_eq!(e.code, "InvalidParameterValue.LimitExceeded");
        assert!(
            e.message.contains("101 items, at most 100"),
            "{}",
            e.message
        );
        let filters: Vec<Value> = (0..=MAX_FILTERS).map(|_| json!({"Name": "vip"})).collect();
        let e = Params::new(&json!({"Filters": filters}))
            .err()
            .expect("filters");
        assert!(e.message.contains("at most 10"), "{}", e.message);
        let six = json!({"Filters": [{"Name": "vip", "Values": ["a", "b", "c", "d", "e", "f"]}]});
        let e = Params::new(&six).err().expect("values");
        assert!(
            e.message
                .contains("`Filters.0.Values` has 6 items, at most 5"),
            "{}",
            e.message
        );
        let tags: Vec<Value> = (0..=MAX_TAGS)
            .map(|i| json!({"Key": i.to_string()}))
            .collect();
        let e = Params::new(&json!({"Tags": tags})).err().expect("tags");
        assert!(e.message.contains("at most 50"), "{}", e.message);
        // At the bounds, accepted.
        let ok = json!({"HaVipIds": vec!["h"; MAX_LIST_ITEMS], "HaVipName": "x".repeat(MAX_STRING_CHARS)});
        assert!(Params::new(&ok).is_ok());
    }
}
