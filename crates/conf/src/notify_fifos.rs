//! global_defs' notify FIFOs: `notify_fifo` and `vrrp_notify_fifo` (`PATH [user [group]]`,
//! the owner keepalived gives a FIFO it creates), each with its reader
//! (`notify_fifo_script` / `vrrp_notify_fifo_script`), which keepalived starts with the FIFO's
//! path as its last argument. keepalived writes every line to both; a `vrrp_notify_fifo`
//! naming the same path as `notify_fifo` is ignored, its script with it.
//!
//! Which instances also write their effective priority changes there
//! (`INSTANCE "VI_1" BACKUP_PRIORITY 90`): `notify_priority_changes` of the instance, else of
//! its sync group, else global_defs' `vrrp_notify_priority_changes`.

use crate::model::{Config, Global, ScriptCmd};
use serde::Serialize;

/// One notify FIFO as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotifyFifoConf {
    /// `notify_fifo` or `vrrp_notify_fifo`.
    pub keyword: &'static str,
    /// The FIFO's path.
    pub path: String,
    /// `user [group]` to own a FIFO keepalived creates (else the default script user).
    pub owner: Option<crate::model::RunUser>,
    /// The reader to start, if any.
    pub script: Option<ScriptCmd>,
}

impl Global {
    /// The notify FIFOs to write, the global one first.
    pub fn notify_fifos(&self) -> Vec<NotifyFifoConf> {
        let mut out: Vec<NotifyFifoConf> = Vec::new();
        for keyword in ["notify_fifo", "vrrp_notify_fifo"] {
            let Some((path, owner)) = self.settings.words(keyword).and_then(|w| w.split_first())
            else {
                continue;
            };
            if out.iter().any(|f| f.path == *path) {
                continue;
            }
            out.push(NotifyFifoConf {
                keyword,
                path: path.clone(),
                owner: crate::model::RunUser::from_words(owner),
                script: self.settings.script(&format!("{keyword}_script")).cloned(),
            });
        }
        out
    }
}

impl Config {
    /// Whether instance `name` reports its effective priority changes to the notify FIFOs.
    pub fn notify_priority_changes(&self, name: &str) -> bool {
        let key = "notify_priority_changes";
        let own = self
            .instances
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| i.settings.bool(key));
        let group = || {
            self.sync_groups
                .iter()
                .find(|g| g.members.iter().any(|m| m.name == name))
                .and_then(|g| g.settings.bool(key))
        };
        own.or_else(group)
            .or_else(|| self.global.settings.bool("vrrp_notify_priority_changes"))
            .unwrap_or(false)
    }
}
