//! The northbound side of `--backend ovn`: a thread of its own keeps a connection to the
//! northbound database (one member of its cluster at a time, the next when it fails; answering
//! its probes between requests) and, asked to realize a state,
//! reads the rows havip owns, plans and runs the one transaction ([`super::plan`]). A lost
//! connection is made again on the next request; a request that fails leaves the database as
//! it was (the transaction is all or nothing).

use super::desired::Layout;
use super::plan::{Current, TABLES, Tables, after, plan};
use crate::cloud::Cloud;
use anyhow::{Context, Result, anyhow, bail};
use ovsdb::{Client, Error, Operation, Remotes};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// The northbound database's name.
pub const NB: &str = "OVN_Northbound";
/// The longest a realization may take (connecting included).
const WITHIN: Duration = Duration::from_secs(10);
/// How long connecting to one member may take.
const CONNECT_WITHIN: Duration = Duration::from_secs(1);

type Request = (Arc<Cloud>, std::sync::mpsc::Sender<Result<usize>>);

/// The engine's handle; dropping it ends the thread.
pub struct Engine {
    requests: mpsc::UnboundedSender<Request>,
    endpoint: Remotes,
}

impl Engine {
    /// Starts the engine's thread for the database at `endpoint` (a server, or the members of
    /// its cluster; connecting on first use), with no gateway chassis (EIPs are not realized).
    pub fn start(endpoint: impl Into<Remotes>) -> Result<Engine> {
        Self::start_in(endpoint, Layout::default())
    }

    /// As [`Engine::start`], realizing states in `layout`.
    pub fn start_in(endpoint: impl Into<Remotes>, layout: Layout) -> Result<Engine> {
        let endpoint = endpoint.into();
        let (requests, mut rx) = mpsc::unbounded_channel::<Request>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let target = endpoint.clone();
        std::thread::Builder::new()
            .name("ovn-nb".into())
            .spawn(move || {
                rt.block_on(async move {
                    let mut conn = Connection::default();
                    while let Some((cloud, reply)) = rx.recv().await {
                        let work = realize(&mut conn, &target, &cloud, &layout);
                        let done = tokio::time::timeout(WITHIN, work).await;
                        let result = done.unwrap_or_else(|_| {
                            conn.lost(target.0.len());
                            Err(anyhow!("{target}: no answer within {} s", WITHIN.as_secs()))
                        });
                        let _ = reply.send(result);
                    }
                });
            })?;
        Ok(Engine { requests, endpoint })
    }

    /// Makes the northbound database hold what `cloud` calls for; the number of operations it
    /// took (0: it already did).
    pub fn realize(&self, cloud: Arc<Cloud>) -> Result<usize> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.requests
            .send((cloud, tx))
            .map_err(|_| anyhow!("the OVN engine thread is gone"))?;
        rx.recv()
            .map_err(|_| anyhow!("the OVN engine thread is gone"))?
            .with_context(|| format!("OVN northbound database {}", self.endpoint))
    }
}

/// The engine's connection and what it knows the database holds of havip's rows: read once,
/// then kept up to date from each committed transaction (havip is the only writer of its rows;
/// after any failure it is read again).
#[derive(Default)]
struct Connection {
    client: Option<Client>,
    current: Option<Current>,
    /// The member to try first when connecting (the one after the last that failed).
    next_member: usize,
}

impl Connection {
    /// Forgets the connection and what it read; the next connection starts at the next member.
    fn lost(&mut self, members: usize) {
        self.client = None;
        self.current = None;
        self.next_member = (self.next_member + 1) % members.max(1);
    }
}

/// One realization, reconnecting once if the connection was lost.
async fn realize(
    conn: &mut Connection,
    endpoint: &Remotes,
    cloud: &Cloud,
    layout: &Layout,
) -> Result<usize> {
    for attempt in 0..2 {
        let members = &endpoint.0;
        if conn.client.is_none() {
            let connected = ovsdb::connect_any(members, conn.next_member, NB, CONNECT_WITHIN).await;
            let (client, at) = connected.inspect_err(|_| conn.lost(members.len()))?;
            conn.client = Some(client);
            conn.current = None;
            conn.next_member = at;
            info!(member = %members[at], "connected to the OVN northbound database");
        }
        match once(conn, cloud, layout).await {
            Err(Error::Closed) if attempt == 0 => {
                warn!(%endpoint, "the northbound connection was lost; connecting again");
                conn.lost(members.len());
            }
            Err(e) => {
                if matches!(e, Error::Closed | Error::Io { .. }) {
                    conn.lost(members.len());
                }
                conn.current = None;
                return Err(e.into());
            }
            Ok(n) => return Ok(n),
        }
    }
    bail!("{endpoint}: the connection was lost twice")
}

async fn once(conn: &mut Connection, cloud: &Cloud, layout: &Layout) -> Result<usize, Error> {
    let Some(c) = conn.client.as_ref() else {
        return Err(Error::Closed);
    };
    let current = match conn.current.take() {
        Some(current) => current,
        None => Current::from_tables(&read_tables(c).await?),
    };
    let desired = super::desired::desired_in(cloud, layout);
    let ops = plan(&desired, &current);
    if ops.is_empty() {
        conn.current = Some(current);
        return Ok(0);
    }
    let results = c.transact(NB, &ops).await?;
    conn.current = after(&desired, &current, &ops, &results);
    Ok(ops.len())
}

/// The rows of the tables the plan works on, read in one transaction.
pub async fn read_tables(c: &Client) -> Result<Tables, Error> {
    let selects: Vec<Operation> = TABLES
        .iter()
        .map(|t| Operation::Select {
            table: t.to_string(),
            conditions: vec![],
            columns: None,
        })
        .collect();
    let results = c.transact(NB, &selects).await?;
    let mut tables = Tables::new();
    for (table, result) in TABLES.iter().zip(&results) {
        let rows = result["rows"].as_array().cloned().unwrap_or_default();
        let entry = tables.entry(table.to_string()).or_default();
        for v in rows {
            let row = ovsdb::row_from_json(&v).map_err(|e| Error::Protocol(e.to_string()))?;
            let uuid = row
                .get("_uuid")
                .and_then(|d| d.atoms().first())
                .and_then(|a| a.as_uuid())
                .ok_or_else(|| Error::Protocol(format!("{table} row without _uuid")))?
                .to_string();
            entry.insert(uuid, row);
        }
    }
    Ok(tables)
}
