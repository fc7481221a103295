//! Who scripts run as, and keepalived's script security: `script_user` (or a script's own
//! `user`), the `keepalived_script` user when it exists, otherwise root; with
//! `enable_script_security`, a script that a non-root user could modify is not run as root.

use nix::unistd::{Gid, Group, Uid, User};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A user and group to run a script as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    /// User name (for messages).
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl RunAs {
    /// Root.
    pub fn root() -> Self {
        RunAs {
            name: "root".into(),
            uid: 0,
            gid: 0,
        }
    }

    /// Resolves `user [group]` words; `None` when the user or group does not exist.
    pub fn lookup(words: &[String]) -> Option<Self> {
        let user = User::from_name(words.first()?).ok()??;
        let gid = match words.get(1) {
            Some(g) => Group::from_name(g).ok()??.gid,
            None => user.gid,
        };
        Some(RunAs {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: gid.as_raw(),
        })
    }

    /// keepalived's default: `script_user` from global_defs, else `keepalived_script` if that
    /// user exists, else root.
    pub fn default_for(global: &conf::model::Global) -> Result<Self, String> {
        if let Some(words) = global.script_user() {
            return RunAs::lookup(words)
                .ok_or_else(|| format!("script_user {}: no such user or group", words.join(" ")));
        }
        Ok(RunAs::lookup(&["keepalived_script".to_string()]).unwrap_or_else(RunAs::root))
    }

    /// Sets the command's user and group, when not ourselves.
    pub fn apply(&self, cmd: &mut tokio::process::Command) {
        if Uid::current().as_raw() != self.uid {
            cmd.uid(self.uid);
        }
        if Gid::current().as_raw() != self.gid {
            cmd.gid(self.gid);
        }
    }
}

/// Kills the process group a script leads (it was started with `process_group(0)`): a shell
/// script's children die with it.
pub fn kill_group(leader: Option<u32>) {
    if let Some(pgid) = leader.and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Why `program` is unsafe to run as `run_as` under `enable_script_security`, if it is: the
/// file or a directory above it can be changed by a user other than root (or `run_as`).
pub fn insecure(program: &Path, run_as: &RunAs) -> Option<String> {
    let mut path = Some(program);
    while let Some(p) = path {
        let Ok(meta) = std::fs::metadata(p) else {
            return Some(format!("{} cannot be read", p.display()));
        };
        let trusted = |uid: u32| uid == 0 || uid == run_as.uid;
        if !trusted(meta.uid()) {
            return Some(format!("{} is owned by uid {}", p.display(), meta.uid()));
        }
        let sticky_dir = meta.is_dir() && meta.mode() & 0o1000 != 0;
        if meta.mode() & 0o002 != 0 && !sticky_dir {
            return Some(format!("{} is writable by everyone", p.display()));
        }
        if meta.mode() & 0o020 != 0 && meta.gid() != 0 && meta.gid() != run_as.gid {
            return Some(format!(
                "{} is writable by group {}",
                p.display(),
                meta.gid()
            ));
        }
        path = p.parent().filter(|q| !q.as_os_str().is_empty());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn world_writable_scripts_are_insecure_and_root_owned_ones_are_not() {
        let dir = std::env::temp_dir().join(format!("havip-sec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let script = dir.join("check.sh");
        std::fs::write(&script, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let me = RunAs {
            name: "me".into(),
            uid: Uid::current().as_raw(),
            gid: Gid::current().as_raw(),
        };
        let why = insecure(&script, &me).expect("world-writable");
        assert!(why.contains("writable by everyone"), "{why}");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // /tmp is sticky, so the path is safe up to the root.
        assert_eq!(insecure(&script, &me), None);
        assert!(insecure(Path::new("/no/such/script"), &me).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unknown_script_user_is_an_error() {
        let mut s = conf::model::Settings::default();
        s.0.insert(
            "script_user".into(),
            conf::model::Setting {
                value: conf::model::Value::Words(vec!["no-such-user-xyz".into()]),
                loc: conf::Location {
                    file: "k.conf".into(),
                    line: 1,
                    col: 1,
                },
                text: "script_user no-such-user-xyz".into(),
            },
        );
        let global = conf::model::Global {
            settings: s,
            ..Default::default()
        };
        assert!(RunAs::default_for(&global).is_err());
        assert_eq!(RunAs::lookup(&["root".into()]).map(|r| r.uid), Some(0));
    }
}
