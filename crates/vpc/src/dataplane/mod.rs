//! The data plane: a userspace switch between the servers' ports with the VPC's rules
//! (`switch.rs`, pure), the frames it reads and writes (`frame.rs`), and the process that runs
//! it on real interfaces and talks to the control plane (`run.rs`).

pub mod frame;
pub mod run;
pub mod switch;
