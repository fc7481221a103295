//! AgentX (RFC 2741), sans-IO: the PDUs a subagent exchanges with its master agent
//! ([`pdu`]), object identifiers in SNMP order ([`oid`]), and a read-only MIB view that answers
//! Get, GetNext and GetBulk ([`view`]); the VRRP MIBs keepalived serves, filled from plain
//! [`rows`]: [`keepalived_mib`] (KEEPALIVED-MIB's VRRP part), [`rfc2787`] (VRRP-MIB) and
//! [`rfc6527`] (VRRPV3-MIB). No sockets here: the daemon moves the bytes.

pub mod keepalived_mib;
pub mod oid;
pub mod pdu;
mod pdu_read;
pub mod rfc2787;
pub mod rfc6527;
pub mod rows;
pub mod view;
mod wire;

pub use oid::Oid;
pub use pdu::{Header, Payload, Pdu, SearchRange, Value, VarBind};
pub use view::View;

/// A PDU that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the header or a field announced.
    #[error("AgentX PDU truncated: {0}")]
    Truncated(&'static str),
    /// A field had a value RFC 2741 does not allow.
    #[error("AgentX PDU malformed: {0}")]
    Malformed(String),
    /// A payload larger than this subagent accepts.
    #[error("AgentX PDU of {0} bytes is larger than the {max} accepted", max = pdu::MAX_PAYLOAD)]
    TooLarge(u32),
}
