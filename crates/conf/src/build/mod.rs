//! From the block tree to the typed model, reporting what keepalived would ignore or reject.

pub mod auth_hmac;
mod bfd;
mod instance;
mod lists;
mod status;
mod top_level;
mod track_process;
pub mod values;

use crate::diag::{Diagnostic, Severity};
use crate::keywords::{self, Kind, Table};
use crate::model::{self, Config, Global, Section, Settings, SyncGroup, Value, VrrpScript, Weight};
use crate::tree::Node;
use values::walk;

/// Builds the model from top-level statements.
pub fn build(nodes: &[Node], diags: &mut Vec<Diagnostic>) -> Config {
    let mut cfg = Config::default();
    let mut instance_names = std::collections::HashSet::new();
    let mut unsupported: Vec<&Node> = Vec::new();
    for node in nodes {
        if let Some(row) = keywords::TOP.row(node.key()) {
            status::report(row, node, diags);
            values::deprecated(node, diags);
        }
        match node.key() {
            "global_defs" => global(node, &mut cfg.global, diags),
            "vrrp_script" => vrrp_script(node, &mut cfg, diags),
            "vrrp_instance" => {
                if let Some(i) = instance::build(node, diags) {
                    duplicate(!instance_names.insert(i.name.clone()), node, diags);
                    cfg.instances.push(i);
                }
            }
            "vrrp_sync_group" => {
                if let Some(g) = sync_group(node, diags) {
                    cfg.sync_groups.push(g);
                }
            }
            "track_file" | "vrrp_track_file" => {
                if let Some(mut s) = section(node, &keywords::TRACK_FILE, diags) {
                    type_weight(&mut s.settings, model::FILE_WEIGHT_MAX, diags);
                    duplicate(cfg.track_files.contains_key(&s.name), node, diags);
                    cfg.track_files.insert(s.name.clone(), s);
                }
            }
            "vrrp_track_process" => {
                if let Some(t) = track_process::build(node, diags) {
                    duplicate(cfg.track_processes.contains_key(&t.name), node, diags);
                    cfg.track_processes.insert(t.name.clone(), t);
                }
            }
            "garp_group" => cfg.garp_groups.push(garp_group(node, diags)),
            "static_ipaddress" => cfg.static_addresses.extend(lists::addresses(node, diags)),
            "static_routes" => cfg.static_routes.extend(lists::entries(node)),
            "static_rules" => cfg.static_rules.extend(lists::entries(node)),
            "bfd_instance" => bfd::build(node, &mut cfg, diags),
            "track_group" => {
                section(node, &keywords::TRACK_GROUP, diags);
            }
            key if top_level::is_top_level(key) => {
                top_level::read(node, &mut cfg.global.settings, diags)
            }
            key if keywords::UNSUPPORTED_TOP.contains(&key) => unsupported.push(node),
            key => match keywords::TOP.get(key) {
                Some(Kind::Block) => {}
                Some(kind) => {
                    values::read_value(node, kind, diags);
                }
                None => diags.push(values::unknown("the top level", node, &keywords::TOP)),
            },
        }
    }
    report_unsupported(&unsupported, diags);
    cfg
}

/// A `vrrp_script NAME` block, into `cfg.scripts` (keepalived removes one without `script`).
fn vrrp_script(node: &Node, cfg: &mut Config, diags: &mut Vec<Diagnostic>) {
    if let Some(name) = section_name(node, diags) {
        let mut settings = Settings::default();
        walk(
            "vrrp_script",
            node,
            &keywords::SCRIPT,
            &mut settings,
            diags,
            |_, _| {},
        );
        type_weight(&mut settings, model::SCRIPT_WEIGHT_MAX, diags);
        if !settings.has("script") {
            diags.push(
                Diagnostic::new(
                    Severity::Error,
                    "script-missing",
                    node.name.loc.clone(),
                    node.text(),
                    format!("vrrp_script {name} has no `script`; keepalived removes it"),
                )
                .until(node.last_line()),
            );
            return;
        }
        duplicate(cfg.scripts.contains_key(&name), node, diags);
        cfg.scripts.insert(
            name.clone(),
            VrrpScript {
                name,
                settings,
                loc: node.name.loc.clone(),
            },
        );
    }
}

/// A `garp_group` block.
fn garp_group(node: &Node, diags: &mut Vec<Diagnostic>) -> Section {
    let mut s = Section {
        name: String::new(),
        settings: Settings::default(),
        entries: Vec::new(),
        loc: node.name.loc.clone(),
    };
    let mut entries = Vec::new();
    walk(
        "garp_group",
        node,
        &keywords::GARP_GROUP,
        &mut s.settings,
        diags,
        |b, _| entries.extend(lists::entries(b)),
    );
    s.entries = entries;
    s
}

