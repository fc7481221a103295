//! The objects keepalived 2.2.7 serves (its introspection files,
//! `/usr/share/dbus-1/interfaces/org.keepalived.Vrrp1.{Vrrp,Instance}.xml`):
//! `org.keepalived.Vrrp1.Vrrp` on `.../Vrrp` and `org.keepalived.Vrrp1.Instance` on each
//! instance's path. Methods answer only root callers.

use super::{Action, Request};
use crate::control::Answer;
use ctl::Reply;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{Connection, fdo, interface};

/// How long a method waits for the event loop (a reload included).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The way to the event loop.
#[derive(Clone)]
pub struct LoopLink(pub mpsc::Sender<Request>);

impl LoopLink {
    /// Asks the loop and waits (bounded) for its answer.
    pub async fn ask(&self, action: Action) -> fdo::Result<Answer> {
        let (tx, rx) = oneshot::channel();
        let request = Request { action, answer: tx };
        let asked = async {
            self.0.send(request).await.ok()?;
            rx.await.ok()
        };
        match tokio::time::timeout(ANSWER_TIMEOUT, asked).await {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(fdo::Error::Failed("havipd is shutting down".into())),
            Err(_) => Err(fdo::Error::Failed("havipd did not answer".into())),
        }
    }

    /// Asks the loop a control request and returns its one reply, errors as D-Bus errors.
    pub async fn reply(&self, request: ctl::Request) -> fdo::Result<Reply> {
        match self.ask(Action::Control(request)).await? {
            Answer::Replies(mut r) if r.len() == 1 => match r.remove(0) {
                Reply::Error { message } => Err(fdo::Error::Failed(message)),
                reply => Ok(reply),
            },
            _ => Err(fdo::Error::Failed("unexpected answer from havipd".into())),
        }
    }

    /// The instances' status, now.
    pub async fn status(&self) -> fdo::Result<ctl::Status> {
        match self.reply(ctl::Request::Status).await? {
            Reply::Status(s) => Ok(s),
            _ => Err(fdo::Error::Failed("unexpected answer from havipd".into())),
        }
    }
}

/// Refuses callers other than root, asking the bus for the caller's uid (the bus policy
/// refuses them first where keepalived's policy file is installed).
async fn root_only(header: &Header<'_>, conn: &Connection) -> fdo::Result<()> {
    let sender = header
        .sender()
        .ok_or_else(|| fdo::Error::AccessDenied("no sender".into()))?;
    let bus = fdo::DBusProxy::new(conn).await?;
    let uid = bus.get_connection_unix_user(sender.clone().into()).await?;
    if uid == 0 {
        Ok(())
    } else {
        tracing::warn!(uid, %sender, "D-Bus: caller refused, not root");
        Err(fdo::Error::AccessDenied(
            "only root may call havipd's methods".into(),
        ))
    }
}

/// `org.keepalived.Vrrp1.Vrrp`.
pub struct VrrpObject {
    /// The way to the loop.
    pub link: LoopLink,
}

#[interface(name = "org.keepalived.Vrrp1.Vrrp")]
impl VrrpObject {
    /// Writes keepalived.data.
    async fn print_data(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> fdo::Result<()> {
        root_only(&header, conn).await?;
        self.link.ask(Action::PrintData).await.map(drop)
    }

    /// Writes keepalived.stats.
    async fn print_stats(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> fdo::Result<()> {
        root_only(&header, conn).await?;
        self.link.ask(Action::PrintStats).await.map(drop)
    }

    /// keepalived writes keepalived.stats and zeroes its counters; havipd's counters only
    /// grow (they feed `stats.json` and the metrics), so this is refused and writes nothing.
    async fn print_stats_clear(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> fdo::Result<()> {
        root_only(&header, conn).await?;
        Err(fdo::Error::NotSupported(
            "havipd does not clear its counters (they only grow); use PrintStats".into(),
        ))
    }

    /// Reloads the configuration; fails, keeping the running one, when the new one is refused.
    async fn reload_config(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> fdo::Result<()> {
        root_only(&header, conn).await?;
        match self.link.reply(ctl::Request::Reload).await? {
            Reply::Reload(r) if r.applied => Ok(()),
            Reply::Reload(r) => Err(fdo::Error::Failed(r.message)),
            _ => Err(fdo::Error::Failed("unexpected answer from havipd".into())),
        }
    }

    /// Emitted once the objects are on the bus.
    #[zbus(signal)]
    pub async fn vrrp_started(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    /// Emitted after each reload.
    #[zbus(signal)]
    pub async fn vrrp_reloaded(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    /// Emitted when havipd stops, before it leaves the bus.
    #[zbus(signal)]
    pub async fn vrrp_stopped(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// `org.keepalived.Vrrp1.Instance`, for one VRRP instance.
pub struct InstanceObject {
    /// The way to the loop.
    pub link: LoopLink,
    /// The instance's name (a reload may rename the instance at this path).
    pub name: Arc<Mutex<String>>,
}

impl InstanceObject {
    fn name_now(&self) -> String {
        self.name.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

#[interface(name = "org.keepalived.Vrrp1.Instance")]
impl InstanceObject {
    /// Sends the instance's gratuitous ARPs (NAs) now; fails unless it is MASTER.
    async fn send_garp(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> fdo::Result<()> {
        root_only(&header, conn).await?;
        let instance = self.name_now();
        self.link
            .reply(ctl::Request::SendGarp { instance })
            .await
            .map(drop)
    }

    /// Emitted on each transition, with keepalived's state number.
    #[zbus(signal)]
    pub async fn vrrp_status_change(emitter: &SignalEmitter<'_>, status: u32) -> zbus::Result<()>;

    /// The `vrrp_instance` name.
    #[zbus(property)]
    async fn name(&self) -> String {
        self.name_now()
    }

    /// keepalived's state number and name.
    #[zbus(property)]
    async fn state(&self) -> fdo::Result<(u32, String)> {
        let name = self.name_now();
        let status = self.link.status().await?;
        let i = status
            .instances
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| fdo::Error::UnknownObject(format!("no instance {name}")))?;
        Ok(super::paths::state(&i.state))
    }
}
