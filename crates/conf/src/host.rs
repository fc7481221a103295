//! Facts about the machine the config is checked on: keepalived checks them at start-up
//! (interfaces exist, track scripts are executable), so `havip check` does too, unless told
//! the config is for another machine.

use std::os::unix::fs::PermissionsExt;

/// What a script path resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptFile {
    /// Exists and is executable.
    Executable,
    /// Exists, not executable.
    NotExecutable,
    /// Does not exist.
    Missing,
}

/// Host lookups used by validation.
pub trait Host {
    /// Whether a network interface of this name exists.
    fn interface_exists(&self, name: &str) -> bool;
    /// What a script's command resolves to.
    fn script(&self, path: &str) -> ScriptFile;
    /// Whether `user` (and `group`, when given) exist, as scripts are run as them.
    fn user_exists(&self, user: &str, group: Option<&str>) -> bool;
}

/// This machine.
pub struct LocalHost;

impl Host for LocalHost {
    /// Asks the kernel (not `/sys`, which shows the namespace it was mounted in): a havipd
    /// that entered its `net_namespace` sees that namespace's interfaces.
    fn interface_exists(&self, name: &str) -> bool {
        !name.contains('/') && nix::net::if_::if_nametoindex(name).is_ok()
    }

    fn script(&self, path: &str) -> ScriptFile {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => ScriptFile::Executable,
            Ok(_) => ScriptFile::NotExecutable,
            Err(_) => ScriptFile::Missing,
        }
    }

    fn user_exists(&self, user: &str, group: Option<&str>) -> bool {
        use nix::unistd::{Group, User};
        matches!(User::from_name(user), Ok(Some(_)))
            && group.is_none_or(|g| matches!(Group::from_name(g), Ok(Some(_))))
    }
}

/// A host described by lists (tests, and checking a config meant for another machine).
#[derive(Clone, Debug, Default)]
pub struct FakeHost {
    /// Interfaces that exist.
    pub interfaces: Vec<String>,
    /// Executable scripts.
    pub scripts: Vec<String>,
    /// Users and groups that exist besides root.
    pub users: Vec<String>,
}

impl Host for FakeHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.iter().any(|i| i == name)
    }

    fn user_exists(&self, user: &str, group: Option<&str>) -> bool {
        let known = |n: &str| n == "root" || self.users.iter().any(|u| u == n);
        known(user) && group.is_none_or(known)
    }

    fn script(&self, path: &str) -> ScriptFile {
        if self.scripts.iter().any(|s| s == path) {
            ScriptFile::Executable
        } else {
            ScriptFile::Missing
        }
    }
}
