//! The state directory: one `<instance>.state` file holding the current state (what the seeds'
//! notify_action.sh wrote by hand), `transitions.jsonl`, one JSON object per transition, and
//! `stats.json`. Written by a thread of their own, in the order asked, so that a slow or
//! blocked disk never holds up the event loop (adverts, timers); the dump files
//! (keepalived.data, ...) go the same way. At most [`QUEUED`] writes wait: beyond that a write
//! is dropped and counted, with a warning.

use serde::Serialize;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;
use tokio::sync::mpsc::{Sender, error::TrySendError};
use tracing::{info, warn};

/// Writes waiting for the writer thread, at most. The queue grows to it only when the disk
/// is slow: tokio's bounded channel allocates its slots as they fill (std's `sync_channel`
/// allocated all 4,096 at start, a quarter of a MiB of resident memory).
const QUEUED: usize = 4096;
/// Size at which an appended file (`transitions.jsonl`) is moved to `<name>.1` (replacing
/// the previous one) and started again: the two hold 2 MiB at most.
pub const APPEND_AT_MOST: u64 = 1 << 20;
/// How long the last writes may take when havipd stops.
const FLUSH_WITHIN: Duration = Duration::from_secs(5);

/// One write.
enum Job {
    /// Replace `path` with `text`, atomically (write a temporary file, then rename), mode
    /// `mode`; `announce` logs the success (dumps).
    Replace {
        path: PathBuf,
        text: String,
        mode: u32,
        announce: bool,
    },
    /// Append `line` to `path`.
    Append { path: PathBuf, line: String },
}

/// Writes state files under a directory, off the caller's thread.
pub struct StateFiles {
    dir: PathBuf,
    /// `None` once dropped (the writer then finishes its queue).
    jobs: Option<Sender<Job>>,
    /// Says when the writer has finished.
    finished: Receiver<()>,
    dropped: u64,
}

impl StateFiles {
    /// Creates the directory if needed and starts the writer.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<Job>(QUEUED);
        let (done, finished) = sync_channel(1);
        std::thread::Builder::new()
            .name("state-writer".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    write(job);
                }
                let _ = done.send(());
            })?;
        Ok(StateFiles {
            dir: dir.to_path_buf(),
            jobs: Some(jobs),
            finished,
            dropped: 0,
        })
    }

    fn queue(&mut self, job: Job) {
        let Some(jobs) = &self.jobs else { return };
        match jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped += 1;
                if self.dropped.is_power_of_two() {
                    warn!(dropped = self.dropped, dir = %self.dir.display(), "the state directory does not keep up: writes dropped");
                }
            }
            Err(TrySendError::Closed(_)) => warn!("the state writer is gone"),
        }
    }

    /// Writes `name` in the directory as pretty JSON, atomically.
    pub fn write_json(&mut self, name: &str, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.queue(Job::Replace {
                path: self.dir.join(name),
                text: text + "\n",
                mode: 0o644,
                announce: false,
            }),
            Err(e) => warn!(file = name, error = %e, "not written"),
        }
    }

    /// Writes a dump file (any path), atomically, readable by root only.
    pub fn write_dump(&mut self, path: &Path, text: String) {
        self.queue(Job::Replace {
            path: path.to_path_buf(),
            text,
            mode: 0o600,
            announce: true,
        });
    }

    /// Records a transition: `<instance>.state` and a line of `transitions.jsonl`.
    pub fn transition(&mut self, record: &ctl::EventRecord) {
        self.queue(Job::Replace {
            path: self
                .dir
                .join(conf::state_file::state_file_name(&record.instance)),
            text: format!("{}\n", record.to),
            mode: 0o644,
            announce: false,
        });
        match serde_json::to_string(record) {
            Ok(line) => self.queue(Job::Append {
                path: self.dir.join("transitions.jsonl"),
                line,
            }),
            Err(e) => warn!(error = %e, "transition not recorded"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for StateFiles {
    /// Lets the writer finish what is queued (the last transitions, stats.json), for at most
    /// [`FLUSH_WITHIN`].
    fn drop(&mut self) {
        self.jobs = None;
        if self.finished.recv_timeout(FLUSH_WITHIN).is_err() {
            warn!(dir = %self.dir.display(), "the state directory did not take the last writes in time");
        }
    }
}

/// Carries out one write, logging a failure.
fn write(job: Job) {
    let (path, result, announce) = match job {
        Job::Replace {
            path,
            text,
            mode,
            announce,
        } => {
            let r = replace(&path, &text, mode);
            (path, r, announce)
        }
        Job::Append { path, line } => {
            let r = append(&path, &line);
            (path, r, false)
        }
    };
    match result {
        Ok(()) if announce => info!(file = %path.display(), "dump written"),
        Ok(()) => {}
        Err(e) => warn!(file = %path.display(), error = %e, "not written"),
    }
}

/// Appends `line` to `path`; a file that would grow past [`APPEND_AT_MOST`] is moved to
/// `<path>.1` first.
fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let full = std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.is_file() && m.len() + line.len() as u64 + 1 > APPEND_AT_MOST);
    if full {
        let mut older = path.as_os_str().to_owned();
        older.push(".1");
        std::fs::rename(path, older)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"))
}

/// Replaces `path` atomically: a temporary file beside it, then a rename, as keepalived 2.4.3's
/// `fopen_safe` does (its fix of CVE-2018-19044/19046). The temporary file has a random name
/// and is created with `O_CREAT|O_EXCL` (`tempfile`), so a symbolic link or a file another user
/// planted under any name is never opened, truncated or followed; the rename replaces whatever
/// is at `path` (a planted link or file) rather than writing through it. The file is created
/// mode 0600 and set to `mode` on its descriptor before anything is written.
fn replace(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_are_bounded_by_rotation() {
        let dir = std::env::temp_dir().join(format!("havip-rot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("transitions.jsonl");
        let line = format!("{{\"instance\":\"VI_1\",\"pad\":\"{}\"}}", "x".repeat(200));
        // Three times what one file holds.
        let lines = 3 * APPEND_AT_MOST as usize / (line.len() + 1);
        for _ in 0..lines {
            write(Job::Append {
                path: path.clone(),
                line: line.clone(),
            });
        }
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let older = dir.join("transitions.jsonl.1");
        assert!(size(&path) <= APPEND_AT_MOST, "{}", size(&path));
        assert!(size(&older) <= APPEND_AT_MOST && size(&older) > APPEND_AT_MOST / 2);
        let last = std::fs::read_to_string(&path).expect("read");
        assert!(last.lines().all(|l| l == line));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_replaced_file_is_root_s_and_never_written_through_a_link() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("havip-rep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").expect("victim");
        let path = dir.join("keepalived.data");
        std::os::unix::fs::symlink(&victim, dir.join(".keepalived.data.tmp")).expect("link");
        std::os::unix::fs::symlink(&victim, &path).expect("link");
        replace(&path, "dump\n", 0o600).expect("replace");
        assert_eq!(
            std::fs::read_to_string(&victim).expect("victim"),
            "precious"
        );
        let meta = std::fs::symlink_metadata(&path).expect("dump");
        assert!(meta.is_file() && meta.mode() & 0o777 == 0o600);
        assert_eq!(std::fs::read_to_string(&path).expect("dump"), "dump\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
