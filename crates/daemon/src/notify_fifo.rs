//! `notify_fifo` / `vrrp_notify_fifo`: one line per state change, as keepalived writes them
//! (`INSTANCE "VI_1" MASTER 100`), to each configured FIFO. A FIFO is created if missing (mode
//! 0600, owned by its `user [group]` or the default script user, as keepalived 2.2.7 makes
//! it) and opened read-write and non-blocking, so a slow or absent reader never stalls the
//! daemon (lines it misses are lost and logged).
//!
//! With `notify_priority_changes` (or the sync group's, or `vrrp_notify_priority_changes`), an
//! instance's effective priority changes are written too, as keepalived writes them:
//! `INSTANCE "VI_1" MASTER_PRIORITY 80` as master, `BACKUP_PRIORITY` in any other state.
//!
//! Its reader, `notify_fifo_script` / `vrrp_notify_fifo_script`, is started as keepalived
//! starts it: once the FIFO exists, with the FIFO's path as its last argument, as its own
//! user (else the default script user), in its own process group, without a time-out, and
//! sent SIGTERM when havipd's worker ends (keepalived's PR_SET_PDEATHSIG). Closing a FIFO
//! (at exit, or a reload that changes the FIFOs) unlinks it if havipd created it, so a reader
//! that reopens its path cannot reach a stale one, and ends its reader's process group.

use crate::script_user::RunAs;
use conf::model::{Config, Global};
use conf::notify_fifos::NotifyFifoConf;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use tracing::{error, info, warn};

/// An open notify FIFO and the reader started for it.
pub struct NotifyFifo {
    path: PathBuf,
    file: File,
    created: bool,
    reader: Option<u32>,
}

impl NotifyFifo {
    /// Opens the FIFO at `path`, creating it owned by `owner` if it is missing. Anything but
    /// a FIFO there is refused (keepalived too refuses a file an attacker planted).
    pub fn open(path: &Path, owner: Option<&RunAs>) -> std::io::Result<Self> {
        let created = match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600)) {
            Ok(()) => true,
            Err(nix::errno::Errno::EEXIST) => false,
            Err(e) => return Err(e.into()),
        };
        if created && let Some(o) = owner {
            let chown =
                nix::unistd::chown(path, Some(Uid::from_raw(o.uid)), Some(Gid::from_raw(o.gid)));
            if let Err(e) = chown {
                warn!(fifo = %path.display(), error = %e, "notify FIFO not given to its user");
            }
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOFOLLOW).bits())
            .open(path);
        let refuse = |e: std::io::Error| {
            if created {
                let _ = std::fs::remove_file(path);
            }
            e
        };
        let file = file.map_err(refuse)?;
        let meta = file.metadata().map_err(refuse)?;
        if !meta.file_type().is_fifo() {
            return Err(refuse(std::io::Error::other("not a FIFO")));
        }
        let own = Uid::current().as_raw();
        if meta.uid() != own && owner.is_none_or(|o| o.uid != meta.uid()) {
            return Err(refuse(std::io::Error::other(
                "a FIFO owned by another user",
            )));
        }
        Ok(NotifyFifo {
            path: path.to_path_buf(),
            file,
            created,
            reader: None,
        })
    }

    /// Writes one line: `INSTANCE "name" STATE priority`.
    pub fn instance(&mut self, name: &str, state: &str, priority: u8) {
        let line = format!("INSTANCE \"{name}\" {state} {priority}\n");
        if let Err(e) = self.file.write_all(line.as_bytes()) {
            warn!(fifo = %self.path.display(), error = %e, "notify FIFO line lost");
        }
    }

    /// Starts `command` (run by /bin/sh, the FIFO's path appended) as `run_as`.
    fn start_reader(&mut self, command: &str, run_as: &RunAs) {
        let line = format!(
            "{command} {}",
            crate::notify::shell_quote(&self.path.to_string_lossy())
        );
        let mut cmd = tokio::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(&line)
            .stdin(std::process::Stdio::null())
            .process_group(0);
        run_as.apply(&mut cmd);
        crate::sys::terminate_with_parent(&mut cmd);
        match cmd.spawn() {
            Ok(mut child) => {
                info!(script = %line, user = %run_as.name, "notify FIFO script started");
                self.reader = child.id();
                tokio::spawn(async move {
                    let status = child.wait().await;
                    info!(script = %line, ?status, "notify FIFO script terminated");
                });
            }
            Err(e) => error!(script = %line, error = %e, "notify FIFO script could not start"),
        }
    }
}

