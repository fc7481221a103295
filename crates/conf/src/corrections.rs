//! keepalived's own corrections of the config it read, applied to the model as keepalived
//! applies them to its own (so the resolved config, and havipd, run what keepalived runs),
//! each reported at its line as keepalived reports it (`keepalived -t` counts every one):
//! - a `track_interface` naming the instance's own interface is dropped ("Ignoring
//!   track_interface ... since own interface", vrrp.c), whatever its weight;
//! - under strict mode, `state MASTER` must go with priority 255 and the reverse ("State
//!   MASTER must match being address owner": the state follows the priority; strict mode's
//!   dropping of authentication is `legacy_auth`'s, with keepalived's other auth rules);
//! - with no `state`, the state follows the priority (255: MASTER, else BACKUP);
//! - a `virtual_rules` entry without a preference gets 16384, then 16383... per family, in
//!   the order read ("Rule has no preference specified", vrrp_iprule.c).

use crate::diag::{Diagnostic, Severity};
use crate::model::{Config, Instance, Value};

/// keepalived's first automatic rule preference (it counts down from there, per family).
pub const FIRST_RULE_PREFERENCE: u32 = 16384;

/// Applies keepalived's corrections to `cfg`, reporting each.
pub fn apply(cfg: &mut Config, diags: &mut Vec<Diagnostic>) {
    let mut next_preference = [FIRST_RULE_PREFERENCE; 2];
    for i in &mut cfg.instances {
        own_interface_tracks(i, diags);
        let strict = i.strict(&cfg.global);
        state(i, strict, diags);
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

#[cfg(test)]
mod tests {
    use crate::model::InitialState;
    use crate::{Options, check_text};

    fn config(global: &str, body: &str) -> crate::Report {
        check_text(
            &format!(
                "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n \
                 virtual_router_id 5\n{body}\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n"
            ),
            &Options::default(),
        )
    }

    fn codes(r: &crate::Report) -> Vec<&str> {
        r.diagnostics.iter().map(|d| d.code).collect()
    }

    fn effective(r: &crate::Report) -> crate::effective::Effective {
        r.effective().remove(0).expect("runs")
    }

    #[test]
    fn strict_mode_starts_a_non_owner_as_backup_without_authentication() {
        let body = " state MASTER\n priority 150\n authentication {\n  auth_type PASS\n  \
                    auth_pass secret\n }";
        let r = config(" vrrp_strict", body);
        assert_eq!(effective(&r).state, InitialState::Backup);
        assert_eq!(effective(&r).router.auth, vrrp::Auth::None);
        assert!(codes(&r).contains(&"strict-state") && codes(&r).contains(&"auth-strict"));
        assert_eq!(r.config_test_code(), 5);
        // Without strict mode, as written.
        let r = config("", body);
        assert_eq!(effective(&r).state, InitialState::Master);
        assert_ne!(effective(&r).router.auth, vrrp::Auth::None);
        // The owner with state BACKUP starts as MASTER under strict mode.
        let r = config(" vrrp_strict", " state BACKUP\n priority 255");
        assert_eq!(effective(&r).state, InitialState::Master);
    }

    #[test]
    fn no_state_follows_the_priority() {
        assert_eq!(
            effective(&config("", " priority 255")).state,
            InitialState::Master
        );
        assert_eq!(
            effective(&config("", " priority 254")).state,
            InitialState::Backup
        );
    }

    #[test]
    fn own_interface_tracks_are_dropped_whatever_their_weight() {
        let r = config("", " track_interface {\n  eth0 weight -20\n  eth1\n }");
        let names: Vec<&str> = r.config.instances[0]
            .track_interfaces
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["eth1"]);
        assert!(codes(&r).contains(&"track-own-interface"));
        assert_eq!(r.config_test_code(), 5);
    }

    #[test]
    fn rules_without_preference_count_down_from_16384_per_family() {
        let r = config(
            "",
            " virtual_rules {\n  from 10.0.0.1 table 1\n  from 10.0.0.2 table 2 preference 7\n  \
             from 10.0.0.3 table 3\n  from 2001:db8::1 table 4\n }",
        );
        let prios: Vec<Option<u32>> = r.config.instances[0]
            .rules
            .iter()
            .map(|r| r.value.priority)
            .collect();
        assert_eq!(prios, [Some(16384), Some(7), Some(16383), Some(16384)]);
        assert_eq!(
            codes(&r)
                .iter()
                .filter(|c| **c == "rule-no-preference")
                .count(),
            3
        );
    }

    #[test]
    fn a_tracked_route_is_left_out_as_2_2_7_leaves_it_out() {
        // keepalived 2.2.7 has no route tracking ("unknown route keyword track") and installs
        // only the other route (measured in a namespace); 2.4 would say "cannot track route
        // with no interface".
        let r = config(
            "",
            " virtual_routes {\n  10.120.0.0/16 via 192.0.2.254 track\n  \
             10.121.0.0/16 via 192.0.2.254\n }",
        );
        assert_eq!(r.config.instances[0].routes.len(), 1);
        assert!(codes(&r).contains(&"bad-value"));
        assert_eq!(r.config_test_code(), 5);
    }
}
