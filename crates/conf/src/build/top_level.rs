//! The settings keepalived reads as top-level statements, outside any block (its
//! `install_keyword_root`): `net_namespace NAME`, `instance NAME`, `use_pid_dir`, ... They are
//! kept with the global settings; written inside `global_defs` keepalived 2.2.7 reports them as
//! unknown keywords and ignores them, and so does havip.

use crate::diag::{Diagnostic, Severity};
use crate::keywords;
use crate::model::{Setting, Settings};
use crate::tree::Node;

/// The keywords keepalived reads only at the top level (their kinds are in
/// [`keywords::TOP`]).
pub const TOP_LEVEL_SETTINGS: &[&str] = &[
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "child_wait_time",
];

/// Those of them keepalived takes once: a second one is ignored (its "Duplicate ...").
const FIRST_WINS: &[&str] = &["net_namespace", "net_namespace_ipvs", "instance"];

/// Whether `key` is a top-level setting.
pub fn is_top_level(key: &str) -> bool {
    TOP_LEVEL_SETTINGS.contains(&key)
}

/// Reads a top-level setting statement into `settings`.
pub fn read(node: &Node, settings: &mut Settings, diags: &mut Vec<Diagnostic>) {
    let key = node.key();
    let Some(kind) = keywords::TOP.get(key) else {
        return;
    };
    if FIRST_WINS.contains(&key) && settings.has(key) {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "duplicate-keyword",
            node.name.loc.clone(),
            node.text(),
            format!("a second `{key}`: keepalived keeps the first one and ignores this one"),
        ));
        return;
    }
    if let Some(value) = super::values::read_value(node, kind, diags) {
        settings.0.insert(
            key.to_string(),
            Setting {
                value,
                loc: node.name.loc.clone(),
                text: node.text(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    fn check(text: &str) -> crate::Report {
        crate::check::check_text(text, &crate::Options::default())
    }

    const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n";

    #[test]
    fn net_namespace_and_instance_are_read_at_the_top_level() {
        let r = check(&format!(
            "net_namespace blue\ninstance one\nuse_pid_dir\nglobal_defs {{\n router_id a\n}}\n{INSTANCE}"
        ));
        let g = &r.config.global;
        assert_eq!(g.net_namespace(), Some("blue"));
        assert_eq!(g.instance_name(), Some("one"));
        assert!(g.use_pid_dir());
        assert!(
            !r.diagnostics.iter().any(|d| d.code == "unknown-keyword"),
            "{:?}",
            r.diagnostics
        );
    }

    #[test]
    fn inside_global_defs_they_are_unknown_as_keepalived_says() {
        let r = check(&format!(
            "global_defs {{\n net_namespace blue\n instance one\n}}\n{INSTANCE}"
        ));
        assert_eq!(r.config.global.net_namespace(), None);
        assert_eq!(r.config.global.instance_name(), None);
        let unknown: Vec<u32> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "unknown-keyword")
            .map(|d| d.location.line)
            .collect();
        assert_eq!(unknown, [2, 3]);
    }

    #[test]
    fn the_first_namespace_wins() {
        let r = check(&format!(
            "net_namespace blue\nnet_namespace red\n{INSTANCE}"
        ));
        assert_eq!(r.config.global.net_namespace(), Some("blue"));
        let d = r
            .diagnostics
            .iter()
            .find(|d| d.code == "duplicate-keyword")
            .expect("a diagnostic for the second one");
        assert_eq!(d.location.line, 2);
    }
}
