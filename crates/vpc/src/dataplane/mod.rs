//! The data plane: a userspace switch between the servers' ports with the VPC's rules
//! (`switch.rs`, pure), the frames it reads and writes (`frame.rs`), and the process that runs
//! it on real interfaces (`run.rs`), following the control plane and reporting to it
//! (`control.rs`).

pub mod control;
pub mod frame;
mod realtime;
pub mod run;
pub mod switch;
