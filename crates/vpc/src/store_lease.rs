//! The clustered store's thread ([`Replica`]): the connection to one member at a time (the next
//! when it fails), the write lease (taken, renewed every quarter TTL, lost), the commits fenced
//! by it, and, while not the writer, the monitor whose updates become [`Replicated`] events.
//! The design and why a lease: `store_ovsdb.rs`.

use crate::cloud::{Change, Cloud};
use crate::error::ApiError;
use crate::store::Replicated;
use crate::store_rows::{self, DB, LEASE, RECORD_TABLES, Seqs};
use anyhow::{Result, anyhow, bail};
use ovsdb::{
    Atom, Client, Condition, Datum, Endpoint, MonitorRequest, Operation, Row, TableUpdates,
};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tracing::{info, warn};

/// How a replica uses the cluster.
#[derive(Clone, Debug)]
pub struct Options {
    /// The cluster's members (any order; the store moves to the next when one fails).
    pub members: Vec<Endpoint>,
    /// This replica's name, as other replicas' errors show it (its API address).
    pub replica: String,
    /// How long a lease lasts without renewal: the longest writes wait after the writer dies.
    pub ttl: Duration,
}

pub(crate) type Reply<T> = std::sync::mpsc::Sender<T>;

/// What the store's thread is asked.
pub(crate) enum Request {
    Load(Reply<Result<Cloud>>),
    Writable(Reply<Result<Option<Cloud>, ApiError>>),
    Commit(Vec<Change>, Reply<Result<()>>),
}

/// A monitor's update, or its end (`None`), tagged with the monitor it came from.
type Followed = (u64, Option<TableUpdates>);

/// How long connecting to one member may take.
const CONNECT_WITHIN: Duration = Duration::from_secs(1);
/// How long [`Store::load`](crate::store::Store::load) keeps trying the members.
const LOAD_WITHIN: Duration = Duration::from_secs(15);

/// The lease row.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Lease {
    holder: String,
    term: i64,
    beat: i64,
    ttl_ms: i64,
}

impl Lease {
    fn from_row(row: &Row) -> Option<Lease> {
        Some(Lease {
            holder: row.get("holder")?.as_str()?.to_string(),
            term: store_rows::integer(row, "term")?,
            beat: store_rows::integer(row, "beat")?,
            ttl_ms: store_rows::integer(row, "ttl_ms")?,
        })
    }
}

/// What this replica is.
enum Role {
    /// It follows the writer's commits.
    Follower,
    /// It holds the lease of `term`, until `valid_until` unless renewed; `stale`: a commit's
    /// outcome is unknown, so the records are read again before the next write.
    Writer {
        term: i64,
        valid_until: Instant,
        seqs: Seqs,
        stale: bool,
    },
}

/// Why a transaction failed.
enum TxError {
    /// The lease guard (operation 0) did not hold: another replica holds the lease.
    Guard,
    /// The cluster refused it: nothing was done.
    Refused(anyhow::Error),
    /// No answer (connection lost, timeout): it may or may not have been committed.
    Unknown(anyhow::Error),
}

/// The store's thread state.
pub(crate) struct Replica {
    options: Options,
    client: Option<Arc<Client>>,
    next_member: usize,
    role: Role,
    /// The lease row as last seen, and since when it has not changed (this machine's clock).
    seen: Option<(Lease, Instant)>,
    /// Beats sent, counted on: each renewal writes a new value, even after a lost answer.
    beats: i64,
    generation: Arc<AtomicU64>,
    events: std::sync::mpsc::Sender<(u64, Replicated)>,
    /// The monitor whose updates count (`None`: not following).
    monitor: Option<u64>,
    /// Its id on the connection, to cancel it.
    server_monitor: Option<String>,
    monitors: u64,
    followed: Option<mpsc::UnboundedSender<Followed>>,
}

fn int(i: i64) -> Datum {
    Datum::atom(Atom::Integer(i))
}

impl Replica {
    pub(crate) fn new(
        options: Options,
        generation: Arc<AtomicU64>,
        events: std::sync::mpsc::Sender<(u64, Replicated)>,
    ) -> Replica {
        Replica {
            options,
            client: None,
            next_member: 0,
            role: Role::Follower,
            seen: None,
            beats: 0,
            generation,
            events,
            monitor: None,
            server_monitor: None,
            monitors: 0,
            followed: None,
        }
    }

