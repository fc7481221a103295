//! Where this havipd runs and keeps its files: its state directory (the control socket, the
//! state files, the relay socket and `havipd.pid`), its pid files and its network namespace.
//! Without `--state-dir` the directory follows from what keepalived derives its pid files from
//! (`ctl::placement`), so havipds started as keepalived is started, once per namespace or
//! instance, run side by side, and two that keepalived would refuse are refused.

use anyhow::{Result, bail};
use ctl::placement::Keys;
use std::path::{Path, PathBuf};
use tracing::warn;

/// The places of one havipd.
#[derive(Clone, Debug)]
pub struct Placement {
    /// The state directory.
    pub state_dir: PathBuf,
    /// `-p`: the supervisor's pid file.
    pub pid_file: Option<PathBuf>,
    /// `-r`: the worker's pid file.
    pub vrrp_pid_file: Option<PathBuf>,
    /// What the state directory was derived from (its namespace is the one the worker enters).
    pub keys: Keys,
    /// `-s`: the namespace given on the command line, which overrides the config's.
    pub namespace_override: Option<String>,
}

/// What the command line says about placement.
pub struct Flags<'a> {
    /// `-f`.
    pub file: &'a Path,
    /// `-i`.
    pub config_id: Option<String>,
    /// `--state-dir`.
    pub state_dir: Option<&'a Path>,
    /// `-p`.
    pub pid_file: Option<&'a Path>,
    /// `-r`.
    pub vrrp_pid_file: Option<&'a Path>,
    /// `-s`.
    pub namespace: Option<&'a str>,
}

/// The config's top-level `net_namespace` and `instance`, the two a reload may not change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// `net_namespace`, or `-s`, which overrides it.
    pub namespace: Option<String>,
    /// `instance`.
    pub instance: Option<String>,
}

impl Names {
    /// The names `cfg` sets, `-s` overriding its namespace.
    pub fn of(cfg: &conf::model::Config, namespace_override: Option<&str>) -> Names {
        Names {
            namespace: namespace_override
                .or(cfg.global.net_namespace())
                .map(String::from),
            instance: cfg.global.instance_name().map(String::from),
        }
    }
}

impl Placement {
    /// Resolves the places from the command line and the config's top-level settings (read
    /// without host checks: the namespace is not entered yet).
    pub fn resolve(flags: &Flags<'_>) -> Result<Placement> {
        let report = conf::check(
            &conf::reader::Disk,
            flags.file,
            None,
            &conf::Options {
                config_id: flags.config_id.clone(),
                cloud: false,
            },
        );
        let names = Names::of(&report.config, flags.namespace);
        if let (Some(cli), Some(file)) = (flags.namespace, report.config.global.net_namespace()) {
            warn!("the command line's namespace `{cli}` overrides net_namespace `{file}`");
        }
        let keys = Keys {
            pid_file: flags.pid_file.map(Path::to_path_buf),
            namespace: names.namespace,
            instance: names.instance,
            use_pid_dir: report.config.global.use_pid_dir(),
        };
        if let Err(e) = keys.validate() {
            bail!("{}: {e}", flags.file.display());
        }
        for (what, file) in [
            ("pid file", flags.pid_file),
            ("VRRP pid file", flags.vrrp_pid_file),
        ] {
            let Some(file) = file else { continue };
            let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
            if dir.is_some_and(|d| !d.is_dir()) {
                bail!(
                    "{what} {}: its directory does not exist (keepalived cannot create it either)",
                    file.display()
                );
            }
        }
        let state_dir = match flags.state_dir {
            Some(d) => d.to_path_buf(),
            None => keys.state_dir(),
        };
        if let Err(e) = ctl::placement::socket_in(&state_dir) {
            bail!("{e}");
        }
        // The supervisor keeps nothing of the parse; its pages would be the worker's too.
        drop(report);
        crate::sys::release_free_heap();
        Ok(Placement {
            state_dir,
            pid_file: flags.pid_file.map(Path::to_path_buf),
            vrrp_pid_file: flags.vrrp_pid_file.map(Path::to_path_buf),
            keys,
            namespace_override: flags.namespace.map(String::from),
        })
    }

    /// The names the running configuration was started with.
    pub fn names(&self) -> Names {
        Names {
            namespace: self.keys.namespace.clone(),
            instance: self.keys.instance.clone(),
        }
    }
}

/// For `-t`: enters the network namespace `-s` or the config names, so that its interfaces are
/// checked where they will be, as `keepalived -t` does. One that cannot be entered is logged
/// and the check runs where havipd is.
pub fn enter_namespace_to_check(file: &Path, config_id: Option<String>, namespace: Option<&str>) {
    let report = conf::check(
        &conf::reader::Disk,
        file,
        None,
        &conf::Options {
            config_id,
            cloud: false,
        },
    );
    let keys = Keys {
        namespace: Names::of(&report.config, namespace).namespace,
        ..Keys::default()
    };
    if let Err(e) = keys.validate() {
        warn!("{}: {e}", file.display());
        return;
    }
    let Some(ns) = keys.namespace_file() else {
        return;
    };
    if let Err(e) = crate::sys::enter_net_namespace_file(&ns) {
        warn!(
            "cannot enter the network namespace {}: {e}; checking the interfaces here",
            ns.display()
        );
    }
}

/// Why a reload to `new` names cannot be applied, if it cannot (keepalived refuses the same).
pub fn reload_refusal(running: &Names, new: &Names) -> Option<String> {
    let mut why = Vec::new();
    if running.namespace != new.namespace {
        why.push(format!(
            "net_namespace would change from {} to {}",
            shown(&running.namespace),
            shown(&new.namespace)
        ));
    }
    if running.instance != new.instance {
        why.push(format!(
            "instance would change from {} to {}",
            shown(&running.instance),
            shown(&new.instance)
        ));
    }
    (!why.is_empty()).then(|| {
        format!(
            "{}: keepalived cannot change them at a reload either; restart havipd",
            why.join(", ")
        )
    })
}

fn shown(name: &Option<String>) -> String {
    name.as_ref()
        .map_or_else(|| "none".to_string(), |n| format!("`{n}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ns: Option<&str>, inst: Option<&str>) -> Names {
        Names {
            namespace: ns.map(String::from),
            instance: inst.map(String::from),
        }
    }

    #[test]
    fn a_reload_keeps_the_namespace_and_instance() {
        let running = names(Some("blue"), Some("one"));
        assert_eq!(reload_refusal(&running, &running.clone()), None);
        let why = reload_refusal(&running, &names(None, Some("two"))).expect("refused");
        assert!(
            why.contains("net_namespace would change from `blue` to none"),
            "{why}"
        );
        assert!(
            why.contains("instance would change from `one` to `two`"),
            "{why}"
        );
    }

    #[test]
    fn the_command_lines_namespace_overrides_the_configs() {
        let r = conf::check_text(
            "net_namespace blue\ninstance one\nvrrp_instance V {\n interface eth0\n virtual_router_id 1\n}\n",
            &conf::Options::default(),
        );
        assert_eq!(Names::of(&r.config, None), names(Some("blue"), Some("one")));
        assert_eq!(
            Names::of(&r.config, Some("red")),
            names(Some("red"), Some("one"))
        );
    }
}
