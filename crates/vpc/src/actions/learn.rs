//! Bindings learned from the network ([`Learned`]): a GARP from an ENI's port moves a HAVIP
//! only by the cloud's rules (a HAVIP of the sender's subnet, CheckAssociate, the per-ENI
//! quota: [`garp_move`]); a virtual port OVN says is claimed records its holder as OVN has
//! it ([`claimed`]). Nothing here writes: the service stores the changes.

use crate::backend::Learned;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::model::{BindingEvent, GarpForm, HaVip, HavipState, NetworkInterface};

/// Why a GARP did not move a HAVIP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No HAVIP has this address in the sender's subnet: a plain private IP is never moved.
    NotAHaVip,
    /// CheckAssociate is on and the sender is not associated.
    NotAssociated,
    /// The sender already holds the most HAVIPs an ENI may.
    EniLimit(usize),
}

impl Refusal {
    /// The refusal as the data plane reads it, for a GARP of `vip` from `eni`.
    pub fn explain(&self, eni: &str, vip: &str) -> String {
        match self {
            Refusal::NotAHaVip => format!("{vip} is not a HAVIP of {eni}'s subnet"),
            Refusal::NotAssociated => {
                format!("{eni} is not associated with the HAVIP {vip} (CheckAssociate)")
            }
            Refusal::EniLimit(n) => format!("{eni} already holds {n} HAVIPs, the most an ENI may"),
        }
    }
}

/// The changes `learned` calls for on `cloud` (none: nothing moves), or why a GARP is
/// refused (the outer error: the sender is not an ENI the VPC knows).
pub fn changes_for(
    cloud: &Cloud,
    learned: &Learned,
) -> Result<Result<Vec<Change>, String>, ApiError> {
    match learned {
        Learned::Garp { eni, vip, form } => {
            let sender = cloud
                .enis
                .get(eni)
                .ok_or_else(|| ApiError::not_found("network interface", eni))?;
            Ok(garp_move(cloud, sender, vip, *form).map_err(|r| r.explain(eni, vip)))
        }
        Learned::Claimed { havip, parent } => Ok(Ok(claimed(cloud, havip, parent.as_deref()))),
    }
}

/// A GARP from `eni` announced `vip`: the changes that move the HAVIP there (none if it is
/// already there), or why not.
pub fn garp_move(
    cloud: &Cloud,
    eni: &NetworkInterface,
    vip: &str,
    form: GarpForm,
) -> Result<Vec<Change>, Refusal> {
    let h = cloud
        .havip_with_vip(&eni.subnet_id, vip)
        .ok_or(Refusal::NotAHaVip)?;
    if h.network_interface_id == eni.network_interface_id {
        return Ok(Vec::new());
    }
    if !h.admits(eni) {
        return Err(Refusal::NotAssociated);
    }
    let held = cloud
        .havips
        .values()
        .filter(|x| x.network_interface_id == eni.network_interface_id)
        .count();
    if held >= cloud.quotas.havips_per_eni {
        return Err(Refusal::EniLimit(held));
    }
    let reason = format!("GARP ({form}) from {}", eni.network_interface_id);
    Ok(bind(h, Some(eni), reason))
}

/// OVN says the virtual port of `havip` is claimed by `parent` (`None`: by nobody): the
/// changes that record it, none if it is recorded already, the port is not a HAVIP's, or the
/// parent is not one of the VPC's ENIs (not reported as a holder).
pub fn claimed(cloud: &Cloud, havip: &str, parent: Option<&str>) -> Vec<Change> {
    let Some(h) = cloud.havips.get(havip) else {
        return Vec::new();
    };
    let parent = parent.unwrap_or_default();
    if parent == h.network_interface_id {
        return Vec::new();
    }
    match cloud.enis.get(parent) {
        Some(eni) => bind(
            h,
            Some(eni),
            format!("OVN: {parent} claimed the virtual port"),
        ),
        None if parent.is_empty() => bind(h, None, "OVN: the virtual port has no parent".into()),
        None => Vec::new(),
    }
}

/// The changes that record `h` as held by `eni` (by nobody: `None`) now, for `reason`: the
/// HAVIP's binding and flush time, and a line of its history.
pub fn bind(h: &HaVip, eni: Option<&NetworkInterface>, reason: String) -> Vec<Change> {
    let now = now_string();
    let mut moved = h.clone();
    moved.network_interface_id = eni.map_or_else(String::new, |e| e.network_interface_id.clone());
    moved.instance_id = eni.map_or("", |e| e.instance_id()).to_string();
    moved.state = HavipState::Available;
    moved.flushed_time = now.clone();
    vec![
        Change::History(BindingEvent {
            ha_vip_id: moved.ha_vip_id.clone(),
            time: now,
            network_interface_id: moved.network_interface_id.clone(),
            instance_id: moved.instance_id.clone(),
            reason,
            unix_time: crate::cloud::unix_now(),
        }),
        Change::HaVip(moved),
    ]
}
