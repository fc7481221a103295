//! Running commands, in the host or in a namespace, with errors that say what failed.
//!
//! Commands are argument vectors: a value (an interface named by a config, a lab id from the
//! command line, an address) is one argument and never reaches a shell, so `a;id>/tmp/p` is an
//! interface name `ip` refuses, not a second command run as root. [`sh`] takes only text fixed
//! in the source (`&'static str`), for the few pipelines that need a shell and no value.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::process::{Command, Stdio};

fn shown(argv: &[&str]) -> String {
    argv.join(" ")
}

fn finish(argv: &[&str], out: std::process::Output) -> Result<String> {
    if !out.status.success() {
        bail!(
            "`{}` failed: {}",
            shown(argv),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `argv[0]` with the rest as its arguments; fails with its stderr.
pub fn run(argv: &[&str]) -> Result<String> {
    let Some((program, args)) = argv.split_first() else {
        bail!("no command to run");
    };
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running `{}`", shown(argv)))?;
    finish(argv, out)
}

/// Runs `argv` inside namespace `ns` (`ip netns exec NS ARGV...`).
pub fn run_in(ns: &str, argv: &[&str]) -> Result<String> {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(argv);
    run(&all)
}

/// Runs `argv` with `input` on its standard input (`nft -f -`: no script file to plant).
pub fn run_with_input(argv: &[&str], input: &str) -> Result<String> {
    let Some((program, args)) = argv.split_first() else {
        bail!("no command to run");
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running `{}`", shown(argv)))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
    }
    finish(argv, child.wait_with_output()?)
}

/// Runs `sh -c cmd` for a command fixed in the source; fails with its stderr.
pub fn sh(cmd: &'static str) -> Result<String> {
    run(&["sh", "-c", cmd])
}

/// Runs `sh -c cmd` (fixed in the source) inside namespace `ns`.
pub fn sh_in(ns: &str, cmd: &'static str) -> Result<String> {
    run_in(ns, &["sh", "-c", cmd])
}

/// Kills (SIGKILL) the processes a lab recorded in `dir/*.pid`, each only if its command line
/// still names `dir` (a pid file left long ago may name a process that has nothing to do with
/// the lab). A directory that is not the lab user's own and private is not read: its pid
/// files could be anyone's.
pub fn kill_recorded(dir: &std::path::Path) {
    if crate::scratch::check_private(dir).is_err() {
        return;
    }
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
