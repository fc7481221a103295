//! The store of `--backend ovn`: the API's records stay in the durable store (SQLite), the
//! network is OVN's. A change is first realized in the northbound database (one transaction),
//! then stored; if OVN refuses it nothing is stored and the API answers an error, so nothing
//! is half-applied. At start the northbound database is brought to the stored state.

use super::engine::Engine;
use crate::cloud::{Change, Cloud, Quotas};
use crate::store::Store;
use anyhow::Result;
use std::sync::Arc;

/// A durable store whose network is realized in OVN.
pub struct OvnStore {
    durable: Box<dyn Store>,
    engine: Engine,
    /// The state as stored, to compute the next one from (shared with the engine's request).
    mirror: Arc<Cloud>,
    quotas: Quotas,
}

impl OvnStore {
    /// Wraps `durable`; `quotas` are the service's (the per-ENI quota shapes the virtual ports).
    pub fn new(durable: Box<dyn Store>, engine: Engine, quotas: Quotas) -> Self {
        OvnStore {
            durable,
            engine,
            mirror: Arc::default(),
            quotas,
        }
    }

    fn realize_then(
        &mut self,
        changes: &[Change],
        store: impl FnOnce(&mut dyn Store) -> Result<()>,
    ) -> Result<()> {
        let mut next = Cloud::clone(&self.mirror);
        next.apply(changes);
        let next = Arc::new(next);
        self.engine.realize(next.clone())?;
        store(&mut *self.durable)?;
        self.mirror = next;
        Ok(())
    }
}

impl Store for OvnStore {
    fn load(&mut self) -> Result<Cloud> {
        let mut cloud = self.durable.load()?;
        cloud.quotas = self.quotas;
        let mirror = Arc::new(cloud.clone());
        let ops = self.engine.realize(mirror.clone())?;
        tracing::info!(
            operations = ops,
            "OVN northbound database brought to the stored state"
        );
        self.mirror = mirror;
        Ok(cloud)
    }

    fn commit(&mut self, changes: &[Change]) -> Result<()> {
        self.realize_then(changes, |s| s.commit(changes))
    }

    fn commit_soft(&mut self, changes: &[Change]) -> Result<()> {
        self.realize_then(changes, |s| s.commit_soft(changes))
    }
}
