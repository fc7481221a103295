//! `track_file`: the file's number, re-read whenever its modification time or size changes.
//! Polled every 100 ms: a handful of small files, and no inotify limits to run into.

use super::{Observation, Reports};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use tracing::info;

/// How often files are looked at.
const POLL: Duration = Duration::from_millis(100);

/// Reads a tracked file's value: the first word as an integer, 0 if missing or not a number.
pub fn read_value(path: &std::path::Path) -> i64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|w| w.parse().ok()))
        .unwrap_or(0)
}

/// Watches `path` for the track file `name`; ends when the loop stops listening.
pub fn spawn(name: String, path: PathBuf, reports: Reports) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen: Option<(Option<SystemTime>, u64)> = None;
        loop {
            let meta = std::fs::metadata(&path).ok();
            let stamp = (
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.as_ref().map_or(u64::MAX, |m| m.len()),
            );
            if seen != Some(stamp) {
                seen = Some(stamp);
                let value = read_value(&path);
                info!(track_file = %name, file = %path.display(), value, "track file read");
                if reports
                    .send(Observation::File {
                        name: name.clone(),
                        value,
                    })
                    .is_err()
                {
                    return;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
}
