//! OVN's central services for tests: NB and SB ovsdb-servers and ovn-northd from OVN's
//! packages, on Unix sockets in a directory of the test's own (no root, no network); each can
//! be stopped and started again (the engine faults), and all are stopped on drop.

use ovsdb::Endpoint;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The running services.
pub struct Central {
    pub dir: PathBuf,
    children: Vec<(&'static str, Child)>,
}

impl Central {
    /// Starts NB, SB and northd; `None` (a recorded skip) when OVN is not installed.
    pub fn start(tag: &str) -> Option<Central> {
        let tools = ["ovsdb-server", "ovsdb-tool", "ovn-northd"];
        if let Some(t) = tools.iter().find(|t| !hostcheck::has_tool(t)) {
            hostcheck::skip(
                tag,
                format!("{t} is not installed (.ci/run installs ovn-central)"),
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("ovn-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let mut c = Central {
            dir,
            children: Vec::new(),
        };
        for db in ["nb", "sb"] {
            let file = c.dir.join(format!("{db}.db"));
            let schema = format!("/usr/share/ovn/ovn-{db}.ovsschema");
            let ok = Command::new("ovsdb-tool")
                .arg("create")
                .arg(&file)
                .arg(schema)
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "ovsdb-tool create {db}");
            c.start_db(if db == "nb" { "nb" } else { "sb" });
        }
        c.start_northd();
        Some(c)
    }

    /// Starts the `nb` or `sb` database server on its file and socket (again).
    pub fn start_db(&mut self, db: &'static str) {
        let file = self.dir.join(format!("{db}.db"));
        let _ = std::fs::remove_file(self.sock(db));
        let mut cmd = Command::new("ovsdb-server");
        cmd.arg(&file).args([
            format!("--remote=punix:{}", self.sock(db)),
            format!("--unixctl={}", self.dir.join(format!("{db}.ctl")).display()),
            format!(
                "--log-file={}",
                self.dir.join(format!("{db}.log")).display()
            ),
            "--no-chdir".into(),
        ]);
        self.spawn(db, &mut cmd);
        self.wait_for(&self.sock(db));
    }

    /// Starts ovn-northd (again).
    pub fn start_northd(&mut self) {
        let mut cmd = Command::new("ovn-northd");
        cmd.args([
            format!("--ovnnb-db=unix:{}", self.sock("nb")),
            format!("--ovnsb-db=unix:{}", self.sock("sb")),
            format!("--unixctl={}", self.dir.join("northd.ctl").display()),
            format!("--log-file={}", self.dir.join("northd.log").display()),
            "--no-chdir".into(),
        ]);
        self.spawn("northd", &mut cmd);
    }

    /// Kills `name` (`nb`, `sb` or `northd`) as a crash would.
    pub fn kill(&mut self, name: &str) {
        self.children.retain_mut(|(n, c)| {
            if *n == name {
                let _ = c.kill();
                let _ = c.wait();
            }
            *n != name
        });
    }

    pub fn sock(&self, db: &str) -> String {
        self.dir.join(format!("{db}.sock")).display().to_string()
    }

    pub fn endpoint(&self, db: &str) -> Endpoint {
        format!("unix:{}", self.sock(db)).parse().expect("endpoint")
    }

    fn spawn(&mut self, name: &'static str, cmd: &mut Command) {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        self.children.push((name, child));
    }

    pub fn wait_for(&self, path: &str) {
        let up = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            Path::new(path).exists()
        });
        assert!(up, "{path} never appeared");
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
