//! Who scripts run as, and keepalived's script security: `script_user` (or a script's own
//! `user`), the `keepalived_script` user when it exists, otherwise root; with
//! `enable_script_security`, a script that a non-root user could modify is not run as root.

use conf::model::RunUser;
use nix::unistd::{Gid, Group, Uid, User};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Variables of havipd's environment a script does not get. keepalived's VRRP process clears
/// `NOTIFY_SOCKET` (`systemd_unset_notify`) and keepalived 2.4.3 removes `IFS`, `LD_PRELOAD`
/// and `LD_LIBRARY_PATH` before it runs a script; it never has `WATCHDOG_*` (no watchdog).
/// havipd's worker has all of these: with them, a script could speak to systemd as havipd.
pub const NOT_FOR_SCRIPTS: [&str; 6] = [
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "IFS",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
];

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

    /// Resolves `user [group]`, or says that one of them does not exist.
    pub fn named(who: &RunUser) -> Result<Self, String> {
        Self::lookup(who).ok_or_else(|| format!("user {who}: no such user or group"))
    }

    /// Resolves `user [group]`; `None` when the user or group does not exist.
    pub fn lookup(who: &RunUser) -> Option<Self> {
        let user = User::from_name(&who.user).ok()??;
        let gid = match &who.group {
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
        if let Some(who) = global.script_user() {
            return RunAs::lookup(&who)
                .ok_or_else(|| format!("script_user {who}: no such user or group"));
        }
        let keepalived_script = RunUser {
            user: "keepalived_script".into(),
            group: None,
        };
        Ok(RunAs::lookup(&keepalived_script).unwrap_or_else(RunAs::root))
    }

    /// Sets the command's user and group, when not ourselves, and the environment keepalived
    /// gives its scripts: its own, less [`NOT_FOR_SCRIPTS`].
    pub fn apply(&self, cmd: &mut tokio::process::Command) {
        for name in NOT_FOR_SCRIPTS {
            cmd.env_remove(name);
        }
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

/// Why `program` is unsafe to run as `run_as` under `enable_script_security`, if it is. The
/// path it resolves to (links followed, `realpath`) must be safe, as keepalived 2.2.7's
/// `check_script_secure` checks it, so a link from a safe directory into one a user can write
/// is not; and, since the script is run by the path as written, each directory on that path
/// too (see [`unsafe_part`]). keepalived 2.4.3 also refuses any link on the written path,
/// `/bin` of a merged-/usr system included; 2.2.7, and havip, do not.
pub fn insecure(program: &Path, run_as: &RunAs) -> Option<String> {
    let real = match std::fs::canonicalize(program) {
        Ok(p) => p,
        Err(e) => return Some(format!("{} cannot be read: {e}", program.display())),
    };
    unsafe_part(program, run_as, true).or_else(|| {
        (real != program)
            .then(|| unsafe_part(&real, run_as, false))
            .flatten()
            .map(|why| format!("{why} (where {} leads)", program.display()))
    })
}

/// The first part of `path` a user other than root (or `run_as`) could change, keepalived's
/// `check_security`: every part but the last a directory, the last a file (links followed
/// when `follow`); owned by root (or `run_as`); a file, or a directory without the sticky bit,
/// writable by neither everyone nor a group other than root's (or `run_as`'s).
fn unsafe_part(path: &Path, run_as: &RunAs, follow: bool) -> Option<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    for (i, p) in absolute.ancestors().enumerate() {
        let meta = if follow {
            std::fs::metadata(p)
        } else {
            std::fs::symlink_metadata(p)
        };
        let Ok(meta) = meta else {
            return Some(format!("{} cannot be read", p.display()));
        };
        let (last, kind) = (i == 0, meta.file_type());
        if (last && !kind.is_file()) || (!last && !kind.is_dir()) {
            let what = if last { "file" } else { "directory" };
            return Some(format!("{} is not a {what}", p.display()));
        }
        let trusted = |uid: u32| uid == 0 || uid == run_as.uid;
        if !trusted(meta.uid()) {
            return Some(format!("{} is owned by uid {}", p.display(), meta.uid()));
        }
        let guarded = kind.is_file() || meta.mode() & 0o1000 == 0;
        if guarded && meta.mode() & 0o002 != 0 {
            return Some(format!("{} is writable by everyone", p.display()));
        }
        if guarded && meta.mode() & 0o020 != 0 && meta.gid() != 0 && meta.gid() != run_as.gid {
            return Some(format!(
                "{} is writable by group {}",
                p.display(),
                meta.gid()
            ));
        }
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
    fn a_link_into_a_user_writable_directory_is_insecure() {
        let dir = std::env::temp_dir().join(format!("havip-link-{}", std::process::id()));
        let safe = dir.join("safe");
        let open = dir.join("open");
        for d in [&safe, &open] {
            std::fs::create_dir_all(d).expect("dir");
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // A directory anyone can write to, without the sticky bit: its files can be replaced.
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let target = open.join("check.sh");
        std::fs::write(&target, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let link = safe.join("check.sh");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).expect("link");
        let root = RunAs::root();
        let why = insecure(&link, &root).expect("a link into a world-writable directory");
        assert!(
            why.contains("writable by everyone") && why.contains("leads"),
            "{why}"
        );
        // The same script in a safe directory, reached through a link there, is safe, as are
        // the system's (/bin is a link on a merged-/usr system).
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(insecure(&link, &root), None);
        assert_eq!(insecure(Path::new("/bin/true"), &root), None);
        // A safe script reached through a directory a user can write: the link can be swapped.
        std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let why = insecure(&link, &root).expect("a link in a world-writable directory");
        assert!(why.contains("safe is writable by everyone"), "{why}");
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
        let root = RunUser {
            user: "root".into(),
            group: None,
        };
        assert_eq!(RunAs::lookup(&root).map(|r| r.uid), Some(0));
        let nobody = RunUser {
            user: "no-such-user-xyz".into(),
            group: None,
        };
        let why = RunAs::named(&nobody).expect_err("no such user");
        assert_eq!(why, "user no-such-user-xyz: no such user or group");
    }
}
