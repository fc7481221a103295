//! The AgentX subagent (RFC 2741) serving keepalived's VRRP MIBs (`enable_snmp_vrrp`,
//! `enable_snmp_rfcv2`, `enable_snmp_rfcv3`) and sending its traps (`enable_traps`) through the SNMP master agent at
//! `snmp_socket`.
//!
//! It runs on a thread of its own (ordinary scheduling, its own runtime), so a slow or hostile
//! master never takes the VRRP loop's time. The loop is asked for rows over a bounded queue of
//! [`QUEUE`] and answers from its state at once (no netlink, no await); when the queue is full
//! the request is answered genErr. Transitions arrive on the events' broadcast (a lagging
//! subagent loses traps, never blocks the loop). The master restarting closes the socket: the
//! subagent connects again every [`session::RECONNECT`] and registers again.

mod memory;
mod session;
mod snapshot;

use agentx::rows::InstanceRow;
use ctl::EventRecord;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::warn;

/// Row requests waiting for the loop.
pub const QUEUE: usize = 4;

/// A request for the instances' rows, answered by the event loop.
pub struct Query {
    /// Where the rows go.
    pub reply: oneshot::Sender<Vec<InstanceRow>>,
}

/// The running subagent; stops when dropped.
pub struct Agent {
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the subagent's thread; its row requests arrive on the returned receiver.
pub fn start(
    settings: conf::snmp::Snmp,
    transitions: broadcast::Receiver<EventRecord>,
) -> std::io::Result<(Agent, mpsc::Receiver<Query>)> {
    let (queries, rx) = mpsc::channel(QUEUE);
    let (stop, stopped) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("snmp".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    _ = stopped => {}
                    _ = session::run(settings, queries, transitions) => {}
                }
            })
        })?;
    Ok((Agent { stop: Some(stop) }, rx))
}

/// Starts the subagent if the configuration asks for a MIB; a failure is logged, not fatal
/// (keepalived runs on without its agent too).
pub fn start_if_enabled(
    settings: Option<conf::snmp::Snmp>,
    transitions: broadcast::Receiver<EventRecord>,
) -> (Option<Agent>, Option<mpsc::Receiver<Query>>) {
    match settings.filter(|s| s.enabled()) {
        Some(s) => match start(s, transitions) {
            Ok((agent, rx)) => (Some(agent), Some(rx)),
            Err(e) => {
                warn!(error = %e, "cannot start the SNMP subagent");
                (None, None)
            }
        },
        None => (None, None),
    }
}
