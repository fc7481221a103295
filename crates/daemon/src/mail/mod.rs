//! E-mail alerts (`smtp_alert`), as keepalived 2.2.7 mails them: an instance or a sync group
//! ([`groups`]) entering MASTER, BACKUP, FAULT (unless `no_email_faults`) or stopping is
//! mailed once per state (keepalived's `last_email_state`), to every `notification_email`,
//! through `smtp_server`.
//!
//! The VRRP loop only queues: mails go out from a thread of their own (ordinary scheduling),
//! one at a time, each bounded by `smtp_connect_timeout` ([`smtp`]). The queue holds
//! [`QUEUE`] mails; when a dead or slow server lets it fill, new alerts are dropped, counted
//! and logged, and the loop never waits.

mod groups;
pub mod message;
mod smtp;

use conf::model::Config;
use message::{Envelope, Mail};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;
use tracing::{debug, info, warn};

/// Mails waiting for the mail thread.
pub const QUEUE: usize = 32;
/// How long havipd waits at exit for its last alerts (the `Stopping` ones) to go out.
pub const AT_EXIT: Duration = Duration::from_secs(5);

/// What became of the alerts.
#[derive(Debug, Default)]
pub struct Counts {
    /// Accepted by the server.
    pub sent: AtomicU64,
    /// Not accepted: no connection, a time-out, a refusal.
    pub failed: AtomicU64,
    /// Not queued: the queue was full.
    pub dropped: AtomicU64,
}

/// The loop's side of the mail thread.
#[derive(Default)]
pub struct Mailer {
    envelope: Option<Arc<Envelope>>,
    alerting: BTreeSet<String>,
    /// During a reload: instances it removes that mailed, and those it keeps (by name).
    reloading: Option<(BTreeSet<String>, BTreeSet<String>)>,
    groups: groups::SyncGroups,
    last: BTreeMap<String, String>,
    queue: Option<SyncSender<Mail>>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
    counts: Arc<Counts>,
}

impl Mailer {
    /// The mailer of `config` (idle without recipients or server).
    pub fn new(config: &Config) -> Self {
        let mut m = Mailer::default();
        m.reconfigure(config);
        m.reloaded();
        m
    }

    /// Takes a new configuration: its settings and its instances' `smtp_alert`; until
    /// [`Mailer::reloaded`], instances stopping are those the reload removes or restarts.
    pub fn reconfigure(&mut self, config: &Config) {
        let conf = match config.global.mail() {
            Ok(c) => c,
            Err(e) => {
                warn!("{e}");
                None
            }
        };
        self.envelope = conf.map(|c| Arc::new(Envelope::new(&c, &message::host_name())));
        let names: BTreeSet<String> = config.instances.iter().map(|i| i.name.clone()).collect();
        let removed = self.alerting.difference(&names).cloned().collect();
        self.reloading = Some((removed, names));
        self.alerting = config
            .instances
            .iter()
            .filter(|i| config.instance_smtp_alert(&i.name))
            .map(|i| i.name.clone())
            .collect();
        self.groups = groups::SyncGroups::new(config, |g| config.group_smtp_alert(g));
        if let Some(e) = &self.envelope
            && !(self.alerting.is_empty() && self.groups.is_empty())
        {
            info!(server = %format!("{}:{}", e.server.0, e.server.1), recipients = e.to.len(), instances = self.alerting.len(), "e-mail alerts on");
            if self.queue.is_none() {
                self.start();
            }
        }
    }

    fn start(&mut self) {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Mail>(QUEUE);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let counts = self.counts.clone();
        let spawned = std::thread::Builder::new()
            .name("mail".into())
            .spawn(move || {
                // Threads inherit the loop's real-time scheduling; mail needs none.
                if let Err(e) = crate::sys::schedule_this_thread_normally() {
                    warn!(error = %e, "mail thread: could not leave real-time scheduling");
                }
                for mail in rx {
                    deliver(&mail, &counts);
                }
                let _ = done_tx.send(());
            });
        match spawned {
            Ok(_) => {
                self.queue = Some(tx);
                self.done = Some(done_rx);
            }
            Err(e) => warn!(error = %e, "no mail thread: e-mail alerts are off"),
        }
    }

