//! `havip lab`: the seed topology (or the operator's configs) in namespaces, drills with
//! measured outages, chaos, and the daemons' CPU/memory bench, havipd side by side with
//! keepalived.

use crate::output::{FormatArgs, ResultsArgs};
use clap::{Args as ClapArgs, Subcommand};
use lab::daemon::Kind;
use lab::drill;
use serde_json::json;
use std::process::ExitCode;

mod bench;
mod chaos;
mod chaos_sim;
mod drill_cmd;
mod repeat;
mod updown;

/// `havip lab` arguments.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: LabCommand,
    #[command(flatten)]
    output: FormatArgs,
    #[command(flatten)]
    results: ResultsArgs,
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
        /// Inside the HAVIP VPC on BACKEND (`userspace`, the default, or `ovn`: a central
        /// node and two chassis, the servers on different chassis): the control plane's API
        /// is printed, a HAVIP per VIP and an EIP created through it.
        #[arg(long, value_name = "BACKEND", num_args = 0..=1, default_missing_value = "userspace")]
        vpc: Option<lab::vpc::Backend>,
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
        /// Check the file's steps against the servers of these configs, not the seed pair.
        #[arg(long, value_name = "DIR", requires = "scenario_file")]
        config_dir: Option<std::path::PathBuf>,
    },
    /// Run a drill: the servers, a fault, the client's outage.
    Drill(drill_cmd::DrillArgs),
    /// Shake the cluster: faults drawn by seed, invariants checked all along, a violation
    /// saved as a scenario that replays it.
    Chaos(chaos::ChaosArgs),
    /// Time from a GARP frame to forwarding switched and to the control plane's stored binding
    /// (p50/p99), in a VPC lab.
    GarpBench {
        /// GARPs to send, alternately from the two servers.
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Then as many on OVN (two chassis): from the frame to OVN's southbound record of
        /// the claim, beside the userspace VPC's figures.
        #[arg(long)]
        ovn: bool,
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
        /// Sign and verify every advert with auth_hmac (enforce).
        #[arg(long)]
        auth_hmac: bool,
        /// The daemon to compare with (default keepalived, or keepalived-2.4 with --auth-hmac).
        #[arg(long)]
        vs: Option<Kind>,
        /// Enable these for both daemons: `snmp` (AgentX subagent of an snmpd the bench
        /// starts, all three MIBs, traps), `dbus` (on a bus the bench starts), `bfd` (a
        /// session between the servers, 50 ms, tracked by every instance); checked live
        /// before and after the window. E.g. `--with snmp,dbus,bfd`.
        #[arg(long = "with", value_name = "FEATURES")]
        with: Option<lab::bench_features::Features>,
        /// `vrrp_rt_priority N` (SCHED_RR, 1-99) for both daemons: on a machine so loaded
        /// that the backup side misses adverts under ordinary scheduling.
        #[arg(long, value_name = "N")]
        rt_priority: Option<u8>,
        /// Runs of both daemons; the ratios reported are the median of the runs'.
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// Instead: find how many instances each daemon runs at --advert-int on one core
        /// before its adverts slip past 1 ms of their schedule (each count measured for
        /// --window seconds).
        #[arg(long, conflicts_with_all = ["instances", "auth_hmac", "runs", "with", "rt_priority"])]
        find_capacity: bool,
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

/// Runs `havip lab`.
pub fn run(args: &Args) -> ExitCode {
    let simulated = matches!(&args.command, LabCommand::Drill(d) if d.sim)
        || matches!(&args.command, LabCommand::Chaos(c) if c.sim);
    if !matches!(args.command, LabCommand::Scenarios { .. })
        && !simulated
        && let Some(why) = hostcheck::cannot_run(&[])
    {
        if let LabCommand::Drill(d) = &args.command {
            eprintln!("havip lab: no namespaces here ({why}): running in the simulator instead");
            return drill_cmd::run(d, true, &args.output, &args.results);
        }
        eprintln!("havip lab: cannot build namespaces here: {why}");
        return ExitCode::from(2);
    }
    let out = &args.output;
    match &args.command {
        LabCommand::Up {
            nodes,
            config_dir,
            daemon,
            vpc,
        } => updown::up(*nodes, config_dir.as_deref(), daemon, *vpc, out),
        LabCommand::Down { id, all } => updown::down(id.as_deref(), *all, out),
        LabCommand::Scenarios {
            scenario_file,
            config_dir,
        } => scenarios(scenario_file.as_deref(), config_dir.as_deref(), out),
        LabCommand::Drill(d) => drill_cmd::run(d, d.sim, out, &args.results),
        LabCommand::Chaos(c) => chaos::run(c, out, &args.results),
        LabCommand::GarpBench { count, ovn } => garp_bench(*count, *ovn, out),
        LabCommand::Bench {
            instances,
            advert_int,
            window,
            auth_hmac,
            vs,
            with,
            rt_priority,
            runs,
            find_capacity,
        } => {
            if *find_capacity {
                return bench::capacity(*advert_int, *window, *vs, out);
            }
            let spec = lab::bench::BenchSpec {
                instances: *instances,
                advert_int: *advert_int,
                window: *window,
                auth_hmac: *auth_hmac,
                features: with.unwrap_or_default(),
                rt_priority: *rt_priority,
            };
            bench::run(spec, *runs, *vs, out)
        }
    }
}

/// `havip lab scenarios`.
fn scenarios(
    file: Option<&std::path::Path>,
    config_dir: Option<&std::path::Path>,
    out: &FormatArgs,
) -> ExitCode {
    let all = match file {
        None => drill::scenarios(),
        Some(f) => {
            drill_cmd::setup(config_dir, None).and_then(|setup| drill_cmd::scenarios_in(&setup, f))
        }
    };
    let all = match all {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if out.is_json() {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
    } else {
        for s in all {
            println!("{:<18} {}", s.name, s.description);
        }
    }
    ExitCode::SUCCESS
}

/// `havip lab garp-bench`.
fn garp_bench(count: usize, ovn: bool, out: &FormatArgs) -> ExitCode {
    let l = match lab::vpc::garp_bench(count) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let claims = if ovn {
        match lab::vpc::ovn_garp_bench(count) {
            Ok(c) => Some(c),
            Err(e) => return fail(e),
        }
    } else {
        None
    };
    let q = |v: &[f64], p| lab::spread::percentile(v, p);
    let (read, fwd, cp) = (
        &l.to_switch_read_ms,
        &l.to_forwarding_ms,
        &l.to_control_plane_ms,
    );
    if out.is_json() {
        println!(
            "{}",
            json!({"garps": fwd.len(),
                   "to_switch_read": {"p50_ms": q(read, 50.0), "p99_ms": q(read, 99.0),
                                      "max_ms": q(read, 100.0), "samples_ms": read},
                   "to_forwarding": {"p50_ms": q(fwd, 50.0), "p99_ms": q(fwd, 99.0),
                                     "max_ms": q(fwd, 100.0), "samples_ms": fwd},
                   "to_control_plane": {"p50_ms": q(cp, 50.0), "p99_ms": q(cp, 99.0),
                                        "max_ms": q(cp, 100.0), "samples_ms": cp},
                   "ovn_to_southbound_claim": claims.as_ref().map(|c| json!(
                       {"p50_ms": q(c, 50.0), "p99_ms": q(c, 99.0),
                        "max_ms": q(c, 100.0), "samples_ms": c}))})
        );
    } else {
        println!("{} GARPs, from the frame leaving the server:", fwd.len());
        for (what, v) in [
            ("switch read the frame", read),
            ("forwarding switched", fwd),
            ("control plane stored", cp),
        ] {
            println!(
                "  {what:<21} p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                q(v, 50.0),
                q(v, 99.0),
                q(v, 100.0)
            );
        }
        if let Some(c) = &claims {
            println!(
                "on OVN, {} GARPs: southbound claim p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                c.len(),
                q(c, 50.0),
                q(c, 99.0),
                q(c, 100.0)
            );
        }
    }
    ExitCode::SUCCESS
}
