//! The backend of `--backend ovn`: the API's records stay in the durable store (SQLite), the
//! network is OVN's. The service realizes each write in the northbound database (one
//! transaction, through the [`Engine`]) before storing it: if OVN refuses, nothing is stored
//! and the API answers an error. At start the northbound database is brought to the stored
//! state. The bindings OVN learns come back through the southbound follower
//! ([`super::follow`]).

use super::engine::Engine;
use crate::backend::{Backend, Changes};
use crate::cloud::Cloud;
use anyhow::Result;
use std::sync::Arc;

/// A network realized in OVN's northbound database.
pub struct OvnBackend {
    engine: Engine,
}

impl OvnBackend {
    /// Realizes states through `engine`.
    pub fn new(engine: Engine) -> Self {
        OvnBackend { engine }
    }
}

impl Backend for OvnBackend {
    fn start(&mut self, state: &Cloud) -> Result<()> {
        let ops = self.engine.realize(Arc::new(state.clone()))?;
        tracing::info!(
            operations = ops,
            "OVN northbound database brought to the stored state"
        );
        Ok(())
    }

    fn realize(&mut self, changes: &Changes<'_>) -> Result<()> {
        self.engine.realize(Arc::new(changes.after()))?;
        Ok(())
    }
}
