//! `havip lab`: the seed topology in namespaces, drills with measured outages, and the
//! daemons' CPU/memory bench, havipd side by side with keepalived.

use clap::{Args as ClapArgs, Subcommand};
use lab::bench::{self, BenchSpec};
use lab::daemon::Kind;
use lab::drill::{self, DrillResult};
use std::process::ExitCode;

mod repeat;

/// `havip lab` arguments.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Subcommand)]
enum LabCommand {
    /// Build the seed's subnet (switch, servers, client) with daemons, and leave it running.
    Up {
        /// Number of servers (the seed pair is 2).
        #[arg(long, default_value_t = 2)]
        nodes: usize,
        /// Run these keepalived.conf files (one server each, named by file, sorted) instead
        /// of the seed pair, placed on a subnet derived from their addresses and VIPs.
        #[arg(long, value_name = "DIR")]
        config_dir: Option<std::path::PathBuf>,
        /// Daemon on the servers: one for all, a comma list per server, or `none`.
        #[arg(long, default_value = "havipd")]
        daemon: String,
    },
    /// Remove a lab (by id), or every lab with --all.
    Down {
        /// Lab id printed by `lab up`.
        id: Option<String>,
        /// Every lab on this machine, including ones left by a crash.
        #[arg(long)]
        all: bool,
    },
    /// List the drill scenarios (with --scenario-file: check the file and list its own).
    Scenarios {
        /// Scenarios of your own, in the built-in format (one object or an array).
        #[arg(long, value_name = "FILE")]
        scenario_file: Option<std::path::PathBuf>,
    },
    /// Run a drill: the seed pair, a fault, the client's outage.
    Drill {
        /// Scenario name (see `havip lab scenarios`).
        scenario: String,
        /// Look SCENARIO up in this file first (the built-in format; checked whole before
        /// anything runs).
        #[arg(long, value_name = "FILE")]
        scenario_file: Option<std::path::PathBuf>,
        /// Drill these keepalived.conf files (one server each, named by file) instead of the
        /// seed pair; steps name servers by those names, and the built-in scenarios' `a` and
        /// `b` are the first VIP's master once elected and another server.
        #[arg(long, value_name = "DIR")]
        config_dir: Option<std::path::PathBuf>,
        /// Drill inside the HAVIP VPC: control and data plane started, a HAVIP per VIP created
        /// through the API with the servers associated, an EIP bound to the first; probes from
        /// the client and from the public side through the EIP; the binding's move time from
        /// the control plane's history.
        #[arg(long)]
        vpc: bool,
        /// Daemon on the servers: one name for both, or `PRIMARY,SECONDARY` for a mixed pair.
        #[arg(long, default_value = "havipd")]
        daemon: String,
        /// Run the same drill with this daemon too and print both with their ratio.
        #[arg(long)]
        vs: Option<Kind>,
        /// Run in the simulator (virtual time; the default without root).
        #[arg(long)]
        sim: bool,
        /// Where to write the SVG timeline.
        #[arg(long, default_value = "drill.svg")]
        svg: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Run the drill N times in one lab (with --vs, the daemons take turns) and report
        /// each daemon's distribution: p50/p90/p99/max of outage, takeover, lost requests,
        /// split brain; the SVG shows their CDFs.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        repeat: u32,
        /// With --repeat: write every run as a CSV row to FILE.
        #[arg(long, value_name = "FILE", requires = "repeat")]
        csv: Option<std::path::PathBuf>,
    },
    /// Time from a GARP frame to the VPC's new HAVIP binding (p50/p99), in a VPC lab.
    GarpBench {
        /// GARPs to send, alternately from the two servers.
        #[arg(long, default_value_t = 200)]
        count: usize,
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
        /// Sign and verify every advert with auth_hmac (enforce).
        #[arg(long)]
        auth_hmac: bool,
        /// The daemon to compare with (default keepalived, or keepalived-2.4 with --auth-hmac).
        #[arg(long)]
        vs: Option<Kind>,
    },
}

fn progress(msg: &str) {
    eprintln!("  .. {msg}");
}

