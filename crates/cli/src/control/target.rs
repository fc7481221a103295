//! Which havipd a verb talks to: its `--state-dir`, or the options it was started with
//! (`-f`, `-p`, `-s`, `--instance`), from which its state directory follows as havipd derives
//! it (`ctl::placement`).

use crate::output::{Format, FormatArgs};
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// Where the daemon is and how to print.
#[derive(ClapArgs, Debug)]
pub struct Target {
    /// havipd's state directory (its `--state-dir`): the control socket is there. Without it,
    /// the directory follows from the options below, as havipd derives it.
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// The configuration file havipd was started with (`-f`): its top-level `net_namespace`,
    /// `instance` and `use_pid_dir` name the daemon. Default: /etc/keepalived/keepalived.conf,
    /// if it exists.
    #[arg(short = 'f', long = "use-file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The pid file havipd was started with (`-p`).
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// The namespace havipd was started with (`-s`), or its config's `net_namespace`.
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// Its config's top-level `instance` (keepalived's instance name, not a vrrp_instance).
    #[arg(long = "instance", id = "keepalived_instance", value_name = "NAME")]
    pub keepalived_instance: Option<String>,
    /// The config id havipd was started with (`-i`), selecting `@id` lines of the file.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}

impl Target {
    /// The output format.
    pub fn format(&self) -> Format {
        self.output.get()
    }

    /// The daemon's control socket, or why it cannot be told.
    pub fn socket(&self) -> Result<PathBuf, String> {
        let dir = match &self.state_dir {
            Some(d) => d.clone(),
            None => self.keys()?.state_dir(),
        };
        ctl::placement::socket_in(&dir)
    }

    /// The keys havipd derived its state directory from.
    fn keys(&self) -> Result<ctl::placement::Keys, String> {
        let mut keys = ctl::placement::Keys {
            pid_file: self.pid_file.clone(),
            ..Default::default()
        };
        if let Some(global) = self.config_globals()? {
            keys.namespace = global.net_namespace().map(String::from);
            keys.instance = global.instance_name().map(String::from);
            keys.use_pid_dir = global.use_pid_dir();
        }
        keys.namespace = self.namespace.clone().or(keys.namespace);
        keys.instance = self.keepalived_instance.clone().or(keys.instance);
        keys.validate()?;
        Ok(keys)
    }

    /// The config's global settings; none when no file is given and the default is absent.
    fn config_globals(&self) -> Result<Option<conf::model::Global>, String> {
        let file = match &self.file {
            Some(f) => f.clone(),
            None if Path::new(conf::DEFAULT_CONFIG).exists() => PathBuf::from(conf::DEFAULT_CONFIG),
            None => return Ok(None),
        };
        let report = conf::check(
            &conf::reader::Disk,
            &file,
            None,
            &conf::Options {
                config_id: self.config_id.clone(),
                cloud: false,
            },
        );
        if let Some(d) = report
            .diagnostics
            .iter()
            .find(|d| d.code == "file-unreadable")
        {
            return Err(d.to_string());
        }
        Ok(Some(report.config.global))
    }
}
