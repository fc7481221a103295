//! A three-member Raft cluster of `ovsdb-server`s holding havip's own database (`Havip_Vpc`),
//! each in a directory of its own on loopback ports, and `havip vpc serve` replicas sharing it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One member: its process (`None` once killed), directory and client port.
pub struct Member {
    pub child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    raft: u16,
}

/// The cluster; every member is stopped and its directory removed on drop.
pub struct Cluster {
    pub members: Vec<Member>,
    root: tempfile::TempDir,
}

/// `None` (the skip recorded) when ovsdb-server and ovsdb-tool are not installed.
pub fn start(tag: &str) -> Option<Cluster> {
    for tool in ["ovsdb-server", "ovsdb-tool", "ovs-appctl"] {
        if !hostcheck::has_tool(tool) {
            hostcheck::skip(
                tag,
                format!("{tool} is not installed (.ci/run installs openvswitch-switch)"),
            );
            return None;
        }
    }
    let root = tempfile::Builder::new()
        .prefix(&format!("cluster-{tag}-"))
        .tempdir()
        .expect("dir");
    let schema = root.path().join("havip-vpc.ovsschema");
    std::fs::write(&schema, vpc::store_rows::SCHEMA).expect("schema");
    let mut members: Vec<Member> = (0..3)
        .map(|k| {
            let dir = root.path().join(format!("m{k}"));
            std::fs::create_dir_all(&dir).expect("member dir");
            Member {
                child: None,
                dir,
                port: super::free_port(),
                raft: super::free_port(),
            }
        })
        .collect();
    let raft = |m: &Member| format!("tcp:127.0.0.1:{}", m.raft);
    let first = raft(&members[0]);
    for (k, m) in members.iter().enumerate() {
        let db = m.dir.join("db");
        let mut tool = Command::new("ovsdb-tool");
        if k == 0 {
            tool.arg("create-cluster").arg(&db).arg(&schema).arg(&first);
        } else {
            tool.arg("join-cluster")
                .arg(&db)
                .arg(vpc::store_rows::DB)
                .arg(raft(m))
                .arg(&first);
        }
        let out = tool.output().expect("ovsdb-tool");
        assert!(
            out.status.success(),
            "ovsdb-tool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for m in &mut members {
        m.child = Some(spawn(m));
    }
    let cluster = Cluster { members, root };
    cluster.wait_listening();
    cluster.wait_joined();
    Some(cluster)
}

fn spawn(m: &Member) -> Child {
    Command::new("ovsdb-server")
        .arg(m.dir.join("db"))
        .arg(format!("--remote=ptcp:{}:127.0.0.1", m.port))
        .arg(format!("--unixctl={}", m.dir.join("ctl").display()))
        .arg(format!("--log-file={}", m.dir.join("log").display()))
        .arg("--no-chdir")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ovsdb-server")
}

impl Cluster {
    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        for m in &self.members {
            while m.child.is_some() && std::net::TcpStream::connect(("127.0.0.1", m.port)).is_err()
            {
                assert!(
                    Instant::now() < deadline,
                    "member {} never listened",
                    m.dir.display()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Waits until every member is a member of the cluster (a joining one counts for nothing:
    /// killing another before it is in would leave no majority).
    fn wait_joined(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for m in &self.members {
            loop {
                let out = Command::new("ovs-appctl")
                    .arg("-t")
                    .arg(m.dir.join("ctl"))
                    .args(["cluster/status", vpc::store_rows::DB])
                    .output()
                    .expect("ovs-appctl");
                let status = String::from_utf8_lossy(&out.stdout);
                if status.contains("Status: cluster member") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{} never joined: {status}",
                    m.dir.display()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// `ovs-appctl cluster/status` of member `k`.
    fn status(&self, k: usize) -> String {
        let out = Command::new("ovs-appctl")
            .arg("-t")
            .arg(self.members[k].dir.join("ctl"))
            .args(["cluster/status", vpc::store_rows::DB])
            .output()
            .expect("ovs-appctl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The member that is the Raft leader now.
    pub fn leader(&self) -> usize {
        (0..self.members.len())
            .find(|&k| self.members[k].child.is_some() && self.status(k).contains("Role: leader"))
            .expect("a leader")
    }

    /// `--store ovsdb:...` naming every member.
    pub fn store_flag(&self) -> String {
        let list: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("tcp:127.0.0.1:{}", m.port))
            .collect();
        format!("ovsdb:{}", list.join(","))
    }

    /// Kills member `k` (-9).
    pub fn kill(&mut self, k: usize) {
        if let Some(mut c) = self.members[k].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A member's log, for failures.
    pub fn logs(&self) -> String {
        self.members
            .iter()
            .map(|m| std::fs::read_to_string(m.dir.join("log")).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n----\n")
    }

    /// The replicas' logs (`names`), for failures.
    pub fn replica_logs(&self, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| {
                let log = std::fs::read_to_string(self.dir().join(n).join("serve.log"));
                format!("== {n}:\n{}", log.unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Where the replicas keep their keys and secrets.
    pub fn dir(&self) -> &std::path::Path {
        self.root.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for k in 0..self.members.len() {
            self.kill(k);
        }
    }
}

/// Starts replica `name` of the cluster (its keys and internal secret in a directory of its
/// own), with a lease of `ttl` seconds; its stderr goes to `name.log` there.
pub fn replica(cluster: &Cluster, name: &str, ttl: &str) -> super::Server {
    replica_with(cluster, name, ttl, &[])
}

/// As [`replica`], with extra `havip vpc serve` flags.
pub fn replica_with(cluster: &Cluster, name: &str, ttl: &str, extra: &[&str]) -> super::Server {
    let dir = cluster.dir().join(name);
    std::fs::create_dir_all(&dir).expect("replica dir");
    std::fs::write(dir.join("keys"), super::KEYS_FILE).expect("keys");
    let args: Vec<std::ffi::OsString> = [
        "--store",
        &cluster.store_flag(),
        "--replica",
        name,
        "--lease-ttl",
        ttl,
        "--requests-per-second",
        "0",
    ]
    .iter()
    .chain(extra)
    .map(Into::into)
    .collect();
    super::serve(&dir, &args)
}