impl Drop for NotifyFifo {
    /// Unlinks a FIFO havipd created (first: a reader that reopens it then cannot), closes it
    /// and ends its reader's process group with SIGTERM.
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(pid) = self.reader.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
}

/// Every notify FIFO of a config, each with its reader.
#[derive(Default)]
pub struct NotifyFifos {
    open: Vec<(NotifyFifoConf, NotifyFifo)>,
    /// Instances that report their priority changes.
    priority_changes: BTreeSet<String>,
}

impl NotifyFifos {
    /// Opens the config's FIFOs and starts their readers. A FIFO that cannot be opened, or a
    /// reader whose user is unknown or unsafe under `enable_script_security`, is left out
    /// with an error logged, and havipd runs on, as keepalived does.
    pub fn open(cfg: &Config) -> Self {
        let mut fifos = NotifyFifos::default();
        fifos.reconfigure(cfg);
        fifos
    }

    /// Takes a (reloaded) config's FIFOs: one whose settings did not change stays open with
    /// its reader; the others are closed (their readers ended) and the new ones opened.
    pub fn reconfigure(&mut self, cfg: &Config) {
        self.priority_changes = cfg
            .instances
            .iter()
            .filter(|i| cfg.notify_priority_changes(&i.name))
            .map(|i| i.name.clone())
            .collect();
        let global = &cfg.global;
        let wanted = global.notify_fifos();
        self.open.retain(|(conf, _)| wanted.contains(conf));
        for conf in wanted {
            if self.open.iter().any(|(c, _)| *c == conf) {
                continue;
            }
            if let Some(fifo) = open_one(&conf, global) {
                self.open.push((conf, fifo));
            }
        }
    }

    /// Writes one instance line to every FIFO.
    pub fn instance(&mut self, name: &str, state: &str, priority: u8) {
        for (_, f) in &mut self.open {
            f.instance(name, state, priority);
        }
    }

    /// Writes an instance's new effective priority, if it reports priority changes.
    pub fn priority_changed(&mut self, name: &str, master: bool, priority: u8) {
        if self.priority_changes.contains(name) {
            let kind = if master {
                "MASTER_PRIORITY"
            } else {
                "BACKUP_PRIORITY"
            };
            self.instance(name, kind, priority);
        }
    }
}

/// Opens one FIFO and starts its reader.
fn open_one(conf: &NotifyFifoConf, global: &Global) -> Option<NotifyFifo> {
    let owner = match &conf.owner {
        Some(who) => RunAs::lookup(who),
        None => RunAs::default_for(global).ok(),
    };
    let mut fifo = match NotifyFifo::open(Path::new(&conf.path), owner.as_ref()) {
        Ok(f) => f,
        Err(e) => {
            error!(fifo = %conf.path, error = %e, "{} not used", conf.keyword);
            return None;
        }
    };
    if let Some(script) = &conf.script {
        let kind = format!("{}_script", conf.keyword);
        if let Some(run_as) = crate::notify::run_as("", &kind, script, global) {
            fifo.start_reader(&script.command, &run_as);
        }
    }
    Some(fifo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn lines_reach_a_reader_and_a_missing_reader_blocks_nothing() {
        let path = std::env::temp_dir().join(format!("havip-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut fifo = NotifyFifo::open(&path, None).expect("fifo");
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
        drop(fifo);
        assert!(text.contains("INSTANCE \"VI_1\" BACKUP 90\n"), "{text:?}");
        assert!(!path.exists(), "the FIFO it created is removed when closed");
    }

    #[test]
    fn a_planted_file_is_refused_and_kept() {
        let path = std::env::temp_dir().join(format!("havip-planted-{}", std::process::id()));
        std::fs::write(&path, "x").expect("file");
        assert!(NotifyFifo::open(&path, None).is_err());
        assert!(path.exists(), "a file havipd did not create is not removed");
        let _ = std::fs::remove_file(&path);
    }
}
