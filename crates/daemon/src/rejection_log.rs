//! Rate limits of rejection logs: one line per instance and kind of rejection every 10 s.

use std::time::{Duration, Instant};

/// How often one instance logs rejections of the same kind.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Rate limit of rejection logs, per instance and kind.
#[derive(Debug, Default)]
pub struct RejectionLog {
    last: Vec<(u64, Instant)>,
}

impl RejectionLog {
    pub fn due<T: 'static>(&mut self, r: &T) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::any::TypeId::of::<T>().hash(&mut h);
        std::mem::discriminant(r).hash(&mut h);
        let kind = h.finish();
        let now = Instant::now();
        match self.last.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, at)) if now.duration_since(*at) < LOG_EVERY => false,
            Some((_, at)) => {
                *at = now;
                true
            }
            None => {
                self.last.push((kind, now));
                true
            }
        }
    }
}