/// One warning for the IPVS sections havip skips, at the first of them.
fn report_unsupported(unsupported: &[&Node], diags: &mut Vec<Diagnostic>) {
    if let Some(first) = unsupported.first() {
        let kinds: Vec<&str> = {
            let mut k: Vec<&str> = unsupported.iter().map(|n| n.key()).collect();
            k.dedup();
            k
        };
        diags.push(
            Diagnostic::new(Severity::Warning, "not-supported", first.name.loc.clone(), first.text(), format!("{} section(s) of keepalived's IPVS load balancer ({}) are not supported by havip and are skipped", unsupported.len(), kinds.join(", ")))
                .until(first.last_line())
                .hint("run keepalived's checker (or IPVS) separately; havip handles the VRRP side only"),
        );
    }
}

fn global(node: &Node, g: &mut Global, diags: &mut Vec<Diagnostic>) {
    g.loc.get_or_insert_with(|| node.name.loc.clone());
    let mut emails = Vec::new();
    let mut settings = Settings::default();
    walk(
        "global_defs",
        node,
        &keywords::GLOBAL,
        &mut settings,
        diags,
        |b, _| {
            if b.key() == "notification_email" {
                emails.extend(b.children().iter().map(|e| e.name.text.clone()));
            }
        },
    );
    g.settings.0.extend(settings.0);
    g.notification_email.extend(emails);
}

/// The section's name (its first argument), or a diagnostic.
pub(crate) fn section_name(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<String> {
    match node.args.first() {
        Some(a) => Some(a.text.clone()),
        None => {
            diags.push(
                Diagnostic::new(
                    Severity::Error,
                    "missing-name",
                    node.name.loc.clone(),
                    node.text(),
                    format!("`{}` needs a name; the section is ignored", node.key()),
                )
                .until(node.last_line()),
            );
            None
        }
    }
}

/// A section's `weight`, typed once: a number within -`max`..`max`, optionally reversed;
/// anything else is an error (havipd would otherwise apply another weight than the one
/// written) and leaves no weight.
fn type_weight(settings: &mut Settings, max: i64, diags: &mut Vec<Diagnostic>) {
    let Some(setting) = settings.0.get_mut("weight") else {
        return;
    };
    let Value::Words(words) = &setting.value else {
        return;
    };
    match Weight::parse(words, max) {
        Ok(w) => setting.value = Value::Weight(w),
        Err(why) => diags.push(Diagnostic::new(
            Severity::Error,
            "bad-value",
            setting.loc.clone(),
            setting.text.clone(),
            why,
        )),
    }
}

/// A named section of `table`'s keywords. Each line reports its status, unless the
/// section's own line already said the whole section is not done.
fn section(node: &Node, table: &Table, diags: &mut Vec<Diagnostic>) -> Option<Section> {
    let name = section_name(node, diags)?;
    let mut settings = Settings::default();
    let section_done = keywords::TOP
        .row(node.key())
        .is_none_or(|r| r.status == keywords::Status::Done);
    if section_done {
        walk(node.key(), node, table, &mut settings, diags, |_, _| {});
    } else {
        values::walk_quietly(node.key(), node, table, &mut settings, diags);
    }
    Some(Section {
        name,
        settings,
        entries: Vec::new(),
        loc: node.name.loc.clone(),
    })
}

fn sync_group(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<SyncGroup> {
    let name = section_name(node, diags)?;
    let mut g = SyncGroup {
        name,
        members: Vec::new(),
        settings: Settings::default(),
        track_scripts: Vec::new(),
        track_interfaces: Vec::new(),
        track_processes: Vec::new(),
        track_bfds: Vec::new(),
        loc: node.name.loc.clone(),
    };
    let (mut members, mut scripts, mut ifaces) = (Vec::new(), Vec::new(), Vec::new());
    let (mut processes, mut bfds) = (Vec::new(), Vec::new());
    walk(
        "vrrp_sync_group",
        node,
        &keywords::SYNC_GROUP,
        &mut g.settings,
        diags,
        |b, d| match b.key() {
            "group" => members.extend(lists::track_refs(b, 254, d)),
            "track_script" => scripts.extend(lists::track_refs(b, 253, d)),
            "track_interface" => ifaces.extend(lists::track_refs(b, 254, d)),
            "track_process" => processes.extend(lists::track_refs(b, 254, d)),
            "track_bfd" => bfds.extend(lists::track_refs(b, 253, d)),
            _ => {}
        },
    );
    g.track_bfds = bfds;
    (g.members, g.track_scripts, g.track_interfaces) = (members, scripts, ifaces);
    g.track_processes = processes;
    Some(g)
}

fn duplicate(exists: bool, node: &Node, diags: &mut Vec<Diagnostic>) {
    if exists {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "duplicate-name",
            node.name.loc.clone(),
            node.text(),
            format!(
                "a `{}` with this name is already defined; this one replaces it",
                node.key()
            ),
        ));
    }
}
