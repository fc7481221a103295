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

/// Why the lab cannot run here, if it cannot: not root, or a tool missing.
pub fn cannot_run(tools: &[&str]) -> Option<String> {
    if !nix_is_root() {
        return Some("not root (network namespaces need it)".into());
    }
    for tool in ["ip", "ping"].iter().chain(tools) {
        if sh(&format!("command -v {tool}")).is_err() {
            return Some(format!("{tool} is not installed"));
        }
    }
    None
}

/// For tests: why `what` cannot run here (printed as a skip), or `None` when it can. Under
/// `HAVIP_REQUIRE_ALL=1` (CI as root, where everything is installed) a reason is a failure.
pub fn skip_reason(what: &str, tools: &[&str]) -> Option<String> {
    cannot_run(tools).map(|why| skipping(what, why))
}

/// For tests: `what` skips because of `why` (printed); under `HAVIP_REQUIRE_ALL=1` that is a
/// failure instead. Returns `why`.
pub fn skipping(what: &str, why: String) -> String {
    assert!(
        std::env::var("HAVIP_REQUIRE_ALL").as_deref() != Ok("1"),
        "{what} cannot run: {why} (HAVIP_REQUIRE_ALL=1 forbids skipping)"
    );
    eprintln!("SKIPPED {what}: {why}");
    why
}

fn nix_is_root() -> bool {
    sh("id -u").is_ok_and(|u| u.trim() == "0")
}
