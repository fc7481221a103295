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

/// Kills (SIGKILL) the processes a lab recorded in `dir/*.pid`, each only if its command line
/// still names `dir` (a pid file left long ago may name a process that has nothing to do with
/// the lab).
pub fn kill_recorded(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let named = dir.to_string_lossy().into_owned();
    for e in entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pid"))
    {
        let pid = std::fs::read_to_string(e.path())
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        let ours = |pid: i32| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&named))
        };
        if let Some(pid) = pid.filter(|p| ours(*p)) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}
