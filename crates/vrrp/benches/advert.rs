//! Benchmarks: decode + Router::handle of one advert.
fn main() {}
