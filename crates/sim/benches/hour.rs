//! Benchmark: a 1,000-router simulated hour.
fn main() {}
