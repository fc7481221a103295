//! `havip vpc`: a VPC with HAVIP semantics, on one machine. The control plane answers the
//! cloud's VPC API (Tencent Cloud API 3.0, vpc 2017-03-12, TC3-HMAC-SHA256) so the cloud's own
//! clients work against it; the state is kept in SQLite; a web console shows it live; the data
//! plane reports gratuitous ARPs that move HAVIP bindings.

pub mod accounts;
pub mod actions;
pub mod api;
pub mod auth;
pub mod backend;
pub mod cidr;
pub mod cloud;
pub mod console;
pub mod credentials;
pub mod dataplane;
pub mod error;
pub mod faults;
pub mod feed;
pub mod front;
pub mod guard;
pub mod ids;
pub mod internal;
pub mod internal_secret;
pub mod limits;
pub mod listen;
pub mod metadata;
pub mod model;
pub mod ovn;
pub mod params;
pub mod render;
pub mod replay;
pub mod route_table;
pub mod routing;
pub mod server;
pub mod service;
pub mod session;
pub mod store;
pub mod tls;
pub mod words;
