//! Reading an action's JSON parameters with the cloud's errors: every parameter read is
//! remembered, so anything left over is an `UnknownParameter`; wrong types are
//! `InvalidParameter`, naming the parameter.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;

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
}
