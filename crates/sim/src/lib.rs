//! A deterministic network of `vrrp::Router`s on a virtual clock.
//!
//! Routers exchange real encoded adverts (so the codec is on the path) over a simulated LAN
//! with seeded loss, delay, jitter, duplication and partitions. Every state change and every
//! change of who holds the virtual addresses is recorded; [`record`] turns those into outages
//! and split-brain intervals. The same seed always gives the same run, to the microsecond.

mod faults;
mod network;
pub mod record;

pub use faults::LinkFaults;
pub use network::Network;
pub use record::{DeliveryRecord, Interval, NodeId, TransitionRecord, VipRecord};
