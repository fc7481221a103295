//! `havip lab up` and `havip lab down`: a lab left running, and removed.

use super::fail;
use crate::output::FormatArgs;
use lab::daemon::Kind;
use lab::vpc::Backend;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `havip lab up`.
pub fn up(
    nodes: usize,
    config_dir: Option<&Path>,
    daemon: &str,
    vpc: Option<Backend>,
    out: &FormatArgs,
) -> ExitCode {
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
    let lab = match lab::up::up(nodes, config_dir, &kinds, vpc) {
        Ok(up) => up,
        Err(e) => return fail(e),
    };
    let (t, daemons) = (&lab.topo, &lab.daemons);
    for note in &lab.notes {
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
    let vpc_json = lab.plane.as_ref().map(|p| {
        json!({"backend": vpc.map(|b| b.to_string()), "api": p.api, "havips": p.havips,
               "eip": p.eip, "network_interfaces": p.enis,
               "ovn_nb": lab.fabric.as_ref().map(|f| f.nb().to_string()),
               "ovn_sb": lab.fabric.as_ref().map(|f| f.sb().to_string())})
    });
    if out.is_json() {
        println!("{}", json!({"id": t.id, "hosts": hosts, "vpc": vpc_json}));
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
        if let Some(p) = &lab.plane {
            print_vpc(p, lab.fabric.as_ref());
        }
        println!("remove it with: havip lab down {}", t.id);
    }
    lab.keep();
    ExitCode::SUCCESS
}

/// The VPC around a lab: where its API listens and what it holds.
fn print_vpc(p: &lab::vpc::Plane, fabric: Option<&lab::ovn::Fabric>) {
    let network = match fabric {
        Some(f) => format!(
            "OVN (northbound {}, southbound {}, {} chassis, {} of them gateways)",
            f.nb(),
            f.sb(),
            f.chassis,
            f.gateways
        ),
        None => "havip's userspace switch".to_string(),
    };
    println!("  VPC API {} on {network}", p.api);
    println!(
        "  HAVIPs {}, network interfaces {}",
        p.havips.join(", "),
        p.enis.join(", ")
    );
    if let Some(eip) = &p.eip {
        println!(
            "  EIP {eip} bound to {}",
            p.havips.first().map_or("-", |h| h)
        );
    }
}

/// `havip lab down`.
pub fn down(id: Option<&str>, all: bool, out: &FormatArgs) -> ExitCode {
    let gone: Vec<String> = match (id, all) {
        (_, true) => lab::topology::down_all(),
        (Some(id), false) => {
            let mine = match lab::topology::down_one(id) {
                Ok(gone) => gone,
                Err(e) => {
                    eprintln!("havip lab down: {e:#}");
                    return ExitCode::from(2);
                }
            };
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
