//! keepalived.conf, read the way keepalived 2.2.7 reads it, and explained better.
//!
//! Layers: [`reader`] (files, `include`, `@` conditionals, `$` parameters, pasted Unicode),
//! [`lexer`] and [`tree`] (statements and blocks), [`build`] (the typed [`model`], from the
//! [`keywords`] tables), [`validate`] (keepalived's cross-checks, [`host`] checks), [`advice`]
//! (the cloud guide), [`effective`] (what each instance will do, as a `vrrp::RouterConfig`).
//! [`check::check`] runs them all.

pub mod accept_mode;
pub mod advice;
pub mod bfd;
mod bfd_refs;
pub mod build;
pub mod check;
pub mod codes;
pub mod corrections;
pub mod dbus;
pub mod diag;
pub mod dump_files;
pub mod effective;
pub mod family;
pub mod host;
pub mod keepalived_227;
pub mod keywords;
pub mod legacy_auth;
pub mod lexer;
pub mod mail;
pub mod mcast_group;
pub mod model;
pub mod mover;
pub mod notify_fifos;
pub mod notify_kind;
pub mod params;
pub mod process;
pub mod reader;
pub mod routes;
pub mod run_user;
pub mod sequences;
pub mod snmp;
pub mod state_file;
pub mod tree;
pub mod unicode;
pub mod validate;
pub mod verdict;
pub mod weight;

pub use check::{Options, Report, check, check_text};
pub use diag::{Diagnostic, Location, Severity};

/// Where keepalived (and so havipd and `havip check`) reads its configuration by default.
pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
