//! Running code inside a network namespace: a thread that enters it (`setns` changes only the
//! calling thread's namespace), so the lab's own probes and services need no extra processes.

use anyhow::{Context, Result};
use std::thread::JoinHandle;

/// Runs `f` on a new thread inside the named namespace (`ip netns` name).
pub fn spawn_in<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<Result<T>>> {
    let path = format!("/run/netns/{ns}");
    let file = std::fs::File::open(&path).with_context(|| format!("opening {path}"))?;
    Ok(std::thread::spawn(move || {
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
            .context("entering the namespace")?;
        Ok(f())
    }))
}
