//! `havip vpc` on OVN: the VPC's state as OVN northbound rows ([`desired`]) and the one
//! transaction that brings the database there ([`plan`]), run by the [`engine`] for the
//! [`backend`] of `--backend ovn`, the EIP gateways on an HA chassis group ([`ha_group`]); who holds a HAVIP, from the southbound virtual binding
//! ([`binding`]), followed by a monitor ([`follow`]).

pub mod backend;
pub mod binding;
pub mod desired;
pub mod engine;
pub mod follow;
pub mod ha_group;
pub mod plan;

pub use desired::{Desired, desired};
pub use plan::{Current, plan};
