//! What a mover's calls came to: counts by API action and outcome, and the last error (what
//! `havip status` and the metrics show; never a key).

use conf::mover::Endpoint;
use node::mover::Outcome;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// The calls made, by action and outcome, and the last error.
#[derive(Debug, Default)]
pub struct Record {
    /// Calls by API action and outcome.
    pub calls: BTreeMap<(&'static str, Outcome), u64>,
    /// The last failed call's error (`Action: Code: message`), cleared by a success.
    pub last_error: Option<String>,
}

/// Why a call failed (its outcome; the ledger has the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed(pub Outcome);

/// A mover's record, shared by its calls and the board.
#[derive(Debug, Default)]
pub struct Ledger(Mutex<Record>);

impl Ledger {
    /// Counts a call and keeps (or clears) its error.
    pub fn count(&self, action: &'static str, outcome: Outcome, error: Option<String>) {
        let mut r = self.lock();
        *r.calls.entry((action, outcome)).or_insert(0) += 1;
        r.last_error = error.map(|e| format!("{action}: {e}"));
    }

    /// Counts a call that got no answer: a timeout past `deadline`, else an error.
    pub fn transport_failed(&self, action: &'static str, why: &str, deadline: Instant) -> Failed {
        let outcome = if Instant::now() >= deadline {
            Outcome::Timeout
        } else {
            Outcome::Error
        };
        self.count(action, outcome, Some(why.to_string()));
        Failed(outcome)
    }

    /// Counts a call that failed for `why` as an error.
    pub fn error(&self, action: &'static str, why: &str) -> Failed {
        self.count(action, Outcome::Error, Some(why.to_string()));
        Failed(Outcome::Error)
    }

    /// The record.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `scheme://authority` + path.
pub fn url(e: &Endpoint, path: &str) -> String {
    let scheme = if e.tls { "https" } else { "http" };
    format!("{scheme}://{}{path}", e.authority)
}
