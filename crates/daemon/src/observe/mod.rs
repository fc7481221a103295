//! Watchers of tracked objects: links (netlink events), `vrrp_script`s (run on their interval),
//! `track_file`s (read when they change) and `vrrp_track_process`es (the kernel's process
//! events, in a thread of their own). Each runs in its own task and reports [`Observation`]s to
//! the event loop, which never waits on them.

pub mod files;
pub mod links;
pub mod proc_connector;
pub mod processes;
pub mod scripts;

use tokio::sync::mpsc::UnboundedSender;

/// Something a watcher saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// An interface's carrier/admin state.
    Link {
        /// Interface name.
        name: String,
        /// Up and running.
        up: bool,
        /// Its index, while it exists (a re-created interface has a new one).
        index: Option<u32>,
    },
    /// An address was added to a watched interface (one re-created without an address can
    /// now be resolved).
    Address {
        /// Interface name.
        name: String,
        /// Its index.
        index: u32,
    },
    /// What a script, `track_file` or process watcher saw, as the node takes it.
    Tracked(node::Observation),
}

/// Where watchers report.
pub type Reports = UnboundedSender<Observation>;
