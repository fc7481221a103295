//! Running code inside a network namespace: a thread that enters it (`setns` changes only the
//! calling thread's namespace), so the lab's own probes and services need no extra processes.

use anyhow::{Context, Result};
use std::thread::JoinHandle;

/// Runs `f` on a new thread inside the named namespace (`ip netns` name).
pub fn spawn_in<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<Result<T>>> {
    let file = rawlink::netns::open(ns)?;
    Ok(std::thread::spawn(move || {
        rawlink::netns::enter_fd(&file).context("entering the namespace")?;
        Ok(f())
    }))
}
