//! The API's records in a clustered (Raft) `ovsdb-server` several `vpc serve` replicas share
//! (`--store ovsdb:tcp:A,tcp:B,tcp:C`): database `Havip_Vpc` of havip's own schema
//! (`schema/havip-vpc.ovsschema`), served beside OVN's northbound database by the same kind of
//! cluster (`ovsdb-tool create-cluster` / `join-cluster`). Raft makes a commit durable on a
//! majority of the members before it is answered, so losing one member of three loses nothing
//! acknowledged, ClientTokens and tasks included.
//!
//! **One writer at a time: a lease row, not the cluster's leader.** A replica writes only
//! while it holds the `Lease` row (`holder`, `term`, `beat`, `ttl_ms`). The cluster's leader is
//! a database member, not an API replica: the two need not sit on the same machine, the leader
//! moves on its own (elections, compaction), and a replica could not learn it was deposed
//! before its next transaction. The lease is the API's own and every write is fenced by it:
//! each commit starts with a `wait` that the row still names this replica and its `term`, so a
//! deposed writer's late commit does nothing (Raft orders it after the takeover). No clocks are
//! compared across machines: the holder renews (`beat` + 1) every quarter of the TTL and
//! counts itself the writer until three quarters of the TTL after it sent the last renewal the
//! cluster accepted; another replica takes the lease over (`term` + 1, guarded by a `wait` on
//! the `term` and `beat` it saw) only once it has seen the row unchanged for a whole TTL by its
//! own clock. Taking the lease reads every record in the same transaction, so the new writer
//! writes on everything the old one committed.
//!
//! Readers are anywhere: a replica that does not hold the lease follows the database with a
//! monitor and applies what the writer commits ([`Replicated`]). A write sent to it (when the
//! lease is held elsewhere) is refused with `RequestLimitExceeded` naming the writer: the code
//! the cloud's SDKs retry with back-off (tencentcloud-sdk-python's `StandardRetryer` retries
//! `RequestLimitExceeded` and network errors, 1, 2, 4 s), so a client behind a load balancer
//! reaches the writer, or this replica once the lease lapses.

use crate::cloud::{Change, Cloud};
use crate::error::ApiError;
use crate::store::{Replication, Store};
pub use crate::store_lease::Options;
use crate::store_lease::{Replica, Reply, Request};
use anyhow::{Result, anyhow};
use ovsdb::Endpoint;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::sync::mpsc;

/// Parses `ovsdb:ADDR,ADDR,...` (each an OVSDB address: `tcp:IP:PORT`, `ssl:IP:PORT`,
/// `unix:PATH`).
pub fn parse_members(spec: &str) -> Result<Vec<Endpoint>> {
    let list = spec
        .strip_prefix("ovsdb:")
        .ok_or_else(|| anyhow!("`{spec}`: expected ovsdb:ADDR,ADDR,... (e.g. ovsdb:tcp:10.0.0.1:6643,tcp:10.0.0.2:6643,tcp:10.0.0.3:6643)"))?;
    let members = list
        .split(',')
        .map(|m| {
            m.parse::<Endpoint>()
                .map_err(|e| anyhow!("`{spec}`: member `{m}`: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if members.is_empty() || list.is_empty() {
        anyhow::bail!("`{spec}`: no cluster member named");
    }
    Ok(members)
}

/// The clustered store: a thread of its own holds the connection, the lease and the monitor;
/// [`Store`]'s calls are requests to it.
pub struct Clustered {
    requests: mpsc::UnboundedSender<Request>,
    replication: Option<Replication>,
}

impl Clustered {
    /// Starts the store's thread (connecting on first use).
    pub fn start(options: Options) -> Result<Clustered> {
        if options.ttl < Duration::from_millis(400) {
            anyhow::bail!(
                "a lease of {:?} is too short (400 ms at least)",
                options.ttl
            );
        }
        let (requests, rx) = mpsc::unbounded_channel();
        let (events_tx, events) = std::sync::mpsc::channel();
        let generation = Arc::new(AtomicU64::new(0));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let replica = Replica::new(options, generation.clone(), events_tx);
        std::thread::Builder::new()
            .name("store-ovsdb".into())
            .spawn(move || rt.block_on(replica.run(rx)))?;
        Ok(Clustered {
            requests,
            replication: Some(Replication { events, generation }),
        })
    }

    fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.requests
            .send(request(tx))
            .map_err(|_| anyhow!("the clustered store's thread is gone"))?;
        rx.recv()
            .map_err(|_| anyhow!("the clustered store's thread is gone"))
    }
}

impl Store for Clustered {
    fn load(&mut self) -> Result<Cloud> {
        self.ask(Request::Load)?
    }

    fn commit(&mut self, changes: &[Change]) -> Result<()> {
        self.ask(|r| Request::Commit(changes.to_vec(), r))?
    }

    fn writable(&mut self) -> Result<Option<Cloud>, ApiError> {
        self.ask(Request::Writable).map_err(ApiError::internal)?
    }

    fn replication(&mut self) -> Option<Replication> {
        self.replication.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_and_a_bad_one_is_named() {
        let m = parse_members("ovsdb:tcp:127.0.0.1:1,tcp:127.0.0.1:2,unix:/tmp/x").expect("ok");
        assert_eq!(m.len(), 3);
        let e = parse_members("ovsdb:tcp:127.0.0.1:1,tcp:nowhere").expect_err("bad");
        assert!(e.to_string().contains("tcp:nowhere"), "{e}");
        assert!(parse_members("tcp:127.0.0.1:1").is_err());
        assert!(parse_members("ovsdb:").is_err());
    }
}
