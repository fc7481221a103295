//! What this host can run: root (network namespaces need it) and the tools a job calls; and,
//! for tests, the one way to skip when it cannot.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Names the variable that turns every skip into a failure (CI as root sets it to `1`).
pub const REQUIRE_ALL: &str = "HAVIP_REQUIRE_ALL";
/// Names the file every skip is appended to, one line each, when set.
pub const SKIP_LOG: &str = "HAVIP_SKIP_LOG";

/// True when this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // /proc/self belongs to the process's effective uid.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// True when `tool` can be run: an absolute path to an executable file, or a name found on
/// `PATH`.
pub fn has_tool(tool: &str) -> bool {
    if tool.contains('/') {
        return is_executable(Path::new(tool));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| is_executable(&dir.join(tool))))
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// Why a job needing root, `ip` (iproute2) and `tools` cannot run here, if it cannot.
pub fn cannot_run(tools: &[&str]) -> Option<String> {
    if !is_root() {
        return Some("not root (network namespaces need it)".into());
    }
    ["ip"]
        .iter()
        .chain(tools)
        .find(|t| !has_tool(t))
        .map(|t| missing(t))
}

/// Says what is missing and where it comes from.
fn missing(tool: &str) -> String {
    if tool.starts_with('/') {
        format!("{tool} is not built (.ci/run builds it)")
    } else {
        format!("{tool} is not installed (.ci/run installs it)")
    }
}

/// For tests: why `what` cannot run here (then skipped, see [`skip`]), or `None` when it can.
pub fn skip_reason(what: &str, tools: &[&str]) -> Option<String> {
    cannot_run(tools).map(|why| skip(what, why))
}

/// For tests: `what` skips because of `why`. Prints `SKIPPED what: why`, appends that line to
/// `$HAVIP_SKIP_LOG` when set, and returns `why`.
///
/// # Panics
/// Under `HAVIP_REQUIRE_ALL=1`, where a skip would hide a missing install step.
pub fn skip(what: &str, why: impl Into<String>) -> String {
    let require_all = std::env::var(REQUIRE_ALL).as_deref() == Ok("1");
    let log = std::env::var_os(SKIP_LOG).map(PathBuf::from);
    skip_with(what, why.into(), require_all, log.as_deref())
}

/// For tests: `what` cannot run because this kernel lacks `feature` (a module no package
/// provides). Printed and logged like any skip, but not a failure under `HAVIP_REQUIRE_ALL=1`:
/// no install step can fix it, and `.ci/run` lists it with the skipped tests.
pub fn kernel_lacks(what: &str, feature: &str) {
    let log = std::env::var_os(SKIP_LOG).map(PathBuf::from);
    skip_with(
        what,
        format!("this kernel has no {feature}"),
        false,
        log.as_deref(),
    );
}

fn skip_with(what: &str, why: String, require_all: bool, log: Option<&Path>) -> String {
    assert!(
        !require_all,
        "{what} cannot run: {why} ({REQUIRE_ALL}=1 forbids skipping)"
    );
    let line = format!("SKIPPED {what}: {why}");
    eprintln!("{line}");
    if let Some(log) = log {
        // One write of one line with O_APPEND: lines of parallel tests do not interleave.
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = appended {
            eprintln!("could not record the skip in {}: {e}", log.display());
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_found_on_path_or_by_absolute_path() {
        assert!(has_tool("sh"));
        assert!(has_tool("/bin/sh"));
        assert!(!has_tool("no-such-tool-havip"));
        assert!(!has_tool("/nonexistent/keepalived"));
        // A file that is not executable is not a tool.
        let plain = std::env::temp_dir().join(format!("hostcheck-plain-{}", std::process::id()));
        std::fs::write(&plain, "#!/bin/sh\n").expect("scratch file");
        let found = has_tool(&plain.to_string_lossy());
        std::fs::remove_file(&plain).expect("remove scratch file");
        assert!(!found);
    }

    #[test]
    fn a_missing_tool_is_named_with_where_it_comes_from() {
        if !is_root() {
            assert_eq!(
                cannot_run(&[]).as_deref(),
                Some("not root (network namespaces need it)")
            );
            return;
        }
        let why = cannot_run(&["no-such-tool-havip"]).expect("a reason");
        assert!(why.contains("no-such-tool-havip is not installed"), "{why}");
        let why = cannot_run(&["/nonexistent/sbin/keepalived"]).expect("a reason");
        assert!(why.contains("is not built"), "{why}");
    }

    #[test]
    fn a_skip_is_recorded_one_line_each() {
        let log = std::env::temp_dir().join(format!("hostcheck-skips-{}", std::process::id()));
        let _ = std::fs::remove_file(&log);
        assert_eq!(skip_with("one", "why 1".into(), false, Some(&log)), "why 1");
        skip_with("two", "why 2".into(), false, Some(&log));
        let text = std::fs::read_to_string(&log).expect("skip log");
        std::fs::remove_file(&log).expect("remove skip log");
        assert_eq!(text, "SKIPPED one: why 1\nSKIPPED two: why 2\n");
    }

    #[test]
    #[should_panic(expected = "forbids skipping")]
    fn under_require_all_a_skip_fails() {
        skip_with("this", "a reason".into(), true, None);
    }
}
