//! One convention for what every command prints and writes: `--format text|json` (`--json`
//! is the same as `--format json`), and files written under a results directory, not into
//! the working directory.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For machines: one JSON document (one per line for streams).
    Json,
}

/// `--format` and its alias `--json`.
#[derive(Args, Clone, Debug)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long, global = true)]
    pub json: bool,
}

impl FormatArgs {
    /// The format asked for.
    pub fn get(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }

    /// Whether it is JSON.
    pub fn is_json(&self) -> bool {
        self.get() == Format::Json
    }
}

/// Where a command's files go.
#[derive(Args, Clone, Debug)]
pub struct ResultsArgs {
    /// Directory for the files a command writes (pictures, CSV, saved scenarios); made if
    /// missing.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "havip-results",
        global = true
    )]
    pub results_dir: PathBuf,
}

impl ResultsArgs {
    /// `name` under the results directory, the directory made first.
    pub fn file(&self, name: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.results_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot make the results directory {}: {e}",
                self.results_dir.display()
            )
        })?;
        Ok(self.results_dir.join(name))
    }
}
