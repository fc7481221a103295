//! The service's thread: connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS` if set),
//! serves the daemon's and the instances' objects, owns the bus name, then emits
//! `VrrpStatusChange` for each transition the loop broadcasts and follows reloads (objects
//! added, removed or renamed, then `VrrpReloaded`) until stopped (`VrrpStopped`).

use super::objects::{InstanceObject, LoopLink, VrrpObject};
use super::{Action, Request, paths};
use crate::control::Answer;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{error, info, warn};
use zbus::Connection;
use zbus::object_server::SignalEmitter;

/// How long the goodbye signal may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// The thread's body: ordinary scheduling, a runtime of its own, until `stopped`.
pub fn thread(
    config: conf::dbus::DbusService,
    requests: mpsc::Sender<Request>,
    reloads: watch::Receiver<u64>,
    stopped: oneshot::Receiver<()>,
) {
    // Threads inherit the creator's scheduling; the loop's real-time one is not for this.
    if let Err(e) = crate::sys::schedule_this_thread_normally() {
        warn!(error = %e, "D-Bus: could not leave real-time scheduling");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return error!(error = %e, "D-Bus: no runtime"),
    };
    runtime.block_on(async move {
        if let Err(e) = serve(config, LoopLink(requests), reloads, stopped).await {
            error!("D-Bus service: {e:#}");
        }
    });
}

/// The instance objects on the bus, by path, and their paths by instance name.
#[derive(Default)]
struct Objects {
    names: BTreeMap<String, Arc<Mutex<String>>>,
    paths: BTreeMap<String, String>,
}

impl Objects {
    /// Makes the objects on the bus those of `status`: keeps an object whose interface, VRID
    /// and family are still configured (renaming it if its instance was renamed), removes the
    /// rest, adds the new ones.
    async fn sync(
        &mut self,
        conn: &Connection,
        link: &LoopLink,
        prefix: &[String],
        status: &ctl::Status,
    ) {
        let mut wanted = BTreeMap::new();
        for i in &status.instances {
            let path = paths::instance(prefix, &i.interface, i.vrid, &i.family);
            wanted.entry(path).or_insert_with(|| i.name.clone());
        }
        let server = conn.object_server();
        for path in self.names.keys() {
            if !wanted.contains_key(path) {
                let _ = server.remove::<InstanceObject, _>(path.as_str()).await;
            }
        }
        self.names.retain(|path, _| wanted.contains_key(path));
        for (path, name) in &wanted {
            if let Some(held) = self.names.get(path) {
                if let Ok(mut n) = held.lock() {
                    n.clone_from(name);
                }
                continue;
            }
            let held = Arc::new(Mutex::new(name.clone()));
            let object = InstanceObject {
                link: link.clone(),
                name: held.clone(),
            };
            match server.at(path.as_str(), object).await {
                Ok(_) => {
                    info!(instance = %name, %path, "D-Bus: added the instance's object");
                    self.names.insert(path.clone(), held);
                }
                Err(e) => warn!(instance = %name, %path, error = %e, "D-Bus: cannot add object"),
            }
        }
        self.paths = wanted.into_iter().map(|(p, n)| (n, p)).collect();
    }

    /// Emits `VrrpStatusChange` for `instance` entering `state`; `false` if the instance has
    /// no object (yet: a reload's new instance moves before the reload ends).
    async fn status_change(&self, conn: &Connection, instance: &str, state: &str) -> bool {
        let Some(path) = self.paths.get(instance) else {
            return false;
        };
        let (code, _) = paths::state(state);
        match SignalEmitter::new(conn, path.as_str()) {
            Ok(e) => {
                if let Err(e) = InstanceObject::vrrp_status_change(&e, code).await {
                    warn!(error = %e, "D-Bus: VrrpStatusChange not sent");
                }
            }
            Err(e) => warn!(error = %e, "D-Bus: bad object path {path}"),
        }
        true
    }
}

async fn follow_events(link: &LoopLink) -> Result<broadcast::Receiver<ctl::EventRecord>> {
    match link
        .ask(Action::Control(ctl::Request::Events { follow: true }))
        .await?
    {
        Answer::Follow(_, live) => Ok(live),
        Answer::Replies(_) => bail!("the loop gave no transitions to follow"),
    }
}

async fn serve(
    config: conf::dbus::DbusService,
    link: LoopLink,
    mut reloads: watch::Receiver<u64>,
    mut stopped: oneshot::Receiver<()>,
) -> Result<()> {
    let vrrp_path = paths::vrrp(&config.path_prefix);
    let conn = zbus::connection::Builder::system()
        .context("the system bus")?
        .serve_at(vrrp_path.as_str(), VrrpObject { link: link.clone() })?
        .build()
        .await
        .context("connecting to the system bus")?;
    // Follow first: no transition between the status and the subscription is lost.
    let mut live = follow_events(&link).await?;
    let mut objects = Objects::default();
    let status = link.status().await?;
    objects
        .sync(&conn, &link, &config.path_prefix, &status)
        .await;
    conn.request_name(config.service_name.as_str())
        .await
        .with_context(|| format!("owning the bus name {}", config.service_name))?;
    info!(name = %config.service_name, "D-Bus: service on the system bus");
    let vrrp = SignalEmitter::new(&conn, vrrp_path.as_str())?;
    VrrpObject::vrrp_started(&vrrp).await?;
    for i in &status.instances {
        objects.status_change(&conn, &i.name, &i.state).await;
    }
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            event = live.recv() => match event {
                Ok(e) => {
                    if !objects.status_change(&conn, &e.instance, &e.to).await {
                        let status = link.status().await?;
                        objects.sync(&conn, &link, &config.path_prefix, &status).await;
                        objects.status_change(&conn, &e.instance, &e.to).await;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    warn!(missed = n, "D-Bus: transitions came faster than the bus took them");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            changed = reloads.changed() => {
                if changed.is_err() {
                    break;
                }
                let status = link.status().await?;
                objects.sync(&conn, &link, &config.path_prefix, &status).await;
                VrrpObject::vrrp_reloaded(&vrrp).await?;
            }
        }
    }
    let _ = tokio::time::timeout(STOP_TIMEOUT, VrrpObject::vrrp_stopped(&vrrp)).await;
    let _ = tokio::time::timeout(
        STOP_TIMEOUT,
        conn.release_name(config.service_name.as_str()),
    )
    .await;
    Ok(())
}
