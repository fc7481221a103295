//! Helpers the lab's tests share.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Polls `cond` every 50 ms for up to `within`; how long it took to hold, if it did.
pub fn wait(within: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
