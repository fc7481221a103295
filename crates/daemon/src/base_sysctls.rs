//! Kernel settings havipd changes on interfaces it does not own: a VMAC's base interface gets
//! keepalived's ARP settings (`arp_ignore`, `arp_filter`, `arp_announce`). The value found is
//! kept the first time a setting is changed and put back when no instance needs the change
//! any more: at exit, and on a reload that leaves no VMAC on that interface (keepalived also
//! restores its base interfaces' settings when it stops).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tracing::{info, warn};

/// (interface, key) -> the value found before havipd changed it. Process-wide, as the
/// settings are.
static FOUND: Mutex<BTreeMap<(String, String), String>> = Mutex::new(BTreeMap::new());

fn found() -> MutexGuard<'static, BTreeMap<(String, String), String>> {
    FOUND.lock().unwrap_or_else(PoisonError::into_inner)
}

fn path(iface: &str, key: &str) -> String {
    format!("/proc/sys/net/ipv4/conf/{iface}/{key}")
}

/// Sets `key` of `iface` to `value`, keeping the value found the first time.
pub fn set(iface: &str, key: &str, value: &str) -> std::io::Result<()> {
    let path = path(iface, key);
    let before = std::fs::read_to_string(&path)?;
    found()
        .entry((iface.to_string(), key.to_string()))
        .or_insert_with(|| before.trim().to_string());
    std::fs::write(&path, value)
}

/// Puts back what was found on every interface not in `in_use`, and forgets it.
pub fn restore_except(in_use: &BTreeSet<String>) {
    let restored: Vec<((String, String), String)> = {
        let mut map = found();
        let (keep, back) = std::mem::take(&mut *map)
            .into_iter()
            .partition(|((iface, _), _)| in_use.contains(iface));
        *map = keep;
        back.into_iter().collect()
    };
    for ((iface, key), value) in restored {
        match std::fs::write(path(&iface, &key), &value) {
            Ok(()) => info!(interface = %iface, key, value, "setting restored"),
            // A base interface that is gone took its settings with it.
            Err(e) => warn!(interface = %iface, key, error = %e, "setting not restored"),
        }
    }
}
