//! Where the VPC's state lives between runs. [`Store`] is the seam for other backends; the
//! default is one SQLite file in WAL mode with `synchronous=FULL`: a change is acknowledged only
//! after its transaction is durable, so killing the server loses nothing it answered. Bindings
//! learned from GARPs are soft state, committed without waiting for the disk (`commit_soft`).

use crate::cloud::{Change, Cloud};
use crate::words::words;
use anyhow::{Context, Result};
use rusqlite::{Connection, params};
use std::path::Path;

words! {
    /// The kind of a row of `resources`.
    Kind {
        /// A VPC.
        Vpc = "vpc",
        /// A subnet.
        Subnet = "subnet",
        /// An ENI.
        Eni = "eni",
        /// An EIP.
        Address = "address",
        /// A HAVIP.
        HaVip = "havip",
        /// A route table.
        RouteTable = "route_table",
    }
}

/// Durable storage of changes.
pub trait Store: Send {
    /// Everything stored so far.
    fn load(&mut self) -> Result<Cloud>;
    /// Stores `changes` atomically: all or none.
    fn commit(&mut self, changes: &[Change]) -> Result<()>;
    /// Stores `changes` atomically, safe from a crash of this process but not necessarily of
    /// the machine: for soft state its owner refreshes (bindings learned from GARPs, which
    /// `garp_master_refresh` repeats), where waiting for the disk would only delay failover.
    fn commit_soft(&mut self, changes: &[Change]) -> Result<()> {
        self.commit(changes)
    }
}

/// The SQLite store.
pub struct Sqlite {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resources (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS owners (id TEXT PRIMARY KEY, account TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS client_tokens (token TEXT PRIMARY KEY, havip_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
";

impl Sqlite {
    /// Opens (creating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("creating the tables in {}", path.display()))?;
        Ok(Sqlite { conn })
    }
}

/// Keeps at most as much history, tasks and tokens as `Cloud` does, the newest (rowids grow
/// with each insert or replacement, so the newest rows have the largest).
fn forget_oldest(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    use crate::cloud::{HISTORY_KEPT, TASKS_KEPT, TOKENS_KEPT};
    for (table, kept) in [
        ("history", HISTORY_KEPT),
        ("tasks", TASKS_KEPT),
        ("client_tokens", TOKENS_KEPT),
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE rowid <= (SELECT MAX(rowid) FROM {table}) - ?1"),
            params![kept as i64],
        )?;
    }
    Ok(())
}

fn body(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).context("serializing")
}

impl Store for Sqlite {
    fn load(&mut self) -> Result<Cloud> {
        let mut cloud = Cloud::default();
        let mut changes = Vec::new();
        {
            let mut stmt = self.conn.prepare("SELECT kind, body FROM resources")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (kind, text) = row?;
                let c = match Kind::from_word(&kind) {
                    Some(Kind::Vpc) => Change::Vpc(serde_json::from_str(&text)?),
                    Some(Kind::Subnet) => Change::Subnet(serde_json::from_str(&text)?),
                    Some(Kind::Eni) => Change::Eni(serde_json::from_str(&text)?),
                    Some(Kind::Address) => Change::Address(serde_json::from_str(&text)?),
                    Some(Kind::HaVip) => Change::HaVip(serde_json::from_str(&text)?),
                    Some(Kind::RouteTable) => Change::RouteTable(serde_json::from_str(&text)?),
                    None => anyhow::bail!("unknown resource kind `{kind}` in the store"),
                };
                changes.push(c);
            }
            let mut stmt = self
                .conn
                .prepare("SELECT token, havip_id FROM client_tokens")?;
            for row in
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            {
                let (token, id) = row?;
                changes.push(Change::Token { token, id });
            }
            // Stores from before accounts have no owners: their resources are the default
            // account's.
            let mut stmt = self.conn.prepare("SELECT id, account FROM owners")?;
            for row in
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            {
                let (id, account) = row?;
                changes.push(Change::Owner { id, account });
            }
            let mut stmt = self.conn.prepare("SELECT body FROM tasks")?;
            for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
                changes.push(Change::Task(serde_json::from_str(&row?)?));
            }
            let mut stmt = self.conn.prepare("SELECT body FROM history ORDER BY seq")?;
            for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
                changes.push(Change::History(serde_json::from_str(&row?)?));
            }
        }
        cloud.apply(&changes);
        Ok(cloud)
    }

    fn commit(&mut self, changes: &[Change]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for c in changes {
            let put = |kind: Kind, id: &str, text: String| {
                tx.execute(
                    "INSERT OR REPLACE INTO resources (kind, id, body) VALUES (?1, ?2, ?3)",
                    params![kind.as_str(), id, text],
                )
            };
            match c {
                Change::Vpc(v) => put(Kind::Vpc, &v.vpc_id, body(v)?)?,
                Change::Subnet(s) => put(Kind::Subnet, &s.subnet_id, body(s)?)?,
                Change::Eni(e) => put(Kind::Eni, &e.network_interface_id, body(e)?)?,
                Change::Address(a) => put(Kind::Address, &a.address_id, body(a)?)?,
                Change::HaVip(h) => put(Kind::HaVip, &h.ha_vip_id, body(h)?)?,
                Change::RouteTable(t) => put(Kind::RouteTable, &t.route_table_id, body(t)?)?,
                Change::DeleteHaVip(id) => {
                    tx.execute("DELETE FROM owners WHERE id = ?1", params![id])?;
                    tx.execute(
                        "DELETE FROM resources WHERE kind = ?1 AND id = ?2",
                        params![Kind::HaVip.as_str(), id],
                    )?
                }
                Change::Owner { id, account } => tx.execute(
                    "INSERT OR REPLACE INTO owners (id, account) VALUES (?1, ?2)",
                    params![id, account],
                )?,
                Change::Token { token, id } => tx.execute(
                    "INSERT OR REPLACE INTO client_tokens (token, havip_id) VALUES (?1, ?2)",
                    params![token, id],
                )?,
                Change::Task(t) => tx.execute(
                    "INSERT OR REPLACE INTO tasks (id, body) VALUES (?1, ?2)",
                    params![t.task_id, body(t)?],
                )?,
                Change::History(e) => {
                    tx.execute("INSERT INTO history (body) VALUES (?1)", params![body(e)?])?
                }
            };
        }
        forget_oldest(&tx)?;
        tx.commit().context("committing")?;
        Ok(())
    }

    /// In WAL mode, `synchronous=NORMAL` writes the transaction to the log before the commit
    /// returns (a crash of the server loses nothing) and leaves the disk flush to the next
    /// checkpoint (only a crash of the machine may lose it).
    fn commit_soft(&mut self, changes: &[Change]) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let stored = self.commit(changes);
        let restored = self.conn.pragma_update(None, "synchronous", "FULL");
        stored?;
        restored.context("restoring synchronous=FULL")
    }
}

