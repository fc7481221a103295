//! Running commands, in the host or in a namespace, with errors that say what failed.

use anyhow::{Result, bail};
use std::process::Command;

/// Runs `sh -c cmd`; fails with its stderr.
pub fn sh(cmd: &str) -> Result<String> {
    let out = Command::new("sh").arg("-c").arg(cmd).output()?;
    if !out.status.success() {
        bail!(
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `sh -c cmd` inside namespace `ns`.
pub fn sh_in(ns: &str, cmd: &str) -> Result<String> {
    sh(&format!(
        "ip netns exec {ns} sh -c '{}'",
        cmd.replace('\'', "'\\''")
    ))
}
