//! OVN's northbound and southbound databases: one `ovsdb-server` each on the central node (the
//! default), or each a Raft cluster of [`MEMBERS`] members (`--ovn-db-cluster`), made as OVN's
//! `ovn-ctl` makes one: the first member's file by `ovsdb-tool create-cluster`, the others' by
//! `join-cluster` naming it. Each member is a machine of its own: a namespace with a cable to
//! the underlay, where the members talk Raft (`tcp:192.168.250.N`), and a Unix socket its
//! clients (northd, the chassis's ovn-controllers, `vpc serve`, the lab's `ovn-*ctl`) reach it
//! by; they are given every member (`unix:A,unix:B,unix:C`). A member can lose its power
//! ([`Fabric::db_power_cut`]: its cable down, then SIGKILL, so the other members hear nothing)
//! and come back on its file ([`Fabric::db_power_on`]).

use super::{Fabric, wait_for_file};
use crate::shell::run;
use anyhow::{Result, bail};
use ovsdb::{Endpoint, Remotes};
use std::path::Path;
use std::time::{Duration, Instant};

/// Members of a clustered database.
pub const MEMBERS: usize = 3;

/// A database: the lab's short name, OVN's name for it, its schema, its Raft port.
type Db = (&'static str, &'static str, &'static str, u16);

/// The databases.
const DBS: [Db; 2] = [
    (
        "nb",
        "OVN_Northbound",
        "/usr/share/ovn/ovn-nb.ovsschema",
        6643,
    ),
    (
        "sb",
        "OVN_Southbound",
        "/usr/share/ovn/ovn-sb.ovsschema",
        6644,
    ),
];

/// `db`'s entry in [`DBS`] and its index there.
fn entry(db: &str) -> Result<(usize, Db)> {
    DBS.iter()
        .copied()
        .enumerate()
        .find(|(_, e)| e.0 == db || member_of(e.0, db))
        .ok_or_else(|| anyhow::anyhow!("`{db}` is neither OVN database nor one of its members"))
}

/// Whether `name` is member `db` + a digit.
fn member_of(db: &str, name: &str) -> bool {
    name.strip_prefix(db)
        .is_some_and(|n| n.len() == 1 && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Fabric {
    /// Whether the databases are Raft clusters.
    pub fn db_clustered(&self) -> bool {
        self.db_cluster
    }

    /// The members of database `db` (`nb` or `sb`): `nb` itself, or `nb0`, `nb1`, `nb2`.
    pub fn db_members(&self, db: &str) -> Vec<String> {
        match self.db_cluster {
            false => vec![db.to_string()],
            true => (0..MEMBERS).map(|i| format!("{db}{i}")).collect(),
        }
    }

    /// Where database `db`'s clients reach it: every member's socket.
    pub fn remotes(&self, db: &str) -> Remotes {
        Remotes(
            self.db_members(db)
                .iter()
                .map(|m| Endpoint::Unix(self.dir.join(format!("{m}.sock"))))
                .collect(),
        )
    }

    /// `--db=` for OVN's `ovn-nbctl`/`ovn-sbctl` on database `db`.
    pub fn db_arg(&self, db: &str) -> String {
        format!("--db={}", self.remotes(db))
    }

    /// Starts both databases: single servers, or clusters whose members all joined.
    pub(super) fn start_dbs(&mut self) -> Result<()> {
        for (db, _, schema, _) in DBS {
            if !self.db_cluster {
                self.db_server(db, None, schema)?;
                continue;
            }
            for (i, member) in self.db_members(db).iter().enumerate() {
                self.member_machine(member)?;
                self.member_file(member, i)?;
                self.start_member(member)?;
            }
        }
        for (db, ..) in DBS {
            self.wait_db(db)?;
        }
        Ok(())
    }

    /// Member `member`'s namespace (`{prefix}nb0`, ...).
    fn member_ns(&self, member: &str) -> String {
        format!("{}{member}", self.prefix)
    }

    /// Member `member`'s Raft address.
    fn raft_addr(member: &str) -> Result<String> {
        let (k, (db, _, _, port)) = entry(member)?;
        let i: usize = member[db.len()..].parse()?;
        Ok(format!("tcp:192.168.250.{}:{port}", 1 + k * MEMBERS + i))
    }

    /// A namespace for `member` with a cable (`u0`) to the underlay bridge, its Raft address on it.
    fn member_machine(&self, member: &str) -> Result<()> {
        let ns = self.member_ns(member);
        let (k, (db, ..)) = entry(member)?;
        let j = k * MEMBERS + member[db.len()..].parse::<usize>()?;
        let (u, v) = (
            format!("{}d{j}", self.prefix),
            format!("{}e{j}", self.prefix),
        );
        let raft = Self::raft_addr(member)?;
        let ip = raft.split(':').nth(1).unwrap_or_default();
        self.machine_on_underlay(&ns, &u, &v)?;
        run(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{ip}/16"),
            "dev",
            "u0",
        ])?;
        Ok(())
    }

    /// Member `i`'s database file: the cluster made by the first, joined by the others.
    fn member_file(&self, member: &str, i: usize) -> Result<()> {
        let (_, (db, name, schema, _)) = entry(member)?;
        let file = self.path(&format!("{member}.db"));
        let me = Self::raft_addr(member)?;
        if i == 0 {
            run(&["ovsdb-tool", "create-cluster", &file, schema, &me])?;
        } else {
            let first = Self::raft_addr(&format!("{db}0"))?;
            run(&["ovsdb-tool", "join-cluster", &file, name, &me, &first])?;
        }
        Ok(())
    }

    /// Starts member `member`'s `ovsdb-server` in its namespace, on its file.
    fn start_member(&mut self, member: &str) -> Result<()> {
        let sock = self.dir.join(format!("{member}.sock"));
        let _ = std::fs::remove_file(&sock);
        let args = vec![
            self.path(&format!("{member}.db")),
            format!("--remote=punix:{}", sock.display()),
            format!("--unixctl={}", self.path(&format!("{member}.ctl"))),
            format!("--log-file={}", self.path(&format!("{member}.log"))),
            "--no-chdir".into(),
        ];
        let ns = self.member_ns(member);
        self.spawn(member, Some(&ns), "ovsdb-server", &args)?;
        wait_for_file(&sock)
    }

    /// Waits (30 s at most) until every running member of `db` is connected to its cluster.
    pub fn wait_db(&self, db: &str) -> Result<()> {
        let (_, (_, name, _, _)) = entry(db)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        for member in self.db_members(db) {
            if !self.children.iter().any(|(n, _)| *n == member) {
                continue;
            }
            let sock = format!("unix:{}", self.path(&format!("{member}.sock")));
            while run(&[
                "ovsdb-client",
                "--timeout=2",
                "wait",
                &sock,
                name,
                "connected",
            ])
            .is_err()
            {
                if Instant::now() > deadline {
                    bail!("{member} never joined its cluster (see {member}.log)");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// The member of clustered database `db` that is its Raft leader now, if one says so.
    pub fn db_leader(&self, db: &str) -> Result<Option<String>> {
        let (_, (_, name, _, _)) = entry(db)?;
        for member in self.db_members(db) {
            if !self.children.iter().any(|(n, _)| *n == member) {
                continue;
            }
            let ctl = self.path(&format!("{member}.ctl"));
            let status = run(&["ovs-appctl", "-t", &ctl, "cluster/status", name]);
            if status.is_ok_and(|s| s.lines().any(|l| l.trim() == "Role: leader")) {
                return Ok(Some(member));
            }
        }
        Ok(None)
    }

    /// A power cut of database member `member`: its cable down (the other members hear
    /// nothing more from it), then its `ovsdb-server` killed (SIGKILL).
    pub fn db_power_cut(&mut self, member: &str) -> Result<()> {
        if !self.db_cluster {
            bail!("the databases are single servers: a member's power cut needs --ovn-db-cluster");
        }
        entry(member)?;
        let ns = self.member_ns(member);
        run(&["ip", "-n", &ns, "link", "set", "u0", "down"])?;
        self.kill(member);
        Ok(())
    }

    /// Member `member` back after [`Fabric::db_power_cut`]: its cable in, its `ovsdb-server`
    /// started on its file (it catches up with its cluster).
    pub fn db_power_on(&mut self, member: &str) -> Result<()> {
        entry(member)?;
        let ns = self.member_ns(member);
        run(&["ip", "-n", &ns, "link", "set", "u0", "up"])?;
        if !Path::new(&self.path(&format!("{member}.db"))).exists() {
            bail!("{member} has no database file");
        }
        self.start_member(member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_named_and_placed_apart() {
        assert_eq!(
            Fabric::raft_addr("nb0").expect("nb0"),
            "tcp:192.168.250.1:6643"
        );
        assert_eq!(
            Fabric::raft_addr("sb2").expect("sb2"),
            "tcp:192.168.250.6:6644"
        );
        assert!(Fabric::raft_addr("nb").is_err());
        assert!(entry("xb0").is_err());
        assert!(entry("nb12").is_err());
    }
}
