//! A lab's scratch directories (configs, logs, state, pid files) under the shared temporary
//! directory: each is made fresh (mode 0700, exclusively: one that exists is refused, never
//! reused) and checked to be a real directory the lab's user owns, so a local user who
//! pre-creates `/tmp/hvl<id>` cannot hand havipd a config of theirs.

use anyhow::{Context, Result, bail};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::Path;

/// Makes `dir` (its parent must exist): mode 0700, failing if anything is already there.
pub fn make_private(dir: &Path) -> Result<()> {
    let made = std::fs::DirBuilder::new().mode(0o700).create(dir);
    if let Err(e) = made {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            bail!(
                "{} already exists: a lab's scratch directory is made fresh, never reused (remove it if it is yours; it may have been planted)",
                dir.display()
            );
        }
        return Err(e).with_context(|| format!("creating {}", dir.display()));
    }
    check_private(dir)
}

/// Checks that `dir` is a directory (not a link) owned by this process's user that no one
/// else may enter or write.
pub fn check_private(dir: &Path) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if !meta.file_type().is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        bail!(
            "{} is owned by uid {}, not by this user ({me})",
            dir.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        bail!(
            "{} has mode {:o}: others may enter or write it (want 0700)",
            dir.display(),
            meta.mode() & 0o777
        );
    }
    Ok(())
}

/// Whether `id` may name a lab: 1-8 lowercase letters and digits (as [`new_id`] makes them),
/// so it makes interface names, namespace names and a path under the temporary directory
/// and nothing else (no `/`, `..`, spaces or shell characters).
///
/// [`new_id`]: crate::topology::new_id
pub fn check_id(id: &str) -> Result<()> {
    let ok = (1..=8).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if !ok {
        bail!(
            "`{id}` is not a lab id (1-8 lowercase letters and digits, as `havip lab up` prints)"
        );
    }
    Ok(())
}
