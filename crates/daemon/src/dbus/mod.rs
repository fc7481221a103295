//! keepalived's D-Bus service (`enable_dbus`): the bus name `org.keepalived.Vrrp1` (or
//! `dbus_service_name`) on the system bus, with keepalived 2.2.7's objects and interfaces
//! (`objects.rs`, paths in `paths.rs`).
//!
//! The service runs on a thread of its own with its own runtime (`service.rs`). It never
//! touches the daemon's state: it asks the event loop through a bounded channel ([`Request`],
//! answered by `loop_side.rs`), follows transitions through the loop's event broadcast and
//! reloads through a watch channel, neither of which can block the loop. Only root may call
//! methods: the bus policy (`dist/org.keepalived.Vrrp1.conf`, keepalived's) says so, and each
//! method also asks the bus for its caller's uid.

mod loop_side;
mod objects;
pub mod paths;
mod service;

use crate::control::Answer;
use anyhow::{Context, Result};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot, watch};

/// Requests the loop holds at once from the D-Bus side.
const QUEUE: usize = 16;

/// What the D-Bus side asks the event loop.
#[derive(Debug)]
pub enum Action {
    /// A request of the control protocol (status, events, reload, GARP).
    Control(ctl::Request),
    /// `PrintData`: keepalived.data.
    PrintData,
    /// `PrintStats`: keepalived.stats.
    PrintStats,
}

/// A request to the event loop and where its answer goes.
pub struct Request {
    /// What is asked.
    pub action: Action,
    /// Where the answer goes.
    pub answer: oneshot::Sender<Answer>,
}

/// The running service; stopping it (on drop) emits `VrrpStopped` and leaves the bus.
pub struct DbusService {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for DbusService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the service of `config` on its own thread; `reloads` changes after each reload.
/// The receiver carries its requests to the event loop.
pub fn start(
    config: conf::dbus::DbusService,
    reloads: watch::Receiver<u64>,
) -> Result<(DbusService, mpsc::Receiver<Request>)> {
    let (requests, rx) = mpsc::channel(QUEUE);
    let (stop, stopped) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("dbus".into())
        .spawn(move || service::thread(config, requests, reloads, stopped))
        .context("D-Bus service thread")?;
    Ok((
        DbusService {
            stop: Some(stop),
            thread: Some(thread),
        },
        rx,
    ))
}
