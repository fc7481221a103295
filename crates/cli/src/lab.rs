//! `havip lab`: the seed topology in namespaces, drills with measured outages, and the
//! daemons' CPU/memory bench, havipd side by side with keepalived.

use clap::{Args as ClapArgs, Subcommand};
use lab::bench::{self, BenchSpec};
use lab::daemon::Kind;
use lab::drill;
use std::process::ExitCode;

/// `havip lab` arguments.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Subcommand)]
enum LabCommand {
    /// Build the seed's subnet (switch, servers, client) and leave it running.
    Up {
        /// Number of servers.
        #[arg(long, default_value_t = 2)]
        nodes: usize,
    },
    /// Remove a lab (by id), or every lab with --all.
    Down {
        /// Lab id printed by `lab up`.
        id: Option<String>,
        /// Every lab on this machine, including ones left by a crash.
        #[arg(long)]
        all: bool,
    },
    /// List the drill scenarios.
    Scenarios,
    /// Run a drill: the seed pair, a fault, the client's outage.
    Drill {
        /// Scenario name (see `havip lab scenarios`).
        scenario: String,
        /// Daemon on the servers.
        #[arg(long, default_value = "havipd")]
        daemon: Kind,
        /// Run the same drill with this daemon too and print both with their ratio.
        #[arg(long)]
        vs: Option<Kind>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// CPU and memory of havipd and keepalived running N instances on both servers.
    Bench {
        /// Instances per server.
        #[arg(long, default_value_t = 200)]
        instances: u16,
        /// Advert interval in seconds (below 1: VRRPv3).
        #[arg(long, default_value_t = 1.0)]
        advert_int: f64,
        /// Measuring window in seconds.
        #[arg(long, default_value_t = 20.0)]
        window: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn progress(msg: &str) {
    eprintln!("  .. {msg}");
}

fn fail(e: anyhow::Error) -> ExitCode {
    eprintln!("havip lab: {e:#}");
    ExitCode::from(2)
}

/// Runs `havip lab`.
pub fn run(args: &Args) -> ExitCode {
    if !matches!(args.command, LabCommand::Scenarios)
        && let Some(why) = lab::shell::cannot_run(&[])
    {
        eprintln!("havip lab: cannot build namespaces here: {why}");
        return ExitCode::from(2);
    }
    match &args.command {
        LabCommand::Up { nodes } => {
            match lab::topology::Topology::up(&lab::topology::new_id(), *nodes) {
                Ok(t) => {
                    println!("lab {} is up:", t.id);
                    for n in t.servers.iter().chain([&t.client]) {
                        println!("  {} {} (ip netns exec {} ...)", n.name, n.addr, n.ns);
                    }
                    println!("remove it with: havip lab down {}", t.id);
                    t.keep();
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        LabCommand::Down { id, all } => {
            let gone: Vec<String> = match (id, all) {
                (_, true) => lab::topology::down_all(),
                (Some(id), false) => {
                    let prefix = format!("{}{id}", lab::topology::PREFIX);
                    let mine: Vec<String> = lab::topology::leftovers()
                        .into_iter()
                        .filter(|n| n.starts_with(&prefix))
                        .collect();
                    if mine.is_empty() {
                        eprintln!("havip lab: no lab {id} (try `havip lab down --all`)");
                        return ExitCode::from(2);
                    }
                    for ns in &mine {
                        let _ = lab::shell::sh(&format!(
                            "for p in $(ip netns pids {ns}); do kill -9 $p; done; ip netns del {ns}"
                        ));
                    }
                    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&prefix));
                    mine
                }
                (None, false) => {
                    eprintln!("havip lab down: give a lab id or --all");
                    return ExitCode::from(2);
                }
            };
            println!("removed {} namespace(s)", gone.len());
            ExitCode::SUCCESS
        }
        LabCommand::Scenarios => match drill::scenarios() {
            Ok(all) => {
                for s in all {
                    println!("{:<18} {}", s.name, s.description);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        LabCommand::Drill {
            scenario,
            daemon,
            vs,
            json,
        } => {
            let sc = match drill::scenario(scenario) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let mut results = Vec::new();
            for kind in std::iter::once(*daemon).chain(*vs) {
                eprintln!("drill {} with {kind}: {}", sc.name, sc.description);
                match drill::run(&sc, kind, &progress) {
                    Ok(r) => results.push(r),
                    Err(e) => return fail(e),
                }
            }
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&results).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<11} {:>12} {:>10} {:>16} {:>12} {:>8}",
                    "daemon", "outage ms", "outages", "new master s", "dual ms", "holder"
                );
                for r in &results {
                    println!(
                        "{:<11} {:>12.1} {:>10} {:>16} {:>12.1} {:>8}",
                        r.daemon.to_string(),
                        r.worst_outage_ms(),
                        r.outages.len(),
                        r.time_to_new_master
                            .map_or("-".to_string(), |t| format!("{t:.3}")),
                        r.dual_master_ms,
                        r.final_holder.as_deref().unwrap_or("none"),
                    );
                }
                if let [a, b] = results.as_slice()
                    && b.worst_outage_ms() > 0.0
                {
                    println!(
                        "outage ratio {}/{}: {:.3}",
                        a.daemon,
                        b.daemon,
                        a.worst_outage_ms() / b.worst_outage_ms()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        LabCommand::Bench {
            instances,
            advert_int,
            window,
            json,
        } => {
            let spec = BenchSpec {
                instances: *instances,
                advert_int: *advert_int,
                window: *window,
            };
            let mut results = Vec::new();
            for kind in [Kind::Havipd, Kind::Keepalived] {
                match bench::run(&spec, kind, &progress) {
                    Ok(r) => results.push(r),
                    Err(e) => return fail(e),
                }
            }
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&results).unwrap_or_default()
                );
                return ExitCode::SUCCESS;
            }
            println!(
                "{} instances, advert_int {} s, {} s window",
                spec.instances, spec.advert_int, spec.window
            );
            println!(
                "{:<11} {:>12} {:>12} {:>14} {:>14}",
                "daemon", "master CPU%", "backup CPU%", "master RSS KiB", "backup RSS KiB"
            );
            for r in &results {
                println!(
                    "{:<11} {:>12.2} {:>12.2} {:>14} {:>14}",
                    r.daemon.to_string(),
                    r.master_cpu_pct,
                    r.backup_cpu_pct,
                    r.master_rss_kib,
                    r.backup_rss_kib
                );
            }
            if let [h, k] = results.as_slice() {
                let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
                println!(
                    "havipd/keepalived: master CPU {:.2}, backup CPU {:.2}, master RSS {:.2}, backup RSS {:.2}",
                    ratio(h.master_cpu_pct, k.master_cpu_pct),
                    ratio(h.backup_cpu_pct, k.backup_cpu_pct),
                    ratio(h.master_rss_kib as f64, k.master_rss_kib as f64),
                    ratio(h.backup_rss_kib as f64, k.backup_rss_kib as f64)
                );
            }
            ExitCode::SUCCESS
        }
    }
}
