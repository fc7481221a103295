//! `havip lab up` and `havip lab down`: a lab left running, and removed.

use super::fail;
use crate::output::FormatArgs;
use lab::daemon::Kind;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `havip lab up`.
pub fn up(nodes: usize, config_dir: Option<&Path>, daemon: &str, out: &FormatArgs) -> ExitCode {
    let kinds: Vec<Kind> = if daemon == "none" {
        Vec::new()
    } else {
        match daemon
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<Kind>, String>>()
        {
            Ok(k) => k,
            Err(e) => {
                eprintln!("havip lab: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let (t, daemons, notes) = match lab::up::up(nodes, config_dir, &kinds) {
        Ok(up) => up,
        Err(e) => return fail(e),
    };
    for note in &notes {
        eprintln!("lab: {note}");
    }
    let hosts: Vec<serde_json::Value> = t
        .servers
        .iter()
        .chain([&t.client])
        .enumerate()
        .map(|(k, n)| {
            let d = daemons.get(k);
            json!({"name": n.label, "namespace": n.ns, "interface": n.iface,
                   "ipv4": n.addr, "ipv6": n.addr6,
                   "daemon": d.map(|d| d.kind.to_string()),
                   "log": d.map(|d| d.log.display().to_string())})
        })
        .collect();
    if out.is_json() {
        println!("{}", json!({"id": t.id, "hosts": hosts}));
    } else {
        println!("lab {} is up:", t.id);
        for (k, n) in t.servers.iter().chain([&t.client]).enumerate() {
            let what = daemons.get(k).map_or(String::new(), |d| {
                format!(", {} (log {})", d.kind, d.log.display())
            });
            let v6 = n.addr6.as_ref().map_or(String::new(), |a| format!(" {a}"));
            println!(
                "  {} {} {}{v6} in namespace {}{what}",
                n.label, n.iface, n.addr, n.ns
            );
        }
        println!("remove it with: havip lab down {}", t.id);
    }
    for d in daemons {
        d.detach();
    }
    t.keep();
    ExitCode::SUCCESS
}

/// `havip lab down`.
pub fn down(id: Option<&str>, all: bool, out: &FormatArgs) -> ExitCode {
    let gone: Vec<String> = match (id, all) {
        (_, true) => lab::topology::down_all(),
        (Some(id), false) => {
            let mine = lab::topology::down_one(id);
            if mine.is_empty() {
                eprintln!("havip lab: no lab {id} (try `havip lab down --all`)");
                return ExitCode::from(2);
            }
            mine
        }
        (None, false) => {
            eprintln!("havip lab down: give a lab id or --all");
            return ExitCode::from(2);
        }
    };
    if out.is_json() {
        println!("{}", json!({ "removed": gone }));
    } else {
        println!("removed {} namespace(s)", gone.len());
    }
    ExitCode::SUCCESS
}