/// A store that keeps nothing (tests, benchmarks of the API alone).
#[derive(Default)]
pub struct Memory;

impl Store for Memory {
    fn load(&mut self) -> Result<Cloud> {
        Ok(Cloud::default())
    }
    fn commit(&mut self, _changes: &[Change]) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(s: &Sqlite) -> i64 {
        s.conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("pragma")
    }

    #[test]
    fn a_soft_commit_is_kept_and_leaves_later_commits_durable() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("vpc.db");
        let mut s = Sqlite::open(&path).expect("open");
        assert_eq!(synchronous(&s), 2, "FULL");
        s.commit_soft(&[Change::DeleteHaVip("havip-1".into())])
            .expect("soft");
        s.commit_soft(&[Change::Token {
            token: "t".into(),
            id: "havip-2".into(),
        }])
        .expect("soft");
        assert_eq!(synchronous(&s), 2, "back to FULL after a soft commit");
        drop(s);
        let cloud = Sqlite::open(&path).expect("reopen").load().expect("load");
        assert_eq!(cloud.tokens.get("t").map(String::as_str), Some("havip-2"));
    }

    #[test]
    fn the_store_forgets_old_history_as_the_state_does() {
        use crate::cloud::HISTORY_KEPT;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("vpc.db");
        let mut s = Sqlite::open(&path).expect("open");
        let event = |k: usize| {
            Change::History(crate::model::BindingEvent {
                reason: k.to_string(),
                ..Default::default()
            })
        };
        let changes: Vec<Change> = (0..HISTORY_KEPT + 7).map(event).collect();
        s.commit(&changes).expect("commit");
        s.commit(&[event(HISTORY_KEPT + 7)]).expect("one more");
        let rows: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM history", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows as usize, HISTORY_KEPT);
        let cloud = s.load().expect("load");
        assert_eq!(cloud.history.len(), HISTORY_KEPT);
        assert_eq!(cloud.history[0].reason, "8");
    }
}
