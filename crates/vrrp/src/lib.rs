//! Sans-IO VRRP: the wire format of VRRPv2/v3 for IPv4 and IPv6, and the state machine of one
//! virtual router with keepalived-compatible semantics.
//!
//! No sockets, no clock, no async: [`Router::handle`] takes an [`Event`] and a [`Timestamp`] and
//! returns [`Action`]s; [`Advert::decode`] and [`Advert::encode`] turn bytes into adverts and back.

pub mod ah;
pub mod auth_hmac;
pub mod checksum;
pub mod config;
pub mod ip;
pub mod packet;
pub mod router;
pub mod time;
pub mod timing;

pub use config::{ConfigError, GarpSchedule, PRIORITY_OWNER, RouterConfig, UnicastPeer};
pub use packet::{
    Advert, AdvertInterval, Auth, ChecksumMode, DecodeError, Decoded, EncodeError, Family,
    PacketAddrs, Version, reseal_ipv6_checksum,
};
pub use router::{
    Action, DropReason, Event, HANDOVER_LINGER, Notify, Reason, Router, State, Stats,
};
pub use time::{Micros, Timestamp};
