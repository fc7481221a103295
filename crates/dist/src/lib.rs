//! What the Debian package carries besides the binaries, generated from the command-line
//! definitions of `havip` and `havipd`: man pages ([`manuals`]) and shell completions
//! ([`completions`]); and havipd.conf(5) from the keyword table ([`conf_manual`]). `scripts/build-deb.sh` runs the `havip-dist` binary, then cargo-deb.

pub mod completions;
pub mod conf_manual;
pub mod exit_codes;
pub mod manuals;
mod sections;

use std::path::{Path, PathBuf};

/// Writes the man pages under `dir/man` and the completions under `dir/completions`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = manuals::write(&dir.join("man"))?;
    written.extend(completions::write(&dir.join("completions"))?);
    Ok(written)
}
