//! A small OVSDB client (RFC 7047, JSON-RPC over TCP, TLS or a Unix socket), made for driving
//! OVN's northbound database and following its southbound one:
//! - [`Client::transact`]: typed [`Operation`]s, all or nothing, the failing operation named;
//! - [`Client::monitor`]: the current rows of chosen tables, then every change, in order;
//! - the server's inactivity probes (`echo`) are answered, a dead connection ends every call
//!   and monitor so the owner reconnects;
//! - [`connect_any`]: one member of a clustered database ([`Remotes`], `tcp:A,tcp:B,tcp:C`) at
//!   a time, one connected to its cluster.
//!
//! The framing ([`framing::Framer`]) and the data ([`Datum`]) are pure and tested on their own;
//! `tests/server.rs` runs the client against a real `ovsdb-server` with OVN's schema.

mod client;
pub mod cluster;
mod datum;
mod endpoint;
pub mod framing;
mod monitor;
mod ops;
mod tls;

pub use client::{Client, Error, MESSAGE_LIMIT};
pub use cluster::{Remotes, connect_any};
pub use datum::{Atom, Datum, NotData, Row, row_from_json, row_to_json};
pub use endpoint::{BadEndpoint, Endpoint};
pub use monitor::{Monitor, MonitorRequest, RowUpdate, TableUpdates, parse_table_updates};
pub use ops::{Condition, Mutation, Operation};
pub use tls::SslFiles;
