//! The Debian package that `scripts/build-deb.sh` built (`.ci/run` builds it before the tests):
//! lintian finds no error, its control data and files are what an operator expects, and the
//! binaries unpacked into a scratch root run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The package built from this version, or why the test cannot run.
fn package() -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let dir = target.join("debian");
    let prefix = format!("havip_{}-", env!("CARGO_PKG_VERSION"));
    let found = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".deb")
        });
    found.ok_or_else(|| format!("no {prefix}*.deb in {}", dir.display()))
}

fn tool(name: &str) -> Result<(), String> {
    match Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(format!("{name} is not installed")),
    }
}

/// The package, or `None` after saying why the test skips (a failure under
/// HAVIP_REQUIRE_ALL=1).
fn ready() -> Option<PathBuf> {
    let why = tool("dpkg-deb")
        .and_then(|()| tool("lintian"))
        .and_then(|()| package());
    match why {
        Ok(deb) => Some(deb),
        Err(why) => {
            hostcheck::skip(
                "package",
                format!("{why}; build it with scripts/build-deb.sh"),
            );
            None
        }
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8_lossy(&run(cmd).stdout).into_owned()
}

#[test]
fn lintian_reports_no_error() {
    let Some(deb) = ready() else { return };
    let out = Command::new("lintian")
        .args(["--fail-on", "error", "--no-tag-display-limit"])
        .arg(&deb)
        .output()
        .expect("lintian runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "lintian: {}\n{report}", out.status);
    assert!(!report.lines().any(|l| l.starts_with("E: ")), "{report}");
}

#[test]
fn control_data_names_the_package_its_version_and_conffile() {
    let Some(deb) = ready() else { return };
    let field = |name: &str| stdout(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name));
    assert_eq!(field("Package").trim(), "havip");
    assert!(
        field("Version").starts_with(env!("CARGO_PKG_VERSION")),
        "{}",
        field("Version")
    );
    assert!(field("Depends").contains("libc6"), "{}", field("Depends"));
    let conffiles = stdout(
        Command::new("dpkg-deb")
            .arg("-I")
            .arg(&deb)
            .arg("conffiles"),
    );
    assert_eq!(conffiles.trim(), "/etc/default/havipd");
}

/// Unpacks the package into a fresh scratch root.
fn unpack(deb: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("scratch root");
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    root
}

#[test]
fn unpacked_files_are_the_ones_this_tree_generates() {
    let Some(deb) = ready() else { return };
    let root = unpack(&deb);
    let r = root.path();
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(
        read(&r.join("usr/lib/systemd/system/havipd.service")),
        read(&workspace().join("crates/daemon/havipd.service"))
    );
    assert_eq!(
        read(&r.join("etc/default/havipd")),
        read(&workspace().join("crates/daemon/havipd.default"))
    );
    // The D-Bus policy (enable_dbus): where the system bus reads packages' policies.
    assert_eq!(
        read(&r.join("usr/share/dbus-1/system.d/org.keepalived.Vrrp1.conf")),
        read(&workspace().join("crates/daemon/org.keepalived.Vrrp1.conf"))
    );
    // The packaged man pages and completions are exactly what the current command-line
    // definitions give: a package built from an older tree fails here.
    let fresh = tempfile::tempdir().expect("tempdir");
    let man = dist::manuals::write(&fresh.path().join("man")).expect("man pages");
    for page in man {
        let name = page
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let section = name
            .trim_end_matches(".gz")
            .rsplit('.')
            .next()
            .expect("section");
        let packaged = r.join(format!("usr/share/man/man{section}/{name}"));
        assert_eq!(read(&packaged), read(&page), "{name} is stale");
    }
    let completions = fresh.path().join("completions");
    dist::completions::write(&completions).expect("completions");
    for (packaged, generated) in [
        ("usr/share/bash-completion/completions/havip", "bash/havip"),
        (
            "usr/share/bash-completion/completions/havipd",
            "bash/havipd",
        ),
        ("usr/share/zsh/vendor-completions/_havip", "zsh/_havip"),
        (
            "usr/share/fish/vendor_completions.d/havipd.fish",
            "fish/havipd.fish",
        ),
    ] {
        assert_eq!(
            read(&r.join(packaged)),
            read(&completions.join(generated)),
            "{packaged}"
        );
    }
}

#[test]
fn unpacked_binaries_run() {
    let Some(deb) = ready() else { return };
    let root = unpack(&deb);
    let havipd = root.path().join("usr/sbin/havipd");
    let havip = root.path().join("usr/bin/havip");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        stdout(Command::new(&havipd).arg("--version")).trim(),
        format!("havipd {version}")
    );
    assert_eq!(
        stdout(Command::new(&havip).arg("--version")).trim(),
        format!("havip {version}")
    );
    assert_eq!(
        stdout(Command::new(&havipd).arg("--signum=RELOAD")).trim(),
        "1"
    );
    let conf = root.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n  state BACKUP\n  interface lo\n  virtual_router_id 51\n  \
         priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.10/32\n  }\n}\n",
    )
    .expect("write config");
    // keepalived's -t: 5 here, for the loopback it refuses (havipd runs on it); nothing else.
    let test = Command::new(&havipd)
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .output()
        .expect("havipd -t");
    assert_eq!(
        test.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );
    // `interface lo` is a warning (keepalived refuses it; havipd runs on it): check exits 1.
    let checked = Command::new(&havip)
        .args(["check", "--profile", "none", "--format", "json", "-f"])
        .arg(&conf)
        .output()
        .expect("havip check");
    assert_eq!(checked.status.code(), Some(1), "{checked:?}");
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("JSON report");
    assert_eq!(report["summary"]["instances"], 1, "{report}");
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    // A control verb with no daemon behind the socket: exit 2, "unreachable".
    let status = Command::new(&havip)
        .args(["status", "--state-dir"])
        .arg(root.path())
        .output()
        .expect("havip status");
    assert_eq!(status.status.code(), Some(2));
}
