//! `vrrp_notify_fifo` / `notify_fifo`: one line per state change, as keepalived writes them
//! (`INSTANCE "VI_1" MASTER 100`). The FIFO is created if missing and opened read-write and
//! non-blocking, so a slow or absent reader never stalls the daemon (lines it misses are lost
//! and logged).

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use tracing::warn;

/// An open notify FIFO.
pub struct NotifyFifo {
    path: PathBuf,
    file: File,
}

impl NotifyFifo {
    /// Opens (creating if needed) the FIFO at `path`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if !path.exists() {
            nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600))?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NONBLOCK.bits())
            .open(path)?;
        Ok(NotifyFifo {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes one line: `INSTANCE "name" STATE priority`.
    pub fn instance(&mut self, name: &str, state: &str, priority: u8) {
        let line = format!("INSTANCE \"{name}\" {state} {priority}\n");
        if let Err(e) = self.file.write_all(line.as_bytes()) {
            warn!(fifo = %self.path.display(), error = %e, "notify FIFO line lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn lines_reach_a_reader_and_a_missing_reader_blocks_nothing() {
        let path = std::env::temp_dir().join(format!("havip-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut fifo = NotifyFifo::open(&path).expect("fifo");
        // No reader yet: the write goes into the pipe buffer and returns at once.
        fifo.instance("VI_1", "MASTER", 100);
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(OFlag::O_NONBLOCK.bits())
            .open(&path)
            .expect("reader");
        fifo.instance("VI_1", "BACKUP", 90);
        let mut text = String::new();
        let _ = reader.read_to_string(&mut text);
        let _ = std::fs::remove_file(&path);
        assert!(text.contains("INSTANCE \"VI_1\" BACKUP 90\n"), "{text:?}");
    }
}
