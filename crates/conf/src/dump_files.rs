//! Where keepalived-compatible dumps go: `state_dump_file` (SIGUSR1, keepalived.data),
//! `stats_dump_file` (SIGUSR2, keepalived.stats) and `json_dump_file` (keepalived.json), each
//! in the temporary directory unless given as an absolute path (a trailing `/` names a
//! directory, which gets the default file name).

use crate::model::Config;
use std::path::{Path, PathBuf};

/// The three dump files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpFiles {
    /// keepalived.data.
    pub data: PathBuf,
    /// keepalived.stats.
    pub stats: PathBuf,
    /// keepalived.json.
    pub json: PathBuf,
}

fn place(given: Option<&str>, default: &str, tmp_dir: &Path) -> PathBuf {
    match given {
        Some(p) if p.ends_with('/') => Path::new(p).join(default),
        Some(p) if p.starts_with('/') => PathBuf::from(p),
        Some(p) => tmp_dir.join(p),
        None => tmp_dir.join(default),
    }
}

/// Resolves the dump files of `cfg`, relative ones under `tmp_dir` (keepalived: `$TMPDIR`, else
/// `/tmp`).
pub fn dump_files(cfg: &Config, tmp_dir: &Path) -> DumpFiles {
    let g = &cfg.global.settings;
    DumpFiles {
        data: place(g.str("state_dump_file"), "keepalived.data", tmp_dir),
        stats: place(g.str("stats_dump_file"), "keepalived.stats", tmp_dir),
        json: place(g.str("json_dump_file"), "keepalived.json", tmp_dir),
    }
}

/// keepalived's temporary directory: `$TMPDIR` if set and not empty, else `/tmp`.
pub fn tmp_dir() -> PathBuf {
    std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_relative_absolute_and_directories() {
        let text = "global_defs {\n state_dump_file /var/run/ka/\n stats_dump_file my.stats\n}\n";
        let report = crate::check_text(text, &crate::Options::default());
        let d = dump_files(&report.config, Path::new("/tmp/x"));
        assert_eq!(d.data, PathBuf::from("/var/run/ka/keepalived.data"));
        assert_eq!(d.stats, PathBuf::from("/tmp/x/my.stats"));
        assert_eq!(d.json, PathBuf::from("/tmp/x/keepalived.json"));
    }
}
