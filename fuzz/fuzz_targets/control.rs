//! cargo-fuzz entry for [`havip_fuzz::control`] (the body lives in the library, where
//! `tests/replay.rs` replays the kept corpus on stable Rust).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| havip_fuzz::control::run(data));
