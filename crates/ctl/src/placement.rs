//! Where a havipd keeps its state directory (and so its control socket) when it is started
//! without `--state-dir`: derived from what keepalived derives its pid files from, so that two
//! invocations keepalived runs side by side get two directories and two it refuses (the same
//! main pid file) get one. The daemon and `havip status` both call [`Keys::state_dir`].
//!
//! keepalived's main pid file is `-p FILE`; without it, `/run/keepalived.pid`, or, once
//! `use_pid_dir`, `net_namespace` or `instance` is set, `/run/keepalived/keepalived[_INSTANCE].pid`.
//! With a namespace keepalived bind-mounts `/run/keepalived/NAMESPACE` on `/run/keepalived`
//! in a mount namespace of its own, so outside it that file is
//! `/run/keepalived/NAMESPACE/keepalived[_INSTANCE].pid` (`namespaces.c`, `main.c`).
//! havipd's state directory is that path followed by `.havip`, except for keepalived's default
//! pid file, which keeps `/run/havip`.

use std::path::{Component, Path, PathBuf};

/// The state directory of a havipd started the default way.
pub const DEFAULT_STATE_DIR: &str = "/run/havip";
/// keepalived's main pid file when nothing sets another.
pub const KEEPALIVED_DEFAULT_PID_FILE: &str = "/run/keepalived.pid";
/// keepalived's pid directory (`use_pid_dir`, `net_namespace`, `instance`).
pub const KEEPALIVED_PID_DIR: &str = "/run/keepalived";
/// Where named network namespaces are (`ip netns`, keepalived's `net_namespace`).
pub const NETNS_DIR: &str = "/run/netns";
/// The longest path a Unix socket can be bound to (`sun_path` less its NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// What keepalived keys its pid files on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    /// `-p FILE`.
    pub pid_file: Option<PathBuf>,
    /// `-s NAME`, else the config's top-level `net_namespace NAME`.
    pub namespace: Option<String>,
    /// The config's top-level `instance NAME`.
    pub instance: Option<String>,
    /// The config's top-level `use_pid_dir`.
    pub use_pid_dir: bool,
}

impl Keys {
    /// Refuses names keepalived would turn into a path elsewhere than its pid directory.
    pub fn validate(&self) -> Result<(), String> {
        for (what, name) in [
            ("net_namespace", &self.namespace),
            ("instance", &self.instance),
        ] {
            if let Some(n) = name.as_deref().filter(|n| !is_file_name(n)) {
                return Err(format!(
                    "{what} `{n}` cannot name a file: it must be a non-empty name without `/`"
                ));
            }
        }
        Ok(())
    }

    /// keepalived's main pid file, absolute, as seen outside its mount namespace.
    pub fn keepalived_pid_file(&self) -> PathBuf {
        let uses_pid_dir = self.use_pid_dir || self.namespace.is_some() || self.instance.is_some();
        let written = match (&self.pid_file, uses_pid_dir) {
            (Some(p), _) => absolute(p),
            (None, false) => PathBuf::from(KEEPALIVED_DEFAULT_PID_FILE),
            (None, true) => {
                let name = match &self.instance {
                    Some(i) => format!("keepalived_{i}.pid"),
                    None => "keepalived.pid".to_string(),
                };
                Path::new(KEEPALIVED_PID_DIR).join(name)
            }
        };
        match (&self.namespace, written.strip_prefix(KEEPALIVED_PID_DIR)) {
            (Some(ns), Ok(rest)) if !rest.as_os_str().is_empty() => {
                Path::new(KEEPALIVED_PID_DIR).join(ns).join(rest)
            }
            _ => written,
        }
    }

    /// havipd's state directory: `/run/havip` for keepalived's default pid file, else that pid
    /// file's path followed by `.havip`.
    pub fn state_dir(&self) -> PathBuf {
        let pid = self.keepalived_pid_file();
        if pid == Path::new(KEEPALIVED_DEFAULT_PID_FILE) {
            return PathBuf::from(DEFAULT_STATE_DIR);
        }
        let mut dir = pid.into_os_string();
        dir.push(".havip");
        PathBuf::from(dir)
    }

