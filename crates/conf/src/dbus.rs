//! keepalived's D-Bus service, typed: `enable_dbus` turns it on, `dbus_service_name` names
//! the bus name it owns (`org.keepalived.Vrrp1` by default). Its object paths start with
//! `/org/keepalived/Vrrp1`, then the top-level `net_namespace` and `instance` names when set.

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
}