    /// Serves requests, renews the lease and follows the monitor until the store is dropped.
    pub(crate) async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        let (tx, mut followed) = mpsc::unbounded_channel();
        self.followed = Some(tx);
        let mut tick = tokio::time::interval(self.options.ttl / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                r = requests.recv() => match r {
                    Some(Request::Load(reply)) => { let _ = reply.send(self.load().await); }
                    Some(Request::Writable(reply)) => { let _ = reply.send(self.writable().await); }
                    Some(Request::Commit(changes, reply)) => {
                        let _ = reply.send(self.commit(&changes).await);
                    }
                    None => return,
                },
                _ = tick.tick() => self.tick().await,
                Some((id, update)) = followed.recv() => self.on_update(id, update),
            }
        }
    }

    fn me(&self) -> &str {
        &self.options.replica
    }

    /// A connection to a member that serves the database and is part of its cluster, trying
    /// each in turn from the one after the last that failed.
    async fn connected(&mut self) -> Result<Arc<Client>> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let members = &self.options.members;
        let (c, at) = ovsdb::connect_any(members, self.next_member, DB, CONNECT_WITHIN)
            .await
            .map_err(|e| anyhow!("the store's cluster: {e}"))?;
        let c = Arc::new(c);
        info!(member = %members[at], replica = self.me(), "connected to the store's cluster");
        self.next_member = at;
        self.client = Some(c.clone());
        Ok(c)
    }

    /// Drops the connection (and the monitor on it); the next one starts at the next member.
    fn disconnect(&mut self) {
        self.client = None;
        self.monitor = None;
        self.server_monitor = None;
        self.next_member = (self.next_member + 1) % self.options.members.len();
    }

    async fn transact(
        &mut self,
        ops: &[Operation],
        within: Duration,
    ) -> Result<Vec<Value>, TxError> {
        let client = self.connected().await.map_err(TxError::Unknown)?;
        match timeout(within, client.transact(DB, ops)).await {
            Ok(Ok(results)) => Ok(results),
            Ok(Err(ovsdb::Error::Operation { index: Some(0), .. })) => Err(TxError::Guard),
            Ok(Err(e @ ovsdb::Error::Operation { .. })) => Err(TxError::Refused(e.into())),
            Ok(Err(e)) => {
                self.disconnect();
                Err(TxError::Unknown(anyhow!("{}: {e}", client.endpoint())))
            }
            Err(_) => {
                self.disconnect();
                Err(TxError::Unknown(anyhow!(
                    "{}: no answer within {within:?}",
                    client.endpoint()
                )))
            }
        }
    }

    /// The records as they stand, from a monitor that then keeps them current.
    async fn load(&mut self) -> Result<Cloud> {
        let deadline = Instant::now() + LOAD_WITHIN;
        loop {
            match self.follow().await {
                Ok(cloud) => return Ok(cloud),
                Err(e) if Instant::now() < deadline => {
                    warn!(error = %format!("{e:#}"), "the store's cluster: trying again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts a monitor of every table; the records it finds.
    async fn follow(&mut self) -> Result<Cloud> {
        self.unfollow().await;
        let client = self.connected().await?;
        let tables: Vec<MonitorRequest> = RECORD_TABLES
            .iter()
            .chain([&LEASE])
            .map(|t| MonitorRequest::table(t))
            .collect();
        let m = match timeout(self.options.ttl, client.monitor(DB, &tables)).await {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => {
                self.disconnect();
                bail!("{}: monitoring {DB}: {e}", client.endpoint())
            }
            Err(_) => {
                self.disconnect();
                bail!("{}: monitoring {DB}: no answer", client.endpoint())
            }
        };
        self.monitors += 1;
        let id = self.monitors;
        self.monitor = Some(id);
        self.server_monitor = Some(m.id.clone());
        self.see_lease(&m.initial);
        if let Some(tx) = self.followed.clone() {
            let mut updates = m.updates;
            tokio::spawn(async move {
                while let Some(u) = updates.recv().await {
                    if tx.send((id, Some(u))).is_err() {
                        return;
                    }
                }
                let _ = tx.send((id, None));
            });
        }
        store_rows::state(&m.initial)
    }

    /// Notes the lease row in `updates`, and since when it has been as it is.
    fn see_lease(&mut self, updates: &TableUpdates) {
        let row = updates
            .get(LEASE)
            .into_iter()
            .flat_map(|t| t.values())
            .find_map(|u| u.new.as_ref().and_then(Lease::from_row));
        if let Some(lease) = row
            && self.seen.as_ref().is_none_or(|(l, _)| *l != lease)
        {
            self.seen = Some((lease, Instant::now()));
        }
    }

    fn on_update(&mut self, id: u64, update: Option<TableUpdates>) {
        if self.monitor != Some(id) || !matches!(self.role, Role::Follower) {
            return;
        }
        let Some(update) = update else {
            warn!(
                replica = self.me(),
                "the store's monitor ended; following again"
            );
            self.disconnect();
            return;
        };
        self.see_lease(&update);
        match store_rows::changes(&update) {
            Ok(changes) if changes.is_empty() => {}
            Ok(changes) => self.send(Replicated::Changes(changes)),
            Err(e) => {
                warn!(error = %format!("{e:#}"), "a replicated update not understood; following again");
                self.monitor = None;
            }
        }
    }

    /// Stops following (the writer needs no echo of its own commits; a new monitor replaces
    /// the old).
    async fn unfollow(&mut self) {
        self.monitor = None;
        if let (Some(id), Some(c)) = (self.server_monitor.take(), self.client.clone())
            && let Ok(Err(e)) = timeout(self.options.ttl / 4, c.monitor_cancel(&id)).await
        {
            warn!(error = %e, "cancelling the store's monitor");
        }
    }

    fn send(&self, event: Replicated) {
        let _ = self
            .events
            .send((self.generation.load(Ordering::SeqCst), event));
    }

    /// Stops writing and follows again from the records as they stand.
    async fn become_follower(&mut self) {
        self.role = Role::Follower;
        self.refollow().await;
    }

    /// Follows from a fresh monitor: its state replaces what this replica had.
    async fn refollow(&mut self) {
        match self.follow().await {
            Ok(cloud) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
                self.send(Replicated::State(Box::new(cloud)));
            }
            Err(e) => warn!(error = %format!("{e:#}"), "the store's cluster: not following"),
        }
    }

    async fn tick(&mut self) {
        match self.role {
            Role::Writer { term, .. } => self.renew(term).await,
            Role::Follower if self.monitor.is_none() => self.refollow().await,
            Role::Follower => {}
        }
    }

    /// The guard every write of the writer of `term` starts with.
    fn guard(&self, term: i64) -> Operation {
        Operation::Count {
            table: LEASE.into(),
            conditions: vec![
                Condition::eq("holder", Datum::string(self.me())),
                Condition::eq("term", int(term)),
            ],
            count: 1,
        }
    }

    async fn renew(&mut self, term: i64) {
        self.beats += 1;
        let beat = Row::from([("beat".to_string(), int(self.beats))]);
        let ops = [
            self.guard(term),
            Operation::Update {
                table: LEASE.into(),
                conditions: vec![],
                row: beat,
            },
        ];
        let sent = Instant::now();
        match self.transact(&ops, self.options.ttl / 4).await {
            Ok(_) => {
                if let Role::Writer { valid_until, .. } = &mut self.role {
                    *valid_until = sent + self.options.ttl * 3 / 4;
                }
            }
            Err(TxError::Guard) => {
                warn!(replica = self.me(), "the write lease was taken over");
                self.become_follower().await;
            }
            Err(TxError::Refused(e) | TxError::Unknown(e)) => {
                warn!(error = %format!("{e:#}"), "renewing the write lease");
            }
        }
    }

    /// Whether this replica may write now; `Some(records)` when it has just taken (or
    /// renewed after a doubt) the lease and must write on them.
    async fn writable(&mut self) -> Result<Option<Cloud>, ApiError> {
        if let Role::Writer {
            valid_until,
            stale: false,
            ..
        } = self.role
            && Instant::now() < valid_until
        {
            return Ok(None);
        }
        self.acquire().await.map(Some)
    }

    /// The lease row, read now.
    async fn read_lease(&mut self) -> Result<Option<Lease>, ApiError> {
        let select = Operation::Select {
            table: LEASE.into(),
            conditions: vec![],
            columns: None,
        };
        let results = self.transact(&[select], self.options.ttl).await;
        let results = results.map_err(|e| match e {
            TxError::Guard => ApiError::internal("reading the write lease"),
            TxError::Refused(e) | TxError::Unknown(e) => ApiError::internal(format!("{e:#}")),
        })?;
        let rows = store_rows::selected(LEASE, &results[0]).map_err(ApiError::internal)?;
        self.see_lease(&rows);
        Ok(rows[LEASE]
            .values()
            .find_map(|u| u.new.as_ref().and_then(Lease::from_row)))
    }

    /// Takes the lease (or renews this replica's) and reads every record in one transaction.
    /// The transaction that takes (or renews) the lease now `lease` and reads every record;
    /// the term it gives. Refused while another replica's lease has not lapsed.
    fn takeover(&mut self, lease: Option<&Lease>) -> Result<(i64, Vec<Operation>), ApiError> {
        let ttl_ms = self.options.ttl.as_millis() as i64;
        self.beats += 1;
        let (guard, term, write) = match lease {
            None => {
                let row = self.lease_row(1, ttl_ms);
                let guard = Operation::Count {
                    table: LEASE.into(),
                    conditions: vec![],
                    count: 0,
                };
                (
                    guard,
                    1,
                    Operation::Insert {
                        table: LEASE.into(),
                        row,
                        uuid_name: None,
                    },
                )
            }
            Some(l) => {
                let mine = l.holder == self.me()
                    && matches!(self.role, Role::Writer { term, .. } if term == l.term);
                let lapsed = l.holder.is_empty()
                    || self.seen.as_ref().is_some_and(|(s, since)| {
                        s == l && since.elapsed() >= Duration::from_millis(l.ttl_ms.max(0) as u64)
                    });
                if !mine && !lapsed {
                    return Err(self.not_writer(l));
                }
                let term = if mine { l.term } else { l.term + 1 };
                let guard = Operation::Count {
                    table: LEASE.into(),
                    conditions: vec![
                        Condition::eq("holder", Datum::string(&l.holder)),
                        Condition::eq("term", int(l.term)),
                        Condition::eq("beat", int(l.beat)),
                    ],
                    count: 1,
                };
                let row = self.lease_row(term, ttl_ms);
                (
                    guard,
                    term,
                    Operation::Update {
                        table: LEASE.into(),
                        conditions: vec![],
                        row,
                    },
                )
            }
        };
        let mut ops = vec![guard, write];
        ops.extend(RECORD_TABLES.iter().map(|t| Operation::Select {
            table: t.to_string(),
            conditions: vec![],
            columns: None,
        }));
        Ok((term, ops))
    }

    async fn acquire(&mut self) -> Result<Cloud, ApiError> {
        let lease = self.read_lease().await?;
        let (term, ops) = self.takeover(lease.as_ref())?;
        let sent = Instant::now();
        let results = match self.transact(&ops, self.options.ttl).await {
            Ok(r) => r,
            Err(TxError::Guard) => {
                return Err(ApiError::new(
                    "RequestLimitExceeded",
                    format!(
                        "replica {}: another replica took the write lease at the same moment; retry",
                        self.me()
                    ),
                ));
            }
            Err(TxError::Refused(e) | TxError::Unknown(e)) => {
                return Err(ApiError::internal(format!("taking the write lease: {e:#}")));
            }
        };
        let mut snapshot = TableUpdates::new();
        for (k, table) in RECORD_TABLES.iter().enumerate() {
            snapshot
                .extend(store_rows::selected(table, &results[2 + k]).map_err(ApiError::internal)?);
        }
        let cloud = store_rows::state(&snapshot).map_err(ApiError::internal)?;
        if !matches!(self.role, Role::Writer { term: t, .. } if t == term) {
            info!(
                replica = self.me(),
                term, "this replica holds the write lease"
            );
        }
        self.role = Role::Writer {
            term,
            valid_until: sent + self.options.ttl * 3 / 4,
            seqs: Seqs::after(&snapshot),
            stale: false,
        };
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.unfollow().await;
        Ok(cloud)
    }

    fn lease_row(&self, term: i64, ttl_ms: i64) -> Row {
        Row::from([
            ("holder".to_string(), Datum::string(self.me())),
            ("term".to_string(), int(term)),
            ("beat".to_string(), int(self.beats)),
            ("ttl_ms".to_string(), int(ttl_ms)),
        ])
    }

    /// The error a write sent to this replica gets while `lease` is another's.
    fn not_writer(&self, lease: &Lease) -> ApiError {
        ApiError::new(
            "RequestLimitExceeded",
            format!(
                "replica {} does not write now: replica {} holds the write lease (term {}); \
                 retry: writes go through {}, or through any replica once that lease goes \
                 {} ms without renewal",
                self.me(),
                lease.holder,
                lease.term,
                lease.holder,
                lease.ttl_ms
            ),
        )
    }

    /// Stores `changes`, fenced by the lease.
    async fn commit(&mut self, changes: &[Change]) -> Result<()> {
        let Role::Writer { term, seqs, .. } = self.role else {
            bail!("replica {} does not hold the write lease", self.me());
        };
        let mut next = seqs;
        let mut ops = vec![self.guard(term)];
        ops.extend(store_rows::store_ops(changes, &mut next)?);
        match self.transact(&ops, self.options.ttl).await {
            Ok(_) => {
                if let Role::Writer { seqs, .. } = &mut self.role {
                    *seqs = next;
                }
                Ok(())
            }
            Err(TxError::Guard) => {
                self.become_follower().await;
                bail!(
                    "replica {} lost the write lease before the commit: nothing was stored; retry",
                    self.me()
                )
            }
            Err(TxError::Refused(e)) => Err(e),
            Err(TxError::Unknown(e)) => {
                if let Role::Writer { stale, .. } = &mut self.role {
                    *stale = true;
                }
                bail!(
                    "the store's cluster did not confirm the commit ({e:#}); it may have been \
                     made: a retry with the same ClientToken is safe"
                )
            }
        }
    }
}
