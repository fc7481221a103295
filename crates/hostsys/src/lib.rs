//! The few host system calls that several havip crates share, each in one place: the wall
//! clock as Unix time ([`clock`]) and the calling thread's scheduling class ([`sched`]).
//!
//! It is a crate of its own because its users sit side by side rather than on one another:
//! `vrrp` (the sans-IO core, whose `auth_hmac` sequence starts from the clock at the I/O edge),
//! `daemon`, `vpc`, `lab` and `cli`. It depends on `libc` only.

pub mod clock;
pub mod sched;
