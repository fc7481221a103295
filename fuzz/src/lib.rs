//! The fuzz targets' bodies, one module per parser that takes outside bytes. The cargo-fuzz
//! binaries (`fuzz_targets/`) call these; `tests/replay.rs` replays every kept corpus and every
//! crash found through the same functions on stable Rust, so CI checks them without nightly.

pub mod api;
pub mod conf_check;
pub mod control;
pub mod dataplane;
pub mod ovsdb_frames;
pub mod vrrp_decode;
pub mod vrrp_hmac;

/// Every target by name, as `fuzz_targets/<name>.rs` and `corpus/<name>/` are named.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("api", api::run),
    ("conf_check", conf_check::run),
    ("control", control::run),
    ("dataplane", dataplane::run),
    ("ovsdb_frames", ovsdb_frames::run),
    ("vrrp_decode", vrrp_decode::run),
    ("vrrp_hmac", vrrp_hmac::run),
];
