//! havipd without I/O: the VRRP instances of one host with what lies above a single router.
//!
//! `vrrp::Router` is one virtual router's sans-IO state machine. This crate holds what sits
//! above it in havipd: the instances of a host under typed ids, their sync groups, what
//! tracked objects say about them (weights, rise/fall, faults), the start-up delay, the pacing
//! of announcements and the reload diff. It takes observations and time and returns effects as
//! plain data; havipd carries them out, and a simulator can drive many nodes the same way.

pub mod pacing;
pub mod tracking;
