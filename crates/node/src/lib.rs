//! havipd without I/O: the VRRP instances of one host with what lies above a single router.
//!
//! `vrrp::Router` is one virtual router's sans-IO state machine. This crate holds what sits
//! above it in havipd: the instances of a host under typed ids ([`InstanceId`]), their sync
//! groups, what tracked objects say about them (weights, rise/fall, faults), the start-up
//! delay, the pacing of announcements and the reload diff. A [`Node`] takes observations and
//! time and writes [`Effect`]s, plain data, into a buffer its caller owns; havipd carries them
//! out, and a simulator can drive many nodes the same way. Nothing here reads a clock, opens a
//! socket or spawns a task: the same inputs at the same times give the same effects.

mod effect;
mod host;
mod ids;
mod machine;
pub mod mover;
pub mod pacing;
pub mod reload;
#[cfg(test)]
mod tests;
mod timers;
pub mod tracking;

pub use effect::{Effect, Observation};
pub use host::{Host, Interfaces};
pub use ids::{ById, InstanceId};
pub use machine::{Member, Node};
