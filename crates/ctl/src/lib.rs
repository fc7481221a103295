//! havipd's control socket: what a client may ask and what the daemon answers, a client, and
//! where the socket is ([`placement`]).

mod client;
pub mod placement;
mod protocol;

pub use client::{Client, ClientError};
pub use protocol::{
    EventRecord, InstanceStatus, MAX_REQUEST, MoverCount, MoverStatus, PeerSeen, ReloadOutcome,
    Reply, Request, Status, TrackerStatus, VipStatus,
};

/// The socket's file name inside the state directory.
pub const SOCKET_NAME: &str = "havipd.sock";
