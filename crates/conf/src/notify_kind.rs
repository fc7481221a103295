//! The kinds of an instance's notify scripts (`notify_master`, `notify`, ...), typed once so
//! that the daemon matches a state change to its scripts without comparing keywords.

use serde::Serialize;

/// Which `notify*` keyword a script was given under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NotifyKind {
    /// `notify_master`: run on becoming MASTER.
    #[serde(rename = "notify_master")]
    Master,
    /// `notify_backup`: run on becoming BACKUP.
    #[serde(rename = "notify_backup")]
    Backup,
    /// `notify_fault`: run on entering FAULT.
    #[serde(rename = "notify_fault")]
    Fault,
    /// `notify_stop`: run when the instance stops.
    #[serde(rename = "notify_stop")]
    Stop,
    /// `notify`: run on every state change with `INSTANCE NAME STATE PRIORITY`.
    #[serde(rename = "notify")]
    Any,
    /// `notify_master_rx_lower_pri`: a master heard a lower priority's advert.
    #[serde(rename = "notify_master_rx_lower_pri")]
    MasterRxLowerPri,
    /// `notify_deleted`: run when a reload removes the instance.
    #[serde(rename = "notify_deleted")]
    Deleted,
}

impl NotifyKind {
    /// Every kind, in the order `--explain` lists them.
    pub const ALL: [NotifyKind; 7] = [
        NotifyKind::Master,
        NotifyKind::Backup,
        NotifyKind::Fault,
        NotifyKind::Stop,
        NotifyKind::Any,
        NotifyKind::MasterRxLowerPri,
        NotifyKind::Deleted,
    ];

    /// The keyword it is written with.
    pub const fn keyword(self) -> &'static str {
        match self {
            NotifyKind::Master => "notify_master",
            NotifyKind::Backup => "notify_backup",
            NotifyKind::Fault => "notify_fault",
            NotifyKind::Stop => "notify_stop",
            NotifyKind::Any => "notify",
            NotifyKind::MasterRxLowerPri => "notify_master_rx_lower_pri",
            NotifyKind::Deleted => "notify_deleted",
        }
    }

    /// The script kind that runs on `n`, and the state word the generic `notify` script gets
    /// for it (none: `notify` does not run).
    pub fn on(n: vrrp::Notify) -> (NotifyKind, Option<&'static str>) {
        match n {
            vrrp::Notify::Master => (NotifyKind::Master, Some("MASTER")),
            vrrp::Notify::Backup => (NotifyKind::Backup, Some("BACKUP")),
            vrrp::Notify::Fault => (NotifyKind::Fault, Some("FAULT")),
            vrrp::Notify::Stop => (NotifyKind::Stop, Some("STOP")),
            vrrp::Notify::MasterRxLowerPri => (NotifyKind::MasterRxLowerPri, None),
        }
    }
}

impl std::fmt::Display for NotifyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keyword())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_and_print_as_their_keywords() {
        for k in NotifyKind::ALL {
            let json = serde_json::to_string(&k).expect("serializes");
            assert_eq!(json, format!("\"{}\"", k.keyword()));
            assert_eq!(k.to_string(), k.keyword());
        }
    }
}
