//! keepalived's legacy VRRPv2 authentication (`authentication { auth_type PASS|AH; auth_pass }`):
//! when the block applies, and what it does to the instance, in keepalived 2.2.7's order
//! (`vrrp_complete_instance`): strict mode, VRRPv3 (IPv6 runs v3) and a missing `auth_pass`
//! each drop it; `auth_hmac` replaces it; an AH instance other than the address owner cannot
//! start as MASTER ("Initial state master is incompatible with AH authentication - clearing":
//! it must hear a master's sequence number before it sends its own).

use crate::diag::{Diagnostic, Severity};
use crate::family::version;
use crate::model::{AuthType, Config, InitialState, Instance};

/// Why a block that is there does not apply.
enum Dropped {
    Strict,
    V3,
    NoPass,
    Hmac,
}

/// The block, or why it is dropped.
fn resolve(cfg: &Config, i: &Instance) -> Option<Result<(AuthType, String), Dropped>> {
    let a = i.auth.as_ref()?;
    let strict = i.strict(&cfg.global);
    Some(if strict {
        Err(Dropped::Strict)
    } else if version(cfg, i) == 3 {
        Err(Dropped::V3)
    } else if a.pass.as_deref().is_none_or(str::is_empty) {
        Err(Dropped::NoPass)
    } else if i.auth_hmac.is_some() {
        Err(Dropped::Hmac)
    } else {
        Ok((a.auth_type, a.pass.clone().unwrap_or_default()))
    })
}

/// The authentication the instance runs with and its `auth_pass`, if the block applies.
pub fn applies(cfg: &Config, i: &Instance) -> Option<(AuthType, String)> {
    resolve(cfg, i)?.ok()
}

/// The priority keepalived gives the instance: `priority`, else 255 for `state MASTER` (the
/// address owner) and 100 otherwise.
fn base_priority(i: &Instance) -> u8 {
    match i.settings.int("priority") {
        Some(_) => i.priority(),
        None if i.state() == InitialState::Master => vrrp::PRIORITY_OWNER,
        None => i.priority(),
    }
}

/// Whether `state MASTER` is cleared to BACKUP because the instance uses AH.
pub fn clears_master(cfg: &Config, i: &Instance) -> bool {
    i.state() == InitialState::Master
        && base_priority(i) != vrrp::PRIORITY_OWNER
        && matches!(applies(cfg, i), Some((AuthType::Ah, _)))
}

/// The state the instance starts in, after keepalived's AH rule.
pub fn initial_state(cfg: &Config, i: &Instance) -> InitialState {
    if clears_master(cfg, i) {
        InitialState::Backup
    } else {
        i.state()
    }
}

/// The diagnostics of the block (`auth_hmac`'s own are made with it).
pub fn check(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let Some(a) = &i.auth else { return };
    let what = match resolve(cfg, i) {
        Some(Err(Dropped::Strict)) => {
            "strict mode does not support authentication; keepalived ignores the block"
        }
        Some(Err(Dropped::V3)) => "VRRPv3 has no authentication; the block is ignored",
        Some(Err(Dropped::NoPass)) => {
            "authentication without auth_pass; keepalived ignores the block (no authentication)"
        }
        _ => "",
    };
    if !what.is_empty() {
        let code = match resolve(cfg, i) {
            Some(Err(Dropped::V3)) => "auth-v3",
            Some(Err(Dropped::Strict)) => "auth-strict",
            _ => "missing-value",
        };
        diags.push(Diagnostic::new(
            Severity::Warning,
            code,
            a.loc.clone(),
            "authentication",
            format!("({}) {what}", i.name),
        ));
    }
    if clears_master(cfg, i) {
        let loc = i
            .settings
            .loc("state")
            .cloned()
            .unwrap_or_else(|| i.loc.clone());
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "ah-master-cleared",
                loc,
                i.settings.text("state"),
                format!(
                    "({}) initial state MASTER is incompatible with AH authentication; keepalived \
                     clears it and starts as BACKUP (it must hear the master's AH sequence number \
                     before sending its own)",
                    i.name
                ),
            )
            .hint("use `state BACKUP`: the higher priority still takes over after Master_Down_Interval"),
        );
    }
}
