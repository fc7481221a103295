//! The data plane: a userspace switch between the servers' ports with the VPC's rules
//! (`switch.rs`, pure; its public port in `public.rs`, the public hosts it learned in
//! `public_hosts.rs`), the frames it reads and writes (`frame.rs`), and the process that runs
//! it on real interfaces (`run.rs`), following the control plane and reporting to it
//! (`control.rs`).

pub mod control;
pub mod frame;
mod public;
mod public_hosts;
mod realtime;
pub mod run;
pub mod switch;
