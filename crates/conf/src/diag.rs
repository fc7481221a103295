//! Diagnostics: what is wrong, where (file:line:col), the offending text, and what to do.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A position in a config file (1-based line and column, columns in characters).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file, as given or as found through `include`.
    pub file: Arc<str>,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters of the original text.
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The config does not do what it says: something is dropped, disabled or cannot run.
    Error,
    /// Suspicious, ignored or corrected input; keepalived warns and carries on.
    Warning,
    /// Advice and explanations.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Stable code, e.g. `unknown-keyword`: a row of [`crate::codes::CODES`].
    pub code: &'static str,
    /// Where it starts.
    pub location: Location,
    /// Last line it covers (a block spans several), if more than one.
    pub end_line: Option<u32>,
    /// The offending text as written.
    pub text: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without hint or span.
    pub fn new(
        severity: Severity,
        code: &'static str,
        location: Location,
        text: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        debug_assert!(
            crate::codes::row(code).is_some(),
            "diagnostic code `{code}` has no row in crates/conf/src/codes/rows.rs"
        );
        Diagnostic {
            severity,
            code,
            location,
            end_line: None,
            text: text.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Marks the last line covered.
    pub fn until(mut self, line: u32) -> Self {
        if line > self.location.line {
            self.end_line = Some(line);
        }
        self
    }

    /// Whether this diagnostic covers `line` of `file`.
    pub fn covers(&self, file: &str, line: u32) -> bool {
        &*self.location.file == file
            && self.location.line <= line
            && line <= self.end_line.unwrap_or(self.location.line)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]: {}",
            self.location, self.severity, self.code, self.message
        )?;
        if !self.text.is_empty() {
            write!(f, "\n    | {}", self.text)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n    = hint: {h}")?;
        }
        Ok(())
    }
}

/// Collected diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Sorted by location, then severity, then code.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort_by(|a, b| {
            (&a.location, a.severity, a.code).cmp(&(&b.location, b.severity, b.code))
        });
        self.0
    }
}
