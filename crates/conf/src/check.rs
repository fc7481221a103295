//! The whole check: read, parse, build, validate, advise.

use crate::build::build;
use crate::diag::{Diagnostic, Severity};
use crate::effective::{Effective, resolve};
use crate::host::Host;
use crate::model::Config;
use crate::reader::{Files, Reader};
use crate::tree::parse;
use std::path::Path;

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// keepalived's config id (`-i`), selecting `@id` lines.
    pub config_id: Option<String>,
    /// Add the seeds' cloud (HAVIP) advice.
    pub cloud: bool,
}

/// The result of a check.
#[derive(Clone, Debug)]
pub struct Report {
    /// The model (as far as it could be built).
    pub config: Config,
    /// Diagnostics, sorted by location.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the top file was read at all.
    pub read: bool,
}

pub use crate::codes::FATAL;

impl Report {
    /// Whether havipd starts with this config: it was read, no error is in [`FATAL`], and
    /// every instance has a `virtual_router_id` (keepalived stops on one without).
    pub fn runnable(&self) -> bool {
        self.read
            && !self
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error && FATAL.contains(&d.code))
            && !self.config.instances.is_empty()
            && self.config.instances.iter().all(|i| i.vrid().is_some())
    }

    /// keepalived 2.2.7's `keepalived -t` exit code for this config: 0 nothing to report,
    /// 4 cannot run, 5 configuration errors, 6 scripts without script security. See
    /// [`crate::verdict`] for how each diagnostic counts.
    pub fn config_test_code(&self) -> u8 {
        crate::verdict::config_test_code(&self.config, &self.diagnostics)
    }

    /// 0 clean, 1 warnings only, 2 errors (`havip check`'s exit status).
    pub fn exit_code(&self) -> i32 {
        if !self.read
            || self
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
        {
            2
        } else if self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
        {
            1
        } else {
            0
        }
    }

    /// Resolved instances (those that can run).
    pub fn effective(&self) -> Vec<Result<Effective, String>> {
        self.config
            .instances
            .iter()
            .map(|i| resolve(&self.config, i, None))
            .collect()
    }
}

/// Checks `path` read through `files`; `host` enables the checks that depend on the machine.
/// Checks a config given as text (named `keepalived.conf`; no includes, no host checks).
pub fn check_text(text: &str, opts: &Options) -> Report {
    let files = crate::reader::MemoryFiles(
        [(
            std::path::PathBuf::from("keepalived.conf"),
            text.as_bytes().to_vec(),
        )]
        .into_iter()
        .collect(),
    );
    check(&files, Path::new("keepalived.conf"), None, opts)
}

/// Checks the config at `path`, read through `files`.
pub fn check(files: &dyn Files, path: &Path, host: Option<&dyn Host>, opts: &Options) -> Report {
    let mut reader = Reader::new(files, opts.config_id.clone());
    let read = reader.read_top(path);
    let (lines, diags) = reader.finish();
    let mut diags = diags.0;
    let nodes = parse(&lines, &mut diags);
    let mut config = build(&nodes, &mut diags);
    if read {
        crate::corrections::apply(&mut config, &mut diags);
        if config.instances.is_empty() {
            let loc = crate::diag::Location {
                file: path.display().to_string().into(),
                line: 1,
                col: 1,
            };
            diags.push(
                crate::diag::Diagnostic::new(
                    crate::diag::Severity::Error,
                    "no-vrrp-instance",
                    loc,
                    "",
                    "no vrrp_instance: havipd has nothing to run (keepalived's VRRP side exits)",
                )
                .hint(
                    "havip runs keepalived's VRRP side; load balancing needs keepalived's checker",
                ),
            );
        }
        crate::validate::validate(&config, host, &mut diags);
        crate::keepalived_227::check(&config, &mut diags);
        crate::mail::check(&config, &mut diags);
        if opts.cloud {
            crate::advice::advise(&config, &mut diags);
        }
    }
    let diagnostics = crate::diag::Diagnostics(diags).sorted();
    Report {
        config,
        diagnostics,
        read,
    }
}
