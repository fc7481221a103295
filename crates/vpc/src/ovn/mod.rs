//! `havip vpc` on OVN: the VPC's state as OVN northbound rows ([`desired`]) and the one
//! transaction that brings the database there ([`plan`]); who holds a HAVIP, from the
//! southbound virtual binding ([`binding`]).

pub mod binding;
pub mod desired;
pub mod plan;

pub use desired::{Desired, desired};
pub use plan::{Current, plan};
