//! The state directory: one `<instance>.state` file holding the current state (what the seeds'
//! notify_action.sh wrote by hand) and `transitions.jsonl`, one JSON object per transition.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes state files under a directory.
pub struct StateFiles {
    dir: PathBuf,
}

impl StateFiles {
    /// Creates the directory if needed.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(StateFiles {
            dir: dir.to_path_buf(),
        })
    }

    /// Writes `name` in the directory as pretty JSON, atomically (write, then rename).
    pub fn write_json(&self, name: &str, value: &impl Serialize) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, self.dir.join(name))
    }

    /// Records a transition: `<instance>.state` and a line of `transitions.jsonl`.
    pub fn transition(&self, record: &ctl::EventRecord) -> std::io::Result<()> {
        std::fs::write(
            self.dir.join(format!("{}.state", record.instance)),
            format!("{}\n", record.to),
        )?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("transitions.jsonl"))?;
        writeln!(
            f,
            "{}",
            serde_json::to_string(record).map_err(std::io::Error::other)?
        )
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Now, as Unix seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
