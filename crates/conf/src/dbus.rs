//! keepalived's D-Bus service, typed: `enable_dbus` turns it on, `dbus_service_name` names
//! the bus name it owns (`org.keepalived.Vrrp1` by default). Its object paths start with
//! `/org/keepalived/Vrrp1`, then the top-level `net_namespace` and `instance` names when set.

use crate::diag::{Diagnostic, Severity};
use crate::model::Config;

/// keepalived's default bus name.
pub const DEFAULT_SERVICE_NAME: &str = "org.keepalived.Vrrp1";

/// The D-Bus service a config asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbusService {
    /// The well-known bus name to own.
    pub service_name: String,
    /// Path components after `/org/keepalived/Vrrp1`: the `net_namespace` and `instance`
    /// names, those set, in that order (keepalived's `dbus_object_create_path_vrrp`).
    pub path_prefix: Vec<String>,
}

/// The D-Bus service of `cfg`, or `None` without `enable_dbus`.
pub fn dbus_service(cfg: &Config) -> Option<DbusService> {
    let g = &cfg.global;
    if !g.settings.has("enable_dbus") {
        return None;
    }
    let service_name = g
        .settings
        .str("dbus_service_name")
        .unwrap_or(DEFAULT_SERVICE_NAME)
        .to_string();
    let path_prefix = [g.net_namespace(), g.instance_name()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    Some(DbusService {
        service_name,
        path_prefix,
    })
}

/// Whether `name` is a well-known D-Bus bus name: two or more `.`-separated elements of ASCII
/// letters, digits, `_` and `-`, none empty or starting with a digit, 255 bytes at most.
pub fn is_bus_name(name: &str) -> bool {
    let element = |e: &str| {
        e.chars().next().is_some_and(|c| !c.is_ascii_digit())
            && e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    name.len() <= 255 && name.split('.').count() >= 2 && name.split('.').all(element)
}

/// Warns of a `dbus_service_name` that is not a bus name.
pub fn check(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    let g = &cfg.global.settings;
    let (Some(name), Some(loc)) = (g.str("dbus_service_name"), g.loc("dbus_service_name")) else {
        return;
    };
    if !is_bus_name(name) {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "dbus-service-name",
                loc.clone(),
                name,
                format!("dbus_service_name `{name}` is not a D-Bus bus name: the D-Bus service can own no name"),
            )
            .hint("write dot-separated elements such as org.keepalived.Vrrp1"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Option<DbusService> {
        dbus_service(&crate::check_text(text, &crate::Options::default()).config)
    }

    #[test]
    fn off_unless_enabled_default_name_and_given_name() {
        assert_eq!(of("global_defs {\n router_id a\n}\n"), None);
        let on = of("global_defs {\n enable_dbus\n}\n").expect("on");
        assert_eq!(on.service_name, "org.keepalived.Vrrp1");
        assert!(on.path_prefix.is_empty());
        let named = of("global_defs {\n enable_dbus\n dbus_service_name org.example.V\n}\n");
        assert_eq!(named.expect("on").service_name, "org.example.V");
    }

    #[test]
    fn a_name_that_is_not_a_bus_name_is_warned_of_at_its_line() {
        for good in ["org.keepalived.Vrrp1", "a.b", "org.x-y._z"] {
            assert!(is_bus_name(good), "{good}");
        }
        for bad in ["vrrp", "org..x", "org.1x", ":1.5", "org.x/y", ".org.x"] {
            assert!(!is_bus_name(bad), "{bad}");
        }
        let text = "global_defs {\n enable_dbus\n dbus_service_name org.1bad\n}\n";
        let report = crate::check_text(text, &crate::Options::default());
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.code == "dbus-service-name")
            .expect("a warning");
        assert_eq!(d.location.line, 3, "{d:?}");
    }
}
