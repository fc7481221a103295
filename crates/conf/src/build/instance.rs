//! `vrrp_instance NAME { ... }`.

use super::lists;
use super::values::walk;
use crate::diag::{Diagnostic, Severity};
use crate::keywords;
use crate::model::{AuthType, Authentication, Instance, Settings};
use crate::tree::Node;

/// Builds one instance (None if it has no name).
pub fn build(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<Instance> {
    let name = super::section_name(node, diags)?;
    let mut i = Instance {
        name,
        loc: node.name.loc.clone(),
        settings: Settings::default(),
        auth: None,
        auth_hmac: None,
        unicast_peers: Vec::new(),
        vips: Vec::new(),
        excluded_vips: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
        track_bfds: Vec::new(),
    };
    let mut settings = Settings::default();
    walk(
        "vrrp_instance",
        node,
        &keywords::INSTANCE,
        &mut settings,
        diags,
        |b, d| match b.key() {
            "authentication" => i.auth = authentication(b, d),
            "auth_hmac" if i.auth_hmac.is_some() => d.push(Diagnostic::new(
                Severity::Warning,
                "duplicate-block",
                b.name.loc.clone(),
                "auth_hmac",
                "a second auth_hmac block; keepalived keeps the first and ignores this one",
            )),
            "auth_hmac" => i.auth_hmac = Some(super::auth_hmac::build(b, d)),
            "unicast_peer" => i.unicast_peers.extend(lists::peers(b, d)),
            "virtual_ipaddress" => i.vips.extend(lists::addresses(b, d)),
            "virtual_ipaddress_excluded" => i.excluded_vips.extend(lists::addresses(b, d)),
            "virtual_routes" => i.routes.extend(lists::routes(b, d)),
            "virtual_rules" => i.rules.extend(lists::rules(b, d)),
            "track_interface" => i.track_interfaces.extend(lists::track_refs(b, 254, d)),
            "track_script" => i.track_scripts.extend(lists::track_refs(b, 253, d)),
            "track_file" => i.track_files.extend(lists::track_refs(b, 254, d)),
            "track_process" => i.track_processes.extend(lists::track_refs(b, 254, d)),
            "track_bfd" => i.track_bfds.extend(lists::track_refs(b, 253, d)),
            _ => {}
        },
    );
    i.settings = settings;
    Some(i)
}

fn authentication(b: &Node, diags: &mut Vec<Diagnostic>) -> Option<Authentication> {
    let mut s = Settings::default();
    walk(
        "authentication",
        b,
        &keywords::AUTHENTICATION,
        &mut s,
        diags,
        |_, _| {},
    );
    let auth_type = match s.str("auth_type") {
        Some("PASS") => AuthType::Pass,
        Some("AH") => AuthType::Ah,
        Some(other) => {
            let loc = s
                .loc("auth_type")
                .cloned()
                .unwrap_or_else(|| b.name.loc.clone());
            diags.push(Diagnostic::new(
                Severity::Error,
                "bad-value",
                loc,
                format!("auth_type {other}"),
                format!(
                    "unknown auth_type `{other}` (PASS or AH); keepalived disables authentication"
                ),
            ));
            return None;
        }
        None => {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "missing-value",
                    b.name.loc.clone(),
                    "authentication",
                    "authentication without auth_type; ignored",
                )
                .until(b.last_line()),
            );
            return None;
        }
    };
    let pass = s.str("auth_pass").map(String::from);
    if let (Some(p), Some(loc)) = (&pass, s.loc("auth_pass"))
        && p.len() > 8
    {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "auth-pass-truncated",
                loc.clone(),
                format!("auth_pass {p}"),
                format!(
                    "auth_pass is {} characters; VRRPv2 carries 8, so only `{}` counts",
                    p.len(),
                    &p[..8]
                ),
            )
            .hint("peers configured with only the first 8 characters interoperate"),
        );
    }
    Some(Authentication {
        auth_type,
        pass,
        loc: b.name.loc.clone(),
    })
}
