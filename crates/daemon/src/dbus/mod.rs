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

/// The service as the configuration asks for it: started, stopped or restarted at each reload
/// (keepalived starts and stops its own as `enable_dbus` comes and goes).
#[derive(Default)]
pub struct Dbus {
    requests: Option<mpsc::Sender<Request>>,
    running: Option<Running>,
}

/// A running service's thread.
struct Running {
    config: conf::dbus::DbusService,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Dbus {
    /// The channel of the services' requests to the event loop (one for all services).
    pub fn channel(&mut self) -> mpsc::Receiver<Request> {
        let (tx, rx) = mpsc::channel(QUEUE);
        self.requests = Some(tx);
        rx
    }

    /// Starts, stops or restarts the service for `config` (`None`: no `enable_dbus`). Never
    /// waits: a service told to stop finishes on its own thread, and its successor waits for
    /// it before it connects (it may hold the same name).
    pub fn reconfigure(
        &mut self,
        config: Option<conf::dbus::DbusService>,
        reloads: &watch::Sender<u64>,
    ) -> Result<()> {
        if self.running.as_ref().map(|r| &r.config) == config.as_ref() {
            return Ok(());
        }
        let previous = self.running.take().map(|r| {
            let _ = r.stop.send(());
            r.thread
        });
        let (Some(config), Some(requests)) = (config, self.requests.clone()) else {
            return Ok(());
        };
        let (stop, stopped) = oneshot::channel();
        let reloads = reloads.subscribe();
        let running = config.clone();
        let thread = std::thread::Builder::new()
            .name("dbus".into())
            .spawn(move || {
                if let Some(p) = previous {
                    let _ = p.join();
                }
                service::thread(running, requests, reloads, stopped)
            })
            .context("D-Bus service thread")?;
        self.running = Some(Running {
            config,
            stop,
            thread,
        });
        Ok(())
    }
}

impl Drop for Dbus {
    /// Stops the service and waits for its goodbye (`VrrpStopped`, bounded).
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = r.thread.join();
        }
    }
}
