//! Man pages from the command-line definitions: havip(1) with a page per subcommand
//! (`havip-lab(1)`, `havip-lab-drill(1)`, ...) and havipd(8).

use crate::sections::{self, Section};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The page of `cmd` in `section`, followed by `extra` sections.
pub fn page(cmd: clap::Command, section: &str, extra: &[Section]) -> std::io::Result<Vec<u8>> {
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_version = cmd.get_version().is_some();
    let man = Man::new(cmd)
        .section(section)
        .source(format!("havip {}", env!("CARGO_PKG_VERSION")))
        .manual(if section == "8" {
            "System Administration"
        } else {
            "User Commands"
        });
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if has_args {
        man.render_options_section(&mut out)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    render_sections(extra).to_writer(&mut out)?;
    if has_version {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

fn render_sections(extra: &[Section]) -> Roff {
    let mut roff = Roff::default();
    for s in extra {
        roff.control("SH", [s.heading]);
        if !s.intro.is_empty() {
            roff.text([roman(s.intro)]);
        }
        for (term, text) in s.entries {
            roff.control("TP", []);
            roff.text([roman(*term)]);
            roff.text([roman(*text)]);
        }
    }
    roff
}

/// Every page of `cmd` and its subcommands, as (file name, contents).
pub fn pages(
    cmd: clap::Command,
    section: &str,
    extra: &[Section],
) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    collect(cmd, section, extra, &mut out)?;
    Ok(out)
}

fn collect(
    cmd: clap::Command,
    section: &str,
    extra: &[Section],
    out: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub.clone(), section, &[], out)?;
    }
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    out.push((format!("{name}.{section}"), page(cmd, section, extra)?));
    Ok(())
}

/// `text` compressed as Debian wants man pages: `gzip -9n` (best compression, no name, no
/// time stamp), so that two builds give the same bytes.
pub fn gzip(text: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(text)?;
    gz.finish()
}

/// Writes havip(1), its subcommands' pages, havipd(8) and havipd.conf(5) under `dir`, gzipped (`NAME.1.gz`).
pub fn write(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut all = pages(cli::command(), "1", sections::HAVIP)?;
    all.extend(pages(daemon_cli::command(), "8", sections::HAVIPD)?);
    all.push((
        crate::conf_manual::NAME.to_string(),
        crate::conf_manual::page(),
    ));
    let mut written = Vec::new();
    for (name, text) in all {
        let path = dir.join(format!("{name}.gz"));
        std::fs::write(&path, gzip(&text)?)?;
        written.push(path);
    }
    Ok(written)
}
