//! `track_file`: the file's number, re-read whenever its modification time, size or inode
//! changes. Polled every 100 ms: a handful of small files, and no inotify limits to run into.
//!
//! The file belongs to whoever may write it (an application's user), so it is read as
//! keepalived reads it, and never on the event loop's thread: each look (a `stat`, and an open
//! and one read when it changed) runs on tokio's blocking pool, opened `O_NONBLOCK` (a FIFO
//! never blocks the open), regular files only (a FIFO, device or directory reads as 0), and
//! at most [`READ_AT_MOST`] bytes (a huge or sparse file costs no memory). A file the loop
//! cannot look at in time only delays that file's value.

use super::{Observation, Reports};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::{info, warn};

/// How often files are looked at.
const POLL: Duration = Duration::from_millis(100);
/// Bytes read from a tracked file: keepalived reads 127 (`process_track_file`).
pub const READ_AT_MOST: usize = 127;

/// What says a file changed: modification time, size, inode (`None`: missing).
type Stamp = Option<(i64, i64, u64, u64)>;

/// The value of a tracked file's text, as keepalived's `strtol(buf, NULL, 0)` reads it:
/// leading white space, a sign, then decimal, `0x` hexadecimal or `0` octal digits up to the
/// first other character; 0 when there is no number. `None` for a number outside
/// keepalived's range (`INT32_MIN..=INT32_MAX + 1`), which keepalived ignores, keeping the value
/// it had.
pub fn parse_value(bytes: &[u8]) -> Option<i64> {
    let text = bytes.trim_ascii_start();
    let (negative, text) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = match text {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            (16, rest)
        }
        [b'0', rest @ ..] => (8, rest),
        _ => (10, text),
    };
    let mut value: i64 = 0;
    for &b in digits {
        let Some(d) = (b as char).to_digit(radix) else {
            break;
        };
        value = value
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(d));
    }
    let value = if negative { -value } else { value };
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1)
        .contains(&value)
        .then_some(value)
}

/// Reads a tracked file's value: the number its first [`READ_AT_MOST`] bytes start with; 0 when
/// it is missing, unreadable, not a regular file, or holds no number; `None` when the number
/// is out of range (see [`parse_value`]). Never blocks on a FIFO and never reads more.
pub fn read_value(path: &Path) -> Option<i64> {
    let Ok(file) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    else {
        return Some(0);
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Some(0);
    }
    let mut buf = Vec::with_capacity(READ_AT_MOST);
    match file.take(READ_AT_MOST as u64).read_to_end(&mut buf) {
        Ok(_) => parse_value(&buf),
        Err(_) => Some(0),
    }
}

/// One look at `path`, on a blocking thread: its stamp, and its value when the stamp differs
/// from `seen`.
fn look(path: &Path, seen: Option<Stamp>) -> (Stamp, Option<Option<i64>>) {
    // Blocking threads inherit the loop's real-time scheduling, which is not for this.
    let _ = crate::sys::schedule_this_thread_normally();
    let stamp = std::fs::metadata(path)
        .ok()
        .map(|m| (m.mtime(), m.mtime_nsec(), m.len(), m.ino()));
    if seen == Some(stamp) {
        return (stamp, None);
    }
    (stamp, Some(read_value(path)))
}

/// Watches `path` for the track file `name`; ends when the loop stops listening.
pub fn spawn(name: String, path: PathBuf, reports: Reports) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen: Option<Stamp> = None;
        loop {
            let p = path.clone();
            let Ok((stamp, read)) = tokio::task::spawn_blocking(move || look(&p, seen)).await
            else {
                return;
            };
            seen = Some(stamp);
            match read {
                None => {}
                Some(None) => {
                    warn!(track_file = %name, file = %path.display(), "track file holds a number out of range: ignored, as keepalived does")
                }
                Some(Some(value)) => {
                    info!(track_file = %name, file = %path.display(), value, "track file read");
                    let report = Observation::Tracked(node::Observation::File {
                        name: name.clone(),
                        value,
                    });
                    if reports.send(report).is_err() {
                        return;
                    }
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_keepalived_s_strtol_reads_them() {
        for (text, value) in [
            ("5", Some(5)),
            ("  -20\n", Some(-20)),
            ("+7 apples", Some(7)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("12abc", Some(12)),
            ("5\0\0\0", Some(5)),
            ("", Some(0)),
            ("abc", Some(0)),
            ("0x", Some(0)),
            ("2147483648", Some(2_147_483_648)),
            ("2147483649", None),
            ("-2147483649", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_value(text.as_bytes()), value, "{text:?}");
        }
    }

    #[test]
    fn fifos_and_huge_files_are_read_without_blocking_or_memory() {
        let dir = std::env::temp_dir().join(format!("havip-tf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644))
            .expect("mkfifo");
        assert_eq!(read_value(&fifo), Some(0));
        let huge = dir.join("huge");
        std::fs::write(&huge, "-20\n").expect("write");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&huge)
            .expect("open");
        f.set_len(1 << 36).expect("sparse");
        assert_eq!(read_value(&huge), Some(-20));
        assert_eq!(read_value(&dir), Some(0));
        assert_eq!(read_value(&dir.join("missing")), Some(0));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
