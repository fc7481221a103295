//! The southbound side of `--backend ovn`: a monitor of `Port_Binding` feeds every virtual
//! binding to the service as a learned binding ([`Learner::learn_binding`], one commit per
//! update), which records the HAVIP's holder as OVN has it. When the connection is lost (a
//! southbound restart) it is made again, and the monitor's first answer, the whole table, is
//! followed again: the API converges on what OVN holds.

use super::binding::{COLUMNS, learned};
use crate::backend::{Learned, Learner};
use ovsdb::{Client, Endpoint, MonitorRequest, Row, TableUpdates};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// The southbound database's name.
pub const SB: &str = "OVN_Southbound";
/// The pause before connecting again, at most.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// Follows the southbound bindings for as long as the service runs.
pub async fn follow_bindings<L: Learner>(service: Arc<L>, endpoint: Endpoint) {
    let mut pause = Duration::from_millis(100);
    loop {
        match follow_once(&service, &endpoint).await {
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
    endpoint: &Endpoint,
) -> Result<(), ovsdb::Error> {
    let client = Client::connect(endpoint).await?;
    let request = MonitorRequest::columns("Port_Binding", &COLUMNS);
    let mut monitor = client.monitor(SB, &[request]).await?;
    info!(%endpoint, "following the southbound bindings");
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
