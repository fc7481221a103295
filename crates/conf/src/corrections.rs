//! keepalived's own corrections of the config it read, applied to the model as keepalived
//! applies them to its own (so the resolved config, and havipd, run what keepalived runs),
//! each reported at its line as keepalived reports it (`keepalived -t` counts every one):
//! - a `track_interface` naming the instance's own interface is dropped ("Ignoring
//!   track_interface ... since own interface", vrrp.c), whatever its weight;
//! - under strict mode, `state MASTER` must go with priority 255 and the reverse ("State
//!   MASTER must match being address owner": the state follows the priority), and
//!   authentication is dropped ("Strict mode does not support authentication");
//! - with no `state`, the state follows the priority (255: MASTER, else BACKUP);
//! - a `virtual_rules` entry without a preference gets 16384, then 16383... per family, in
//!   the order read ("Rule has no preference specified", vrrp_iprule.c).

use crate::diag::{Diagnostic, Severity};
use crate::model::{Config, Instance, Value};

/// keepalived's first automatic rule preference (it counts down from there, per family).
pub const FIRST_RULE_PREFERENCE: u32 = 16384;

/// Applies keepalived's corrections to `cfg`, reporting each.
pub fn apply(cfg: &mut Config, diags: &mut Vec<Diagnostic>) {
    let strict_everywhere = cfg.global.settings.has("vrrp_strict");
    let mut next_preference = [FIRST_RULE_PREFERENCE; 2];
    for i in &mut cfg.instances {
        own_interface_tracks(i, diags);
        let strict = i.settings.bool("strict_mode").unwrap_or(strict_everywhere);
        state(i, strict, diags);
        if strict {
            strict_auth(i, diags);
        }
        rule_preferences(i, &mut next_preference, diags);
    }
}

fn own_interface_tracks(i: &mut Instance, diags: &mut Vec<Diagnostic>) {
    let Some(own) = i.interface().map(str::to_string) else {
        return;
    };
    let name = i.name.clone();
    i.track_interfaces.retain(|t| {
        if t.name != own {
            return true;
        }
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "track-own-interface",
                t.loc.clone(),
                t.name.clone(),
                format!("({name}) ignoring track_interface {own} since own interface"),
            )
            .hint("the instance already follows its own interface: a failure is FAULT, whatever the weight; remove the entry"),
        );
        false
    });
}

/// The state keepalived starts the instance in: `state` when given (corrected under strict
/// mode), else from the priority.
fn state(i: &mut Instance, strict: bool, diags: &mut Vec<Diagnostic>) {
    let owner = i.priority() == 255;
    let wanted = if owner { "MASTER" } else { "BACKUP" };
    let Some(setting) = i.settings.0.get_mut("state") else {
        if owner {
            let loc = i.loc.clone();
            i.settings.0.insert(
                "state".into(),
                crate::model::Setting {
                    value: Value::Str(wanted.into()),
                    loc,
                    text: String::new(),
                },
            );
        }
        return;
    };
    let master = matches!(&setting.value, Value::Str(s) if s == "MASTER");
    if strict && master != owner {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "strict-state",
                setting.loc.clone(),
                setting.text.clone(),
                format!(
                    "({}) State MASTER must match being address owner: under strict mode \
                     keepalived starts it as {wanted}",
                    i.name
                ),
            )
            .hint("strict mode (RFC 5798): only the address owner (priority 255) starts as MASTER"),
        );
        setting.value = Value::Str(wanted.into());
    }
}

fn strict_auth(i: &mut Instance, diags: &mut Vec<Diagnostic>) {
    if let Some(a) = i.auth.take() {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "strict-auth",
                a.loc.clone(),
                "authentication",
                format!(
                    "({}) strict mode does not support authentication; keepalived ignores it",
                    i.name
                ),
            )
            .hint("remove the authentication block, or strict mode"),
        );
    }
}

fn rule_preferences(i: &mut Instance, next: &mut [u32; 2], diags: &mut Vec<Diagnostic>) {
    for r in &mut i.rules {
        if r.value.priority.is_some() {
            continue;
        }
        let counter = &mut next[usize::from(r.value.ipv6)];
        r.value.priority = Some(*counter);
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "rule-no-preference",
                r.loc.clone(),
                "",
                format!(
                    "rule has no preference; keepalived sets {} (probably not what you want)",
                    *counter
                ),
            )
            .hint("give each rule a `preference`"),
        );
        *counter = counter.saturating_sub(1);
    }
}
