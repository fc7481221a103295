//! Pid files locked the way keepalived locks its own (`pidfile.c`): a write lock on the whole
//! file held through its open file description (`F_OFD_SETLK`), so while one runs, a second
//! havipd, or a keepalived, given the same file is refused. The forked worker shares the
//! description, so the lock lasts as long as either process.

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use std::fs::{File, OpenOptions};
use std::io::{Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A locked pid file; removed when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    file: File,
}

/// How often a file replaced between its opening and its locking is tried again.
const ATTEMPTS: usize = 8;

/// Why a pid file was not locked.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it; what the file says (its pid, if it wrote one).
    Held(String),
    /// Anything else.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for LockError {
    fn from(e: anyhow::Error) -> Self {
        LockError::Other(e)
    }
}

impl PidFile {
    /// Creates or opens `path`, locks it, empties it and writes `pid` in it if given. `what`
    /// names the file in errors.
    pub fn lock(path: &Path, pid: Option<u32>, what: &str) -> Result<PidFile, LockError> {
        for _ in 0..ATTEMPTS {
            let file = OpenOptions::new()
                .write(true)
                .read(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(path)
                .with_context(|| format!("{what} {}", path.display()))?;
            let whole = libc::flock {
                l_type: libc::F_WRLCK as libc::c_short,
                l_whence: libc::SEEK_SET as libc::c_short,
                l_start: 0,
                l_len: 0,
                l_pid: 0,
            };
            match fcntl(&file, FcntlArg::F_OFD_SETLK(&whole)) {
                Ok(_) => {}
                Err(Errno::EAGAIN | Errno::EACCES) => {
                    let holder = std::fs::read_to_string(path).unwrap_or_default();
                    return Err(LockError::Held(holder.trim().to_string()));
                }
                Err(e) => {
                    let e = anyhow::Error::from(e)
                        .context(format!("locking {what} {}", path.display()));
                    return Err(LockError::Other(e));
                }
            }
            // The previous holder may have removed the file between our open and our lock.
            let same = match (std::fs::symlink_metadata(path), file.metadata()) {
                (Ok(on_disk), Ok(ours)) => {
                    on_disk.dev() == ours.dev() && on_disk.ino() == ours.ino()
                }
                _ => false,
            };
            if !same {
                continue;
            }
            let mut locked = PidFile {
                path: path.to_path_buf(),
                file,
            };
            locked
                .write_pid(pid)
                .with_context(|| format!("{what} {}", path.display()))?;
            return Ok(locked);
        }
        let e = anyhow::anyhow!("{what} {} keeps being replaced", path.display());
        Err(LockError::Other(e))
    }

    /// Replaces the file's content with `pid` (or nothing).
    pub fn write_pid(&mut self, pid: Option<u32>) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        match pid {
            Some(pid) => writeln!(self.file, "{pid}"),
            None => Ok(()),
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_and_the_first_is_released_on_drop() {
        let dir = std::env::temp_dir().join(format!("havipd-pidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("k.pid");
        let first = PidFile::lock(&path, Some(11), "pid file").expect("first");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "11\n");
        match PidFile::lock(&path, Some(12), "pid file") {
            Err(LockError::Held(holder)) => assert_eq!(holder, "11"),
            other => panic!("not refused: {other:?}"),
        }
        drop(first);
        assert!(!path.exists());
        let again = PidFile::lock(&path, Some(13), "pid file").expect("after the first ended");
        assert_eq!(std::fs::read_to_string(&again.path).expect("read"), "13\n");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
