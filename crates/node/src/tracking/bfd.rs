//! Which `track_bfd` references an instance follows, with their weights.

use super::{Item, Object};
use conf::model::{Config, Instance};

/// `track_bfd` as keepalived 2.2.7 takes it (`vrrp_complete_instance`, sync group setup): an
/// instance's weighted references are dropped when it is in a sync group without
/// `sync_group_tracking_weight`; a sync group's references keep their weight.
pub(super) fn items(
    cfg: &Config,
    inst: &Instance,
    group: Option<&conf::model::SyncGroup>,
) -> Vec<Item> {
    let drop_weighted = group.is_some_and(|g| !g.tracking_weight());
    let own = inst.track_bfds.iter().map(|r| (r, drop_weighted));
    let of_group = group.iter().flat_map(|g| &g.track_bfds).map(|r| (r, false));
    let mut items: Vec<Item> = Vec::new();
    for (r, drop_weighted) in own.chain(of_group) {
        let Some(b) = cfg.bfd_instances.get(&r.name) else {
            continue;
        };
        let weight = r.weight.unwrap_or(b.weight);
        let name = Object::Bfd(r.name.clone());
        if (drop_weighted && weight != 0) || items.iter().any(|i| i.object == name) {
            continue;
        }
        items.push(Item {
            object: name,
            weight,
            reverse: r.reverse.unwrap_or(b.reverse),
        });
    }
    items
}