/// A progress bar on standard error while a drill probes (only on a terminal).
fn tick(elapsed: f64, total: f64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_TENTH: AtomicU64 = AtomicU64::new(u64::MAX);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    let tenth = (elapsed * 10.0) as u64;
    if LAST_TENTH.swap(tenth, Ordering::Relaxed) == tenth {
        return;
    }
    let width = 30;
    let done = ((elapsed / total).clamp(0.0, 1.0) * width as f64) as usize;
    eprint!(
        "\r  [{}{}] {elapsed:>5.1} / {total:.1} s",
        "#".repeat(done),
        ".".repeat(width - done)
    );
}

fn end_tick() {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    eprintln!("havip lab: {e:#}");
    ExitCode::from(2)
}

/// `havipd`, `keepalived`, or `PRIMARY,SECONDARY`.
fn parse_pair(s: &str) -> Result<[Kind; 2], String> {
    let parts: Vec<&str> = s.split(',').collect();
    match parts.as_slice() {
        [one] => {
            let k: Kind = one.parse()?;
            Ok([k, k])
        }
        [a, b] => Ok([a.parse()?, b.parse()?]),
        _ => Err(format!(
            "--daemon {s}: give one daemon or PRIMARY,SECONDARY"
        )),
    }
}

fn print_drill(results: &[DrillResult]) {
    println!(
        "{:<20} {:>10} {:>8} {:>13} {:>9} {:>9} {:>12} {:>7}",
        "daemon",
        "outage ms",
        "outages",
        "new master s",
        "lost tcp",
        "changes",
        "split ms",
        "holder"
    );
    for r in results {
        println!(
            "{:<20} {:>10.1} {:>8} {:>13} {:>9} {:>9} {:>12.1} {:>7}",
            r.daemon,
            r.worst_outage_ms(),
            r.outages.len(),
            r.time_to_new_master
                .map_or("-".to_string(), |t| format!("{t:.3}")),
            format!("{}/{}", r.lost_requests(), r.requests.len()),
            r.transitions(),
            r.dual_master_ms(),
            r.final_holder.as_deref().unwrap_or("none"),
        );
    }
    for r in results {
        if let Some(v) = &r.vpc {
            println!(
                "{}: through the EIP {}: worst outage {:.1} ms ({} outages); binding moved {} after the first fault ({} moves)",
                r.daemon,
                v.eip,
                v.worst_eip_outage_ms(),
                v.eip_outages.len(),
                v.binding_move
                    .map_or("never".to_string(), |t| format!("{t:.3} s")),
                v.binding_moves.len()
            );
        }
        if r.stolen_seconds > 0.0 {
            println!(
                "{}: the attacker held the VIP alone for {:.1} s",
                r.daemon, r.stolen_seconds
            );
        }
        for (instance, counters) in &r.auth_rejections {
            println!("{}: {instance} auth_hmac rejections {counters}", r.daemon);
        }
    }
    if let [a, b] = results
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

/// Runs `havip lab`.
pub fn run(args: &Args) -> ExitCode {
    let simulated = matches!(&args.command, LabCommand::Drill { sim: true, .. });
    if !matches!(args.command, LabCommand::Scenarios { .. })
        && !simulated
        && let Some(why) = lab::shell::cannot_run(&[])
    {
        if let LabCommand::Drill { .. } = &args.command {
            eprintln!("havip lab: no namespaces here ({why}): running in the simulator instead");
            return drill(args, true);
        }
        eprintln!("havip lab: cannot build namespaces here: {why}");
        return ExitCode::from(2);
    }
    match &args.command {
        LabCommand::Up {
            nodes,
            config_dir,
            daemon,
        } => {
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
            match lab::up::up(*nodes, config_dir.as_deref(), &kinds) {
                Ok((t, daemons, notes)) => {
                    for note in &notes {
                        eprintln!("lab: {note}");
                    }
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
                    for d in daemons {
                        d.detach();
                    }
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
        LabCommand::Scenarios { scenario_file } => {
            match scenario_file.as_deref().map_or_else(drill::scenarios, |f| {
                lab::scenario_file::load(f, &lab::scenario_file::SEED)
            }) {
                Ok(all) => {
                    for s in all {
                        println!("{:<18} {}", s.name, s.description);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        LabCommand::Drill { sim, .. } => drill(args, *sim),
        LabCommand::GarpBench { count } => match lab::vpc::garp_bench(*count) {
            Ok(ms) => {
                println!(
                    "{} GARPs: GARP frame -> new binding p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    ms.len(),
                    lab::spread::percentile(&ms, 50.0),
                    lab::spread::percentile(&ms, 99.0),
                    lab::spread::percentile(&ms, 100.0)
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        LabCommand::Bench {
            instances,
            advert_int,
            window,
            json,
            auth_hmac,
            vs,
        } => {
            let spec = BenchSpec {
                instances: *instances,
                advert_int: *advert_int,
                window: *window,
                auth_hmac: *auth_hmac,
            };
            let other = vs.unwrap_or(if *auth_hmac {
                Kind::Keepalived24
            } else {
                Kind::Keepalived
            });
            if *auth_hmac && other == Kind::Keepalived {
                return fail(anyhow::anyhow!(
                    "--auth-hmac needs keepalived 2.4 to compare with: Debian's keepalived 2.2.7 has no auth_hmac (use --vs keepalived-2.4)"
                ));
            }
            let mut results = Vec::new();
            for kind in [Kind::Havipd, other] {
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
                "{} instances, advert_int {} s, {} s window{}",
                spec.instances,
                spec.advert_int,
                spec.window,
                if spec.auth_hmac { ", auth_hmac" } else { "" }
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

/// `havip lab drill`, in namespaces or (`simulated`) in the simulator.
fn drill(args: &Args, simulated: bool) -> ExitCode {
    let LabCommand::Drill {
        scenario,
        scenario_file,
        config_dir,
        vpc,
        daemon,
        vs,
        svg,
        json,
        repeat,
        csv,
        ..
    } = &args.command
    else {
        return ExitCode::from(2);
    };
    if simulated && (config_dir.is_some() || *vpc) {
        eprintln!(
            "havip lab: --config-dir and --vpc need namespaces: the simulator runs the seed pair on a bridge"
        );
        return ExitCode::from(2);
    }
    let mut setup = match config_dir {
        Some(dir) => match drill::Setup::from_dir(dir) {
            Ok(s) => s,
            Err(e) => return fail(e),
        },
        None => drill::Setup::seed(),
    };
    setup.vpc = *vpc;
    for note in &setup.cluster.notes {
        eprintln!("lab: {note}");
    }
    let names = setup.server_names();
    let configs = setup.cluster.configs();
    let cx = lab::scenario_file::Context {
        servers: &names.iter().map(String::as_str).collect::<Vec<_>>(),
        configs: &configs.iter().map(String::as_str).collect::<Vec<_>>(),
    };
    let sc = match lab::scenario_file::find(scenario, scenario_file.as_deref(), &cx) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let first = match parse_pair(daemon) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("havip lab: {e}");
            return ExitCode::from(2);
        }
    };
    if *repeat > 1 || csv.is_some() {
        if simulated {
            eprintln!(
                "havip lab: --repeat needs namespaces: the simulator gives the same run every time"
            );
            return ExitCode::from(2);
        }
        let pairs: Vec<[Kind; 2]> = std::iter::once(first).chain(vs.map(|k| [k, k])).collect();
        let out = repeat::Outputs {
            svg,
            csv: csv.as_deref(),
            json: *json,
        };
        return repeat::run(&setup, &sc, &pairs, *repeat as usize, &out);
    }
    let mut results = Vec::new();
    if simulated {
        eprintln!(
            "drill {} in the simulator (virtual time): {}",
            sc.name, sc.description
        );
        if vs.is_some() {
            eprintln!("  (--vs needs namespaces: the simulator runs havipd's state machine only)");
        }
        match lab::sim::run(&sc) {
            Ok(r) => results.push(r),
            Err(e) => return fail(e),
        }
    } else {
        for kinds in std::iter::once(first).chain(vs.map(|k| [k, k])) {
            eprintln!(
                "drill {} with {}: {}",
                sc.name,
                drill::pair_label(kinds),
                sc.description
            );
            match drill::run_on(&setup, &sc, kinds, &progress, &tick) {
                Ok(r) => {
                    end_tick();
                    results.push(r)
                }
                Err(e) => {
                    end_tick();
                    return fail(e);
                }
            }
        }
    }
    if let Err(e) = std::fs::write(svg, lab::svg::render(&results)) {
        eprintln!("havip lab: writing {}: {e}", svg.display());
        return ExitCode::from(2);
    }
    if *json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).unwrap_or_default()
        );
    } else {
        if simulated {
            println!("(simulated: virtual time, the simulator's view of the client)");
        }
        print_drill(&results);
        println!("timeline: {}", svg.display());
    }
    ExitCode::SUCCESS
}
