//! What the metrics listener asks the event loop, and the loop's answers.

use tokio::sync::oneshot;

/// A request waiting for the event loop's answer.
pub enum Scrape {
    /// `/metrics`: the exposition.
    Metrics(oneshot::Sender<String>),
    /// `/healthz`: the loop answers when it turns.
    Health(oneshot::Sender<()>),
    /// `/ready`: the instances' (or one's) readiness.
    Ready {
        /// `?instance=NAME`, if given.
        instance: Option<String>,
        /// Where the answer goes.
        reply: oneshot::Sender<Readiness>,
    },
}

/// The loop's answer to `/ready`.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Every instance asked about is out of INIT and FAULT; one `NAME STATE` line each.
    Ready(String),
    /// One is not.
    NotReady(String),
    /// `?instance=` names no instance; the instances there are.
    Unknown(String),
}