    /// The named network namespace's file, if one is set.
    pub fn namespace_file(&self) -> Option<PathBuf> {
        self.namespace
            .as_ref()
            .map(|n| Path::new(NETNS_DIR).join(n))
    }
}

/// Whether `n` can be one path component.
fn is_file_name(n: &str) -> bool {
    !(n.is_empty() || n == "." || n == ".." || n.contains('/') || n.contains('\0'))
}

/// The control socket in `state_dir`, or why it cannot be bound there.
pub fn socket_in(state_dir: &Path) -> Result<PathBuf, String> {
    let path = state_dir.join(crate::SOCKET_NAME);
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(format!(
            "the control socket {} would be {len} bytes long, more than a Unix socket's {MAX_SOCKET_PATH}: give a shorter pid file path or --state-dir",
            path.display()
        ));
    }
    Ok(path)
}

/// `p` made absolute against the working directory, `.` and `..` resolved by name (as the
/// kernel resolves them when keepalived opens the file, symlinks aside).
fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(p)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pid: Option<&str>, ns: Option<&str>, inst: Option<&str>) -> Keys {
        Keys {
            pid_file: pid.map(PathBuf::from),
            namespace: ns.map(String::from),
            instance: inst.map(String::from),
            use_pid_dir: false,
        }
    }

    #[test]
    fn keepalived_pid_files_as_its_main_c_names_them() {
        let cases = [
            (keys(None, None, None), "/run/keepalived.pid"),
            (
                keys(None, Some("blue"), None),
                "/run/keepalived/blue/keepalived.pid",
            ),
            (
                keys(None, None, Some("one")),
                "/run/keepalived/keepalived_one.pid",
            ),
            (
                keys(None, Some("blue"), Some("one")),
                "/run/keepalived/blue/keepalived_one.pid",
            ),
            (
                keys(Some("/var/lib/x/k.pid"), Some("blue"), Some("one")),
                "/var/lib/x/k.pid",
            ),
            (
                keys(Some("/run/keepalived/k.pid"), Some("blue"), None),
                "/run/keepalived/blue/k.pid",
            ),
        ];
        for (k, want) in cases {
            assert_eq!(k.keepalived_pid_file(), Path::new(want), "{k:?}");
        }
        let pid_dir = Keys {
            use_pid_dir: true,
            ..Keys::default()
        };
        assert_eq!(
            pid_dir.keepalived_pid_file(),
            Path::new("/run/keepalived/keepalived.pid")
        );
    }

    #[test]
    fn the_default_keeps_run_havip_and_the_rest_sits_beside_the_pid_file() {
        assert_eq!(Keys::default().state_dir(), Path::new("/run/havip"));
        assert_eq!(
            keys(Some("/run/keepalived.pid"), None, None).state_dir(),
            Path::new("/run/havip")
        );
        assert_eq!(
            keys(None, Some("blue"), Some("one")).state_dir(),
            Path::new("/run/keepalived/blue/keepalived_one.pid.havip")
        );
        assert_eq!(
            keys(
                Some("/var/lib/neutron/ha_confs/r1/keepalived.pid"),
                None,
                None
            )
            .state_dir(),
            Path::new("/var/lib/neutron/ha_confs/r1/keepalived.pid.havip")
        );
    }

    #[test]
    fn relative_pid_files_are_taken_from_the_working_directory() {
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(
            keys(Some("a/../k.pid"), None, None).keepalived_pid_file(),
            cwd.join("k.pid")
        );
    }

    #[test]
    fn names_that_are_not_file_names_are_refused() {
        assert!(keys(None, Some("a/b"), None).validate().is_err());
        assert!(keys(None, None, Some("..")).validate().is_err());
        assert!(keys(None, Some("qrouter-1"), Some("x")).validate().is_ok());
    }

    #[test]
    fn over_long_socket_paths_are_refused() {
        let long = PathBuf::from(format!("/{}", "d".repeat(100)));
        assert!(
            socket_in(&long)
                .expect_err("too long")
                .contains("more than")
        );
        assert!(socket_in(Path::new("/run/havip")).is_ok());
    }
}
