//! SIGHUP: re-read the config. An invalid one is rejected and the running one kept; otherwise
//! instances whose resolved settings are unchanged keep running untouched (no flap), changed
//! and removed ones stop (a master resigns), new and changed ones start. With `--mover`, the
//! mover file is read again too: an error in it refuses the reload; changed movers start over.

use crate::configure::{self, Configured};
use crate::instance::Instance;
use crate::mover::Target;
use crate::run::Daemon;
use crate::sockets::Channel;
use anyhow::{Context, Result, anyhow};
use conf::Severity;
use conf::reader::MemoryFiles;
use node::InstanceId;
use node::reload::Plan;
use tracing::{error, info};

/// A configuration that passed the reload's checks: the runnable model, its files as read, and
/// with `--mover` the movers of the mover file.
type Checked = (conf::model::Config, MemoryFiles, Option<Vec<Target>>);

impl Daemon {
    /// Reloads the configuration; on any error the running configuration stays as it was.
    /// Returns the check's diagnostics and what happened. The service manager is told
    /// RELOADING before and READY after.
    pub async fn reload(&mut self) -> ctl::ReloadOutcome {
        info!(config = %self.setup.file.display(), "reloading");
        self.systemd.reloading();
        let (checked, diagnostics) = self.checked_config();
        let result = match checked {
            Ok((cfg, source, movers)) => {
                let applied = self.apply_config(cfg, movers).await;
                if applied.is_ok() {
                    self.source = source;
                }
                applied
            }
            Err(e) => Err(e),
        };
        let (applied, message) = match result {
            Ok(summary) => (true, summary),
            Err(e) => {
                let m = format!("reload rejected, the running configuration is kept: {e:#}");
                error!("{m}");
                (false, m)
            }
        };
        self.systemd.ready(self.node.len());
        crate::sys::release_free_heap();
        self.reloads.send_modify(|n| *n += 1);
        ctl::ReloadOutcome {
            applied,
            diagnostics,
            message,
        }
    }

    /// Switches to `cfg` and, with `--mover`, to the `movers` of the mover file read again.
    async fn apply_config(
        &mut self,
        cfg: conf::model::Config,
        movers: Option<Vec<Target>>,
    ) -> Result<String> {
        let (cfg, awaited) = configure::without_awaited(cfg);
        let mut new = configure::configure(&cfg, &self.netlink).await?;
        self.open_sockets(&new)?;
        // While the instances change over, the sockets take the VRIDs of both.
        self.filter_sockets(&new.instances)?;
        let watchers = configure::spawn_watchers(&cfg, &mut new.tracker, &self.reports, &awaited)?;
        self.awaited = awaited;
        let pacer = node::pacing::Pacer::new(&cfg);
        self.dumps = conf::dump_files::dump_files(&cfg, &conf::dump_files::tmp_dir());
        self.fifo.reconfigure(&cfg);
        self.mail.reconfigure(&cfg);
        self.accept_mode.reconfigure(&cfg);
        let summary = self.switch_to(new, pacer, watchers).await;
        if let Some(targets) = movers {
            // After the switch: each mover learns its instance's state as it is now.
            let masters: Vec<String> = (self.node.ids())
                .filter(|&id| self.node.router(id).state() == vrrp::State::Master)
                .map(|id| self.instances[id].name.clone())
                .collect();
            self.movers
                .reconfigure(targets, |name| masters.iter().any(|m| m == name));
        }
        self.mail.reloaded();
        if let Err(e) = self
            .dbus
            .reconfigure(conf::dbus::dbus_service(&cfg), &self.reloads)
        {
            tracing::error!("D-Bus service: {e:#}");
        }
        self.filter_sockets(&[])?;
        let vmac_bases = self
            .instances
            .iter()
            .filter(|i| i.vmac.is_some())
            .map(|i| i.ifname.clone())
            .collect();
        crate::base_sysctls::restore_except(&vmac_bases);
        Ok(summary)
    }

    /// Interface `name` exists again with index `index` (deleted and re-created: a VLAN, a bond,
    /// a hot-plugged card): the running configuration is resolved again, so the instances on
    /// it restart with its new index (sockets, group membership, VIPs, VMAC); the others keep
    /// running untouched. Tried again on the interface's next event if it cannot be yet (no
    /// address to advertise from).
    pub async fn relink(&mut self, name: &str, index: u32) {
        info!(interface = %name, index, "interface re-created: resolving the instances on it again");
        let report = conf::check(
            &self.source,
            &self.setup.file,
            None,
            &conf::Options {
                config_id: self.setup.config_id.clone(),
                cloud: false,
            },
        );
        let cfg = configure::runnable(&report.config);
        match self.apply_config(cfg, None).await {
            Ok(summary) => info!(interface = %name, "{summary}"),
            Err(e) => error!(interface = %name, "instances not restored yet: {e:#}"),
        }
    }

