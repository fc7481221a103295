//! API errors: the cloud's code (`InvalidParameterValue.Range`, ...) and a message that names
//! the parameter and the value.

use serde::Serialize;

/// An error answered as `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The cloud's error code.
    #[serde(rename = "Code")]
    pub code: String,
    /// What is wrong, naming the parameter.
    #[serde(rename = "Message")]
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// `MissingParameter` for `name`.
    pub fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!("the parameter `{name}` is required"),
        )
    }

    /// `ResourceNotFound` for an id.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            "ResourceNotFound",
            format!("the {what} `{id}` does not exist"),
        )
    }

    /// `InvalidParameterValue.Malformed` for a value.
    pub fn malformed(name: &str, value: &str, want: &str) -> Self {
        Self::new(
            "InvalidParameterValue.Malformed",
            format!("`{name}` = `{value}` is malformed: {want}"),
        )
    }

    /// `InternalError`, for a store failure (nothing was changed).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new("InternalError", format!("the change was not saved: {e}"))
    }
}
