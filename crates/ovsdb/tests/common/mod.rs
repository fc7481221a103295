//! An `ovsdb-server` holding OVN's northbound schema in a directory of the test's own: on a
//! Unix socket (and loopback TCP), or on `pssl:` only, with certificates made by `ovs-pki`.
#![allow(dead_code)]

use ovsdb::{Endpoint, SslFiles};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const NB_SCHEMA: &str = "/usr/share/ovn/ovn-nb.ovsschema";
pub const DB: &str = "OVN_Northbound";

/// How the server listens besides its control socket.
pub enum Listen {
    /// `punix:` only.
    Unix,
    /// `punix:` and `ptcp:` on loopback.
    UnixAndTcp,
    /// `pssl:` on loopback only, with this identity and CA.
    SslOnly(SslFiles),
}

/// An ovsdb-server in a temporary directory, stopped and removed on drop.
pub struct Server {
    pub dir: PathBuf,
    pub child: Child,
    pub tcp: Option<u16>,
}

/// Why `tools` (and OVN's schema) are not here, after recording the skip.
fn missing(tag: &str, tools: &[&str]) -> bool {
    if let Some(t) = tools.iter().find(|t| !hostcheck::has_tool(t)) {
        hostcheck::skip(
            tag,
            format!("{t} is not installed (.ci/run installs openvswitch-switch)"),
        );
        return true;
    }
    if !Path::new(NB_SCHEMA).exists() {
        hostcheck::skip(
            tag,
            format!("{NB_SCHEMA} is missing (.ci/run installs ovn-central)"),
        );
        return true;
    }
    false
}

/// A fresh directory for test `tag`.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ovsdb-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Server {
    /// On a Unix socket, and on loopback TCP too if `tcp`.
    pub fn start(tag: &str, tcp: bool) -> Option<Server> {
        Self::listening(
            tag,
            if tcp {
                Listen::UnixAndTcp
            } else {
                Listen::Unix
            },
        )
    }

    /// Listening as `listen` says; `None` (skipped) if the tools are missing.
    pub fn listening(tag: &str, listen: Listen) -> Option<Server> {
        if missing(tag, &["ovsdb-server", "ovsdb-tool"]) {
            return None;
        }
        let dir = scratch(tag);
        let db = dir.join("nb.db");
        let created = Command::new("ovsdb-tool")
            .arg("create")
            .arg(&db)
            .arg(NB_SCHEMA)
            .status();
        assert!(created.is_ok_and(|s| s.success()), "ovsdb-tool create");
        let port = (!matches!(listen, Listen::Unix)).then(free_port);
        let mut cmd = Command::new("ovsdb-server");
        cmd.arg(&db)
            .arg(format!("--unixctl={}", dir.join("ctl").display()))
            .arg(format!("--log-file={}", dir.join("log").display()))
            .arg("--no-chdir")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match (&listen, port) {
            (Listen::SslOnly(files), Some(p)) => {
                cmd.arg(format!("--remote=pssl:{p}:127.0.0.1"))
                    .arg(format!("--private-key={}", files.private_key.display()))
                    .arg(format!("--certificate={}", files.certificate.display()))
                    .arg(format!("--ca-cert={}", files.ca_cert.display()));
            }
            (_, p) => {
                cmd.arg(format!("--remote=punix:{}", dir.join("db.sock").display()));
                if let Some(p) = p {
                    cmd.arg(format!("--remote=ptcp:{p}:127.0.0.1"));
                }
            }
        }
        let child = cmd.spawn().expect("ovsdb-server");
        let server = Server {
            dir,
            child,
            tcp: port,
        };
        let ready = |s: &Server| match &listen {
            Listen::SslOnly(_) => {
                std::net::TcpStream::connect(("127.0.0.1", port.unwrap_or(0))).is_ok()
            }
            _ => s.dir.join("db.sock").exists(),
        };
        let up = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            ready(&server)
        });
        assert!(up, "ovsdb-server did not start: {}", server.log());
        Some(server)
    }

    pub fn unix(&self) -> Endpoint {
        format!("unix:{}", self.dir.join("db.sock").display())
            .parse()
            .expect("endpoint")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

/// A PKI made by `ovs-pki` in `dir` (as OVN deployments make theirs): its switch CA and
/// `names`' keys and certificates signed by it, as the files of an `ssl:` connection each.
/// `None` (skipped) without ovs-pki.
pub fn ovs_pki(tag: &str, dir: &Path, names: &[&str]) -> Option<Vec<SslFiles>> {
    if missing(tag, &["ovs-pki", "openssl"]) {
        return None;
    }
    std::fs::create_dir_all(dir).expect("PKI dir");
    let pki = dir.join("pki");
    let run = |args: &[&str]| {
        let out = Command::new("ovs-pki")
            .arg(format!("--dir={}", pki.display()))
            .args(args)
            .current_dir(dir)
            .output()
            .expect("ovs-pki");
        assert!(
            out.status.success(),
            "ovs-pki {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init"]);
    Some(
        names
            .iter()
            .map(|name| {
                run(&["req+sign", name, "switch"]);
                SslFiles {
                    private_key: dir.join(format!("{name}-privkey.pem")),
                    certificate: dir.join(format!("{name}-cert.pem")),
                    ca_cert: pki.join("switchca/cacert.pem"),
                }
            })
            .collect(),
    )
}
