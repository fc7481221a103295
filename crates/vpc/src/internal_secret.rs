//! The secret the data plane shows on `/internal/*` (`Authorization: Bearer SECRET`): read
//! from a file only root (the file's owner) may read, or created there at the server's first
//! start.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The shortest secret accepted, in characters.
pub const MIN_LEN: usize = 32;

/// Reads the secret in `path`; refuses a file others may read, or a short secret.
pub fn read(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{}: the internal secret is readable by others (mode {:o}); chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let secret = text.trim().to_string();
    if secret.len() < MIN_LEN || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!(
            "{}: the internal secret must be one word of at least {MIN_LEN} characters",
            path.display()
        );
    }
    Ok(secret)
}

/// Reads the secret in `path`, creating the file (mode 600) with a random one if it is missing.
pub fn read_or_create(path: &Path) -> Result<String> {
    let secret = crate::session::random_token();
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(format!("{secret}\n").as_bytes())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// Whether an `Authorization` header carries `secret`.
pub fn authorizes(header: Option<&str>, secret: &str) -> bool {
    header
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|given| crate::session::same_secret(given.trim(), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_then_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("secret");
        let first = read_or_create(&path).expect("create");
        assert_eq!(first.len(), 64);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_or_create(&path).expect("read"), first);
        assert!(authorizes(Some(&format!("Bearer {first}")), &first));
        assert!(!authorizes(Some(&format!("Bearer {first}x")), &first));
        assert!(!authorizes(Some(&first), &first));
        assert!(!authorizes(None, &first));
    }

    #[test]
    fn a_file_others_may_read_or_a_short_secret_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "x".repeat(40)).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = read(&path).expect_err("world-readable");
        assert!(format!("{e:#}").contains("chmod 600"), "{e:#}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(read(&path).is_ok());
        std::fs::write(&path, "short").expect("write");
        let e = read(&path).expect_err("short");
        assert!(format!("{e:#}").contains("at least 32"), "{e:#}");
    }
}