    /// Instance `name` entered `state` (`MASTER`, `BACKUP`, `FAULT`, `STOP`): queues its alert
    /// if it mails them and has not mailed this state last, then its sync group's if the group
    /// enters a state with it.
    pub fn instance_changed(&mut self, name: &str, state: &str) {
        let Some(envelope) = self.envelope.clone() else {
            return;
        };
        match (&self.reloading, state) {
            // keepalived mails an instance a reload deletes as entering FAULT (its old way,
            // without `notify_deleted`), and never stops one the new file keeps.
            (Some((removed, _)), "STOP") if removed.contains(name) => {
                self.alert(&envelope, name, "FAULT", Mail::instance);
                return;
            }
            (Some((_, kept)), "STOP") if kept.contains(name) => return,
            _ => {}
        }
        if self.alerting.contains(name) {
            self.alert(&envelope, name, state, Mail::instance);
        }
        for (group, group_state) in self.groups.changed(name, state) {
            // Groups and instances are named apart in `last`: "G" and " G".
            self.alert(&envelope, &format!(" {group}"), &group_state, |e, n, s| {
                Mail::group(e, &n[1..], s)
            });
        }
    }

    /// Queues the alert `mail` makes for `key` entering `state`, unless it mailed that state
    /// last or it is a FAULT and `no_email_faults` is set.
    fn alert(
        &mut self,
        envelope: &Arc<Envelope>,
        key: &str,
        state: &str,
        mail: impl Fn(Arc<Envelope>, &str, &str) -> Option<Mail>,
    ) {
        if (envelope.no_faults && state == "FAULT")
            || self.last.get(key).is_some_and(|s| s == state)
        {
            return;
        }
        let Some(mail) = mail(envelope.clone(), key, state) else {
            return;
        };
        self.last.insert(key.to_string(), state.to_string());
        self.queue_mail(mail);
    }

    fn queue_mail(&mut self, mail: Mail) {
        let Some(queue) = &self.queue else {
            return;
        };
        match queue.try_send(mail) {
            Ok(()) => {}
            Err(TrySendError::Full(mail)) => {
                let n = self.counts.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                warn!(subject = %mail.subject, dropped = n, "e-mail alert dropped: {QUEUE} are waiting for the SMTP server");
            }
            Err(TrySendError::Disconnected(mail)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                warn!(subject = %mail.subject, "e-mail alert dropped: the mail thread is gone");
            }
        }
    }

    /// The reload is over: instances stopping from now on are stopping for good.
    pub fn reloaded(&mut self) {
        self.reloading = None;
    }

    /// Whether instance `name` mails its state changes (its `smtp_alert` as resolved).
    pub fn alerts(&self, name: &str) -> bool {
        self.alerting.contains(name)
    }

    /// (sent, failed, dropped) so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        let c = &self.counts;
        (
            c.sent.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            c.dropped.load(Ordering::Relaxed),
        )
    }

    /// At exit: lets the queued alerts go out, for [`AT_EXIT`] at most.
    pub async fn finish(mut self) {
        self.queue = None;
        if let Some(done) = self.done.take()
            && tokio::time::timeout(AT_EXIT, done).await.is_err()
        {
            warn!("e-mail alerts still queued at exit are lost");
        }
    }
}

fn deliver(mail: &Mail, counts: &Counts) {
    let e = &mail.envelope;
    match smtp::send(mail) {
        Ok(()) => {
            counts.sent.fetch_add(1, Ordering::Relaxed);
            debug!(subject = %mail.subject, "e-mail alert sent");
        }
        Err(why) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            warn!(server = %format!("{}:{}", e.server.0, e.server.1), subject = %mail.subject, "e-mail alert not sent: {why}");
        }
    }
}
