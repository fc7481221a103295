//! `track_bfd` in `vrrp_instance` and `vrrp_sync_group` checked against the `bfd_instance`s
//! as keepalived 2.2.7 checks them.

use crate::build::values;
use crate::diag::{Diagnostic, Severity};
use crate::model::{Config, TrackRef};

/// `track_bfd` references to sessions that do not exist (keepalived ignores them), duplicates
/// within one instance or group (keepalived ignores the second), and weighted references of
/// sync group members (keepalived drops them unless the group has `sync_group_tracking_weight`).
pub fn validate(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    for i in &cfg.instances {
        let group = cfg
            .sync_groups
            .iter()
            .find(|g| g.members.iter().any(|m| m.name == i.name));
        let Some(g) = group.filter(|g| !g.tracking_weight()) else {
            continue;
        };
        for r in &i.track_bfds {
            let weight = r
                .weight
                .or_else(|| cfg.bfd_instances.get(&r.name).map(|b| b.weight))
                .unwrap_or(0);
            if weight != 0 {
                diags.push(Diagnostic::new(
                    Severity::Warning,
                    "sync-group-weight-dropped",
                    r.loc.clone(),
                    r.name.clone(),
                    format!("({}) ignoring tracked bfd {} with weight {weight} due to SYNC group {}", i.name, r.name, g.name),
                ).hint("put the weight on the sync group's track_bfd, or add sync_group_tracking_weight to the group"));
            }
        }
    }
    let owners = cfg
        .instances
        .iter()
        .map(|i| (&i.name, &i.track_bfds))
        .chain(cfg.sync_groups.iter().map(|g| (&g.name, &g.track_bfds)));
    for (owner, refs) in owners {
        for (k, r) in refs.iter().enumerate() {
            if !cfg.bfd_instances.contains_key(&r.name) {
                diags.push(undefined(owner, r, cfg));
            } else if refs[..k].iter().any(|o| o.name == r.name) {
                diags.push(Diagnostic::new(
                    Severity::Warning,
                    "duplicate-reference",
                    r.loc.clone(),
                    r.name.clone(),
                    format!(
                        "({owner}) duplicate track_bfd {}; keepalived ignores this one",
                        r.name
                    ),
                ));
            }
        }
    }
}

fn undefined(owner: &str, r: &TrackRef, cfg: &Config) -> Diagnostic {
    let d = Diagnostic::new(
        Severity::Error,
        "undefined-reference",
        r.loc.clone(),
        r.name.clone(),
        format!(
            "({owner}) track bfd {} not found; keepalived ignores it",
            r.name
        ),
    );
    match values::nearest(&r.name, cfg.bfd_instances.keys().map(String::as_str)) {
        Some(n) => d.hint(format!("did you mean `{n}`?")),
        None => d.hint("define it with `bfd_instance NAME { neighbor_ip ADDRESS }`"),
    }
}
