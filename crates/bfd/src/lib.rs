//! Sans-IO BFD, single hop (RFC 5880, RFC 5881): the control packet codec and the state machine
//! of one session, with keepalived 2.2.7's timer choices (an idle transmit interval while the
//! session is not Up, a Poll Sequence when it comes Up).
//!
//! No sockets, no clock: [`Session::handle`] takes a [`Timestamp`] and an [`Event`] (a received
//! [`ControlPacket`] or a timer) and returns [`Action`]s (packets to send, state changes);
//! [`Session::next_deadline`] says when to call it with [`Event::Timer`].

pub mod packet;
pub mod session;

pub use packet::{ControlPacket, DecodeError, Diag, PACKET_LEN, State};
pub use session::{Action, Event, Session, SessionConfig};
pub use vrrp::{Micros, Timestamp};

/// UDP port of single-hop BFD control packets (RFC 5881 §4).
pub const CONTROL_PORT: u16 = 3784;
/// Source ports a single-hop session sends from (RFC 5881 §4).
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;
/// TTL / hop limit single-hop packets are sent with and must arrive with (RFC 5881 §5).
pub const TTL: u8 = 255;
