//! A deterministic network of havipd nodes on a virtual clock.
//!
//! Each simulated server runs a `node::Node`, havipd without I/O: one bare `vrrp::Router`, or
//! every instance of a whole keepalived.conf with its sync groups, tracked scripts and
//! processes, start-up delay and reloads. Nodes exchange real encoded adverts (so the codec is
//! on the path) over simulated LAN segments with seeded loss, delay, jitter, duplication and
//! partitions. Every state change and every change of who holds the virtual addresses is
//! recorded; [`record`] turns those into outages and split-brain intervals. The same seed
//! always gives the same run, to the microsecond.

mod faults;
mod host;
mod network;
pub mod record;
mod tracked;
mod views;
mod wire;

pub use faults::{LinkFaults, spread_drops, spread_pattern};
pub use host::Interface;
pub use network::Network;
pub use record::{DeliveryRecord, Interval, NodeId, TransitionRecord, VipRecord};
