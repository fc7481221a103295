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

#[derive(Serialize)]
struct TransitionLine<'a> {
    time: f64,
    instance: &'a str,
    from: String,
    to: String,
    reason: String,
    priority: u8,
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

    /// Records a transition.
    pub fn transition(
        &self,
        instance: &str,
        from: vrrp::State,
        to: vrrp::State,
        reason: &vrrp::Reason,
        priority: u8,
    ) -> std::io::Result<()> {
        std::fs::write(
            self.dir.join(format!("{instance}.state")),
            format!("{to}\n"),
        )?;
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let line = TransitionLine {
            time,
            instance,
            from: from.to_string(),
            to: to.to_string(),
            reason: reason.to_string(),
            priority,
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("transitions.jsonl"))?;
        writeln!(
            f,
            "{}",
            serde_json::to_string(&line).map_err(std::io::Error::other)?
        )
    }
}