    /// The config file (and with `--mover` the mover file) checked again, with their warnings
    /// and errors; errors that stop them from running are an `Err`.
    fn checked_config(&self) -> (Result<Checked>, Vec<String>) {
        let (report, source) =
            configure::check_on_disk(&self.setup.file, self.setup.config_id.clone());
        let diagnostics: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.to_string())
            .collect();
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            error!("{d}");
        }
        if !report.runnable() {
            let e = anyhow!("the new configuration cannot run (see its diagnostics)");
            return (Err(e), diagnostics);
        }
        let names =
            crate::placement::Names::of(&report.config, self.setup.namespace_override.as_deref());
        if let Some(why) = crate::placement::reload_refusal(&self.setup.names, &names) {
            return (Err(anyhow!("{why}")), diagnostics);
        }
        let cfg = configure::runnable(&report.config);
        if cfg.instances.is_empty() {
            let e = anyhow!("the new configuration has no runnable vrrp_instance");
            return (Err(e), diagnostics);
        }
        let mut diagnostics = diagnostics;
        let movers = match &self.setup.mover {
            Some(path) => match self.checked_movers(path, &report.config, &cfg, &mut diagnostics) {
                Ok(t) => Some(t),
                Err(e) => return (Err(e), diagnostics),
            },
            None => None,
        };
        (Ok((cfg, source, movers)), diagnostics)
    }

    /// The mover file read again and checked against the new configuration (`havip check
    /// --mover`'s checks: its diagnostics join the reload's, its errors are logged and refuse
    /// the reload), and the movers it gives the runnable instances.
    fn checked_movers(
        &self,
        path: &std::path::Path,
        all: &conf::model::Config,
        runnable: &conf::model::Config,
        diagnostics: &mut Vec<String>,
    ) -> Result<Vec<Target>> {
        let (settings, diags) = crate::mover::check(path, all);
        for d in diags.iter().filter(|d| d.severity != Severity::Info) {
            if d.severity == Severity::Error {
                error!("{d}");
            }
            diagnostics.push(d.to_string());
        }
        crate::mover::targets(&settings?, runnable)
    }

    /// Lets each VRRP socket take the VRIDs of the running instances and of `also`; the
    /// others go to its stray counter.
    pub fn filter_sockets(&self, also: &[crate::instance::Instance]) -> Result<()> {
        for ch in Channel::ALL {
            let (family, ah) = (ch.family(), ch == Channel::Ah);
            let Some(sock) = ch.socket(self.sockets()) else {
                continue;
            };
            let ours = self
                .instances
                .iter()
                .chain(also)
                .filter(|i| i.family == family && (!ah || i.ah.is_some()))
                .map(|i| i.vrid)
                .collect();
            sock.serve_only(&ours)
                .with_context(|| format!("{family:?} VRRP socket filter"))?;
        }
        Ok(())
    }

    fn open_sockets(&mut self, new: &Configured) -> Result<()> {
        let mut sockets = [self.sock4.take(), self.sock6.take(), self.sock_ah.take()];
        let opened = crate::startup::open_needed(&new.instances, &mut sockets);
        [self.sock4, self.sock6, self.sock_ah] = sockets;
        opened
    }

    /// Switches to the `new` configuration: what it removes or changes stops, the node and the
    /// instances take the new order (kept instances as they ran), what it adds or changes
    /// starts and the kept instances learn what the new tracking says.
    async fn switch_to(
        &mut self,
        new: Configured,
        pacer: node::pacing::Pacer,
        watchers: Vec<tokio::task::JoinHandle<()>>,
    ) -> String {
        let plan = Plan::new(self.instances.len(), new.instances.len(), |old, n| {
            let (old, n) = (&self.instances[old], &new.instances[n]);
            old.name == n.name && old.identity == n.identity
        });
        // Stop what goes away or changes, while the old tracking still describes it.
        for &id in plan.stopped() {
            info!(instance = %self.instances[id].name, "removed or changed by the reload: stopping");
            let vmac_reused = self.instances[id].vmac.as_ref().is_some_and(|v| {
                new.instances
                    .iter()
                    .any(|n| n.vmac.as_ref().is_some_and(|w| w.name == v.name))
            });
            if vmac_reused {
                self.instances[id].vmac = None;
            }
            self.stop_instance(id).await;
        }
        for w in self.watchers.drain(..) {
            w.abort();
        }
        self.watchers = watchers;
        let running = std::mem::take(&mut self.instances).into_vec();
        self.instances = plan
            .arrange(running, new.instances, keep_instance, start_instance)
            .into();
        self.by_vrid = crate::by_vrid::ByVrid::new(&self.instances);
        self.node.reload(&plan, new.members, new.tracker, pacer);
        // The queues of instances a reload did not keep have ended: forget them.
        self.notify_tasks.retain(|t| !t.is_finished());
        self.notify_tasks.extend(new.notify_tasks);
        let started: Vec<InstanceId> = plan.started().collect();
        for id in self.node.ids() {
            if plan.keeps(id) {
                self.retrack(id).await;
            } else if let Err(e) = self.start_instance(id).await {
                error!("{e:#}");
            }
        }
        let running = self.node.len();
        info!(instances = running, started = started.len(), "reload done");
        format!(
            "reloaded: {running} instance(s) running, {} kept untouched, {} (re)started, {} stopped",
            running - started.len(),
            started.len(),
            plan.stopped().len()
        )
    }
}

/// A running instance the reload keeps, with the new configuration's `auth_hmac` keys and
/// modes and AH key (the sequences and replay marks go on).
fn keep_instance(mut old: Instance, new: Instance) -> Instance {
    old.mib_options = new.mib_options;
    old.adopt_auth(new.auth);
    let before = std::mem::replace(&mut old.ah, new.ah);
    old.adopt_ah(before.as_ref());
    old
}

/// A new or changed instance; a changed one's AH counter goes on from its running self
/// (among the running instances not kept).
fn start_instance(mut new: Instance, running: &[Option<Instance>]) -> Instance {
    let before = running.iter().flatten().find(|o| o.name == new.name);
    new.adopt_ah(before.and_then(|o| o.ah.as_ref()));
    new
}
