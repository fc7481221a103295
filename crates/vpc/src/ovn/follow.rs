//! The southbound side of `--backend ovn`: a monitor of `Port_Binding` feeds every virtual
//! binding to the service as a learned binding ([`Learner::learn_binding`], one commit per
//! update), which records the HAVIP's holder as OVN has it. When the connection is lost (a
//! southbound restart, or the loss of the cluster member it was on) it is made again, to the
//! next member of a clustered database, and the monitor's first answer, the whole table, is
//! followed again: the API converges on what OVN holds.

use super::binding::{COLUMNS, learned};
use crate::backend::{Learned, Learner};
use ovsdb::{MonitorRequest, Remotes, Row, TableUpdates};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// The southbound database's name.
pub const SB: &str = "OVN_Southbound";
/// The pause before connecting again, at most.
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// How long connecting to one member may take.
const CONNECT_WITHIN: Duration = Duration::from_secs(1);

/// Follows the southbound bindings for as long as the service runs.
pub async fn follow_bindings<L: Learner>(service: Arc<L>, endpoint: impl Into<Remotes>) {
    let endpoint = endpoint.into();
    let mut pause = Duration::from_millis(100);
    let mut next = 0;
    loop {
        let result = follow_once(&service, &endpoint, &mut next).await;
        // The next connection starts at the next member.
        next = (next + 1) % endpoint.0.len().max(1);
        match result {
            Ok(()) => {
                warn!(%endpoint, "the southbound connection was lost; connecting again");
                pause = Duration::from_millis(100);
            }
            Err(e) => {
                warn!(%endpoint, error = %e, "cannot follow the southbound bindings");
                pause = (pause * 2).min(MAX_PAUSE);
            }
        }
        tokio::time::sleep(pause).await;
    }
}

/// One connection: the whole table, then its changes, until the connection ends, or until a
/// binding cannot be recorded (the northbound database or the store refused it): then the
/// caller connects again and the whole table is followed again, so no binding OVN has stays
/// unrecorded.
async fn follow_once<L: Learner>(
    service: &Arc<L>,
    endpoint: &Remotes,
    next: &mut usize,
) -> Result<(), ovsdb::Error> {
    let (client, at) = ovsdb::connect_any(&endpoint.0, *next, SB, CONNECT_WITHIN).await?;
    *next = at;
    let request = MonitorRequest::columns("Port_Binding", &COLUMNS);
    let mut monitor = client.monitor(SB, &[request]).await?;
    info!(member = %endpoint.0[at], "following the southbound bindings");
    apply(service, monitor.initial).await?;
    while let Some(update) = monitor.updates.recv().await {
        apply(service, update).await?;
    }
    Ok(())
}

/// Hands the new version of every changed row to the service, off the async threads (it
/// takes the store's lock and may write to the northbound database).
async fn apply<L: Learner>(service: &Arc<L>, update: TableUpdates) -> Result<(), ovsdb::Error> {
    let batch: Vec<Learned> = update
        .into_values()
        .flat_map(|rows| rows.into_values().filter_map(|u| u.new))
        .filter_map(|row: Row| learned(&row))
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    let s = service.clone();
    let recorded = tokio::task::spawn_blocking(move || s.learn_binding(&batch)).await;
    match recorded {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ovsdb::Error::Protocol(format!(
            "southbound bindings not recorded: {}",
            e.message
        ))),
        Err(e) => Err(ovsdb::Error::Protocol(format!(
            "following bindings failed: {e}"
        ))),
    }
}
