//! `havip lab drill`: one run per daemon (or `--repeat N` of them), on the seed pair or the
//! operator's configs, on a bridge or inside the VPC.

use super::{end_tick, fail, parse_pair, progress, repeat, tick};
use crate::output::{FormatArgs, ResultsArgs};
use clap::Args;
use lab::daemon::Kind;
use lab::drill::{self, DrillResult, Setup};
use lab::vpc::Backend;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `havip lab drill` arguments.
#[derive(Args)]
pub struct DrillArgs {
    /// Scenario name (see `havip lab scenarios`).
    pub scenario: String,
    /// Look SCENARIO up in this file first (the built-in format; checked whole before
    /// anything runs).
    #[arg(long, value_name = "FILE")]
    pub scenario_file: Option<PathBuf>,
    /// Drill these keepalived.conf files (one server each, named by file) instead of the
    /// seed pair; steps name servers by those names, and the built-in scenarios' `a` and
    /// `b` are the first VIP's master once elected and another server.
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Drill inside the HAVIP VPC: control plane started, a HAVIP per VIP created through the
    /// API with the servers associated, an EIP bound to the first; probes from the client and
    /// from the public side through the EIP; the binding's move time from the control plane's
    /// history. BACKEND is `userspace` (havip's own switch, the default) or `ovn` (the
    /// servers on two OVN chassis, the HAVIP an OVN virtual port).
    #[arg(long, value_name = "BACKEND", num_args = 0..=1, default_missing_value = "userspace")]
    pub vpc: Option<Backend>,
    /// With --vpc ovn: BFD between the chassis every MS ms (OVN's `NB_Global`
    /// `options:bfd-min-rx` and `bfd-min-tx`, `bfd-mult` 3) instead of OVN's default (1000 ms
    /// received): how fast a lost gateway chassis is found.
    #[arg(long, value_name = "MS", requires = "vpc", value_parser = clap::value_parser!(u32).range(10..=10_000))]
    pub ovn_bfd_ms: Option<u32>,
    /// With --vpc ovn: OVN's northbound and southbound databases each a Raft cluster of three
    /// members (`ovsdb-tool create-cluster` / `join-cluster`), each member a namespace of its
    /// own; northd, the ovn-controllers and `vpc serve` given all three (the `db-member-down`
    /// drill cuts the leaders).
    #[arg(long, requires = "vpc")]
    pub ovn_db_cluster: bool,
    /// Daemon on the servers: one name for all, or `PRIMARY,OTHERS` for a mixed cluster.
    #[arg(long, default_value = "havipd")]
    pub daemon: String,
    /// Run the same drill with this daemon too and print both with their ratio.
    #[arg(long)]
    pub vs: Option<Kind>,
    /// Run in the simulator (virtual time; the default without root).
    #[arg(long)]
    pub sim: bool,
    /// Where to write the SVG timeline (default: `drill-SCENARIO.svg` in the results
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Run the drill N times in one lab (with --vs, the daemons take turns) and report
    /// each daemon's distribution: p50/p90/p99/max of outage, takeover, lost requests,
    /// split brain; the SVG shows their CDFs.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,
    /// With --repeat: write every run as a CSV row to FILE.
    #[arg(long, value_name = "FILE", requires = "repeat")]
    pub csv: Option<PathBuf>,
    /// Drill the seed pair in the VPC without a HAVIP: the VIP a secondary private IP of the
    /// primary's ENI that only PROVIDER's API moves (`tencent`): havipd with a mover file
    /// (`--mover`), keepalived (`--vs keepalived`) with a `notify_master` script that calls
    /// MigratePrivateIpAddress once. The same drill through a HAVIP (GARP) runs after it, for
    /// comparison; each run ends with a check that the address is on the VRRP master's ENI
    /// only and forwarded to it. Implies `--vpc userspace`.
    #[arg(long, value_name = "PROVIDER", value_parser = ["tencent"])]
    pub mover: Option<String>,
    #[command(flatten)]
    pub faults: ApiFaults,
}

/// The cloud's bad days for every run of a `--vpc` drill (`havip vpc serve --fault-*`).
#[derive(Args, Clone, Debug, Default)]
pub struct ApiFaults {
    /// Percent of the cloud API's calls answered RequestLimitExceeded.
    #[arg(long, value_name = "PCT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fault_throttle_percent: u8,
    /// Percent of the cloud API's calls answered InternalError (nothing done).
    #[arg(long, value_name = "PCT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fault_fail_percent: u8,
    /// Milliseconds added to every call of the cloud API.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=vpc::faults::MAX_LATENCY_MS))]
    pub fault_latency_ms: u64,
    /// Milliseconds the cloud's Describe calls lag behind its writes.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=vpc::faults::MAX_STALE_MS))]
    pub fault_stale_describe_ms: u64,
}

impl ApiFaults {
    /// As the control plane takes them.
    pub fn faults(&self) -> vpc::faults::Faults {
        vpc::faults::Faults {
            throttle_percent: self.fault_throttle_percent,
            fail_percent: self.fault_fail_percent,
            latency_ms: self.fault_latency_ms,
            stale_describe_ms: self.fault_stale_describe_ms,
        }
    }
}

/// The labs of a drill: the one asked for, and with `--mover` the HAVIP lab after it.
fn setups(a: &DrillArgs) -> anyhow::Result<Vec<Setup>> {
    let faults = a.faults.faults();
    if faults != vpc::faults::Faults::default() && a.vpc.is_none() && a.mover.is_none() {
        anyhow::bail!("--fault-* switch the cloud API's bad days: they need --vpc or --mover");
    }
    if a.mover.is_none() {
        let mut s = setup(a.config_dir.as_deref(), a.vpc)?;
        s.api_faults = faults;
        return Ok(vec![s]);
    }
    if a.config_dir.is_some() || a.vpc == Some(Backend::Ovn) {
        anyhow::bail!(
            "--mover drills the seed pair in the VPC on havip's own switch (no --config-dir, no --vpc ovn)"
        );
    }
    let mut moved = setup(None, Some(Backend::Userspace))?;
    moved.mover = true;
    moved.api_faults = faults;
    let mut havip = setup(None, Some(Backend::Userspace))?;
    havip.api_faults = faults;
    Ok(vec![moved, havip])
}

/// The lab of `--config-dir` (or the seed pair), inside the VPC on `vpc`'s backend if given;
/// the placement's notes printed.
pub fn setup(config_dir: Option<&Path>, vpc: Option<Backend>) -> anyhow::Result<Setup> {
    let mut setup = match config_dir {
        Some(dir) => Setup::from_dir(dir)?,
        None => Setup::seed(),
    };
    setup.vpc = vpc;
    for note in &setup.cluster.notes {
        eprintln!("lab: {note}");
    }
    Ok(setup)
}

/// The scenario `name` for `setup`: from `file` or built in, checked against its servers and
/// configs.
pub fn scenario(setup: &Setup, name: &str, file: Option<&Path>) -> anyhow::Result<drill::Scenario> {
    checked_against(setup, |cx| lab::scenario_file::find(name, file, cx))
}

/// Runs `check` with the scenario-file context of `setup`: its server names and configs.
fn checked_against<T>(setup: &Setup, check: impl FnOnce(&lab::scenario_file::Context) -> T) -> T {
    let names = setup.server_names();
    let configs = setup.cluster.configs();
    check(&lab::scenario_file::Context {
        servers: &names.iter().map(String::as_str).collect::<Vec<_>>(),
        configs: &configs.iter().map(String::as_str).collect::<Vec<_>>(),
    })
}

/// Every scenario of `file`, checked against `setup`'s servers and configs.
pub fn scenarios_in(setup: &Setup, file: &Path) -> anyhow::Result<Vec<drill::Scenario>> {
    checked_against(setup, |cx| lab::scenario_file::load(file, cx))
}

/// `havip lab drill`, in namespaces or (`simulated`) in the simulator.
pub fn run(a: &DrillArgs, simulated: bool, out: &FormatArgs, files: &ResultsArgs) -> ExitCode {
    if let Some(why) = needs_namespaces(a, simulated) {
        eprintln!("havip lab: {why}");
        return ExitCode::from(2);
    }
    let setups = match setups(a) {
        Ok(s) => s
            .into_iter()
            .map(|s| drill::Setup {
                ovn_bfd_ms: a.ovn_bfd_ms,
                ovn_db_cluster: a.ovn_db_cluster,
                ..s
            })
            .collect::<Vec<_>>(),
        Err(e) => return fail(e),
    };
    let sc = match scenario(&setups[0], &a.scenario, a.scenario_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let first = match parse_pair(&a.daemon) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("havip lab: {e}");
            return ExitCode::from(2);
        }
    };
    let svg = match &a.svg {
        Some(p) => p.clone(),
        None => match files.file(&format!("drill-{}.svg", sc.name)) {
            Ok(p) => p,
            Err(e) => return fail(e),
        },
    };
    let pairs: Vec<[Kind; 2]> = std::iter::once(first).chain(a.vs.map(|k| [k, k])).collect();
    if a.repeat > 1 || a.csv.is_some() {
        if simulated {
            eprintln!(
                "havip lab: --repeat needs namespaces: the simulator gives the same run every time"
            );
            return ExitCode::from(2);
        }
        let outputs = repeat::Outputs {
            svg: &svg,
            csv: a.csv.as_deref(),
            json: out.is_json(),
        };
        return repeat::run(&setups, &sc, &pairs, a.repeat as usize, &outputs);
    }
    let results = if simulated {
        eprintln!(
            "drill {} in the simulator (virtual time): {}",
            sc.name, sc.description
        );
        if a.vs.is_some() {
            eprintln!("  (--vs needs namespaces: the simulator runs havipd's state machine only)");
        }
        lab::sim::run_on(&setups[0].cluster, &sc, lab::sim::Options::default()).map(|r| vec![r])
    } else {
        setups
            .iter()
            .map(|s| once_each(s, &sc, &pairs))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|v| v.concat())
    };
    let results = match results {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::write(&svg, lab::svg::render(&results)) {
        eprintln!("havip lab: writing {}: {e}", svg.display());
        return ExitCode::from(2);
    }
    if out.is_json() {
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

/// Why the simulator cannot run `a`, if it cannot.
fn needs_namespaces(a: &DrillArgs, simulated: bool) -> Option<&'static str> {
    match (simulated, a.vpc.is_some(), a.mover.is_some()) {
        (true, true, _) => {
            Some("--vpc needs namespaces: the simulator runs the servers on a bridge")
        }
        (true, _, true) => Some("--mover needs namespaces: the simulator has no cloud API"),
        _ => None,
    }
}

/// One run per pair, in namespaces.
fn once_each(
    setup: &Setup,
    sc: &drill::Scenario,
    pairs: &[[Kind; 2]],
) -> anyhow::Result<Vec<DrillResult>> {
    let mut results = Vec::new();
    for kinds in pairs {
        eprintln!(
            "drill {} with {}: {}",
            sc.name,
            drill::pair_label(*kinds),
            sc.description
        );
        let r = drill::run_on(setup, sc, *kinds, &progress, &tick);
        end_tick();
        results.push(r?);
    }
    Ok(results)
}

/// The drill table.
pub fn print_drill(results: &[DrillResult]) {
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
        if let Some(v) = r.vpc.as_ref().filter(|v| !v.eip.is_empty()) {
            print_vpc(&r.daemon, v);
        }
        if r.stolen_seconds > 0.0 {
            println!(
                "{}: the attacker held the VIP alone for {:.1} s",
                r.daemon, r.stolen_seconds
            );
        }
        print_owner(r);
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

/// What a drill in the VPC adds: the EIP from the public side, the binding's moves, the
/// gateway's chassis (OVN).
fn print_vpc(daemon: &str, v: &lab::drill::VpcOutcome) {
    let eip = if v.eip.is_empty() {
        String::new()
    } else {
        format!(
            "through the EIP {}: worst outage {:.1} ms ({} outages); ",
            v.eip,
            v.worst_eip_outage_ms(),
            v.eip_outages.len()
        )
    };
    println!(
        "{}: {eip}binding moved {} after the first fault ({} moves)",
        daemon,
        v.binding_move
            .map_or("never".to_string(), |t| format!("{t:.3} s")),
        v.binding_moves.len()
    );
    let none = |c: &str| {
        if c.is_empty() {
            "none".to_string()
        } else {
            c.to_string()
        }
    };
    match &v.ovn_binding {
        Some(ovn) => println!(
            "{daemon}: at the end the API reports the HAVIP bound to {}, OVN to {}",
            none(&v.api_binding),
            none(ovn)
        ),
        None => println!(
            "{daemon}: at the end the API reports the HAVIP bound to {}",
            none(&v.api_binding)
        ),
    }
    if let Some([from, to]) = &v.gateway {
        println!(
            "{}: EIP gateway on chassis {} at the start, {} at the end",
            daemon,
            none(from),
            none(to)
        );
    }
    if let Some(db) = &v.db {
        print_db(daemon, db);
    }
}

/// What a drill cutting OVN's database members adds: the API's and OVN's way back.
fn print_db(daemon: &str, db: &lab::drill::DbOutcome) {
    let secs = |t: Option<f64>| t.map_or("never".to_string(), |t| format!("{:.0} ms", t * 1000.0));
    println!(
        "{daemon}: database members cut: {}; the API's longest wait from the cut on: a write {}, a \
         read {} ({} of {} calls failed); OVN's binding followed the failover {} after the server's cut",
        db.cut.join(", "),
        secs(db.write_back),
        secs(db.read_back),
        db.failed(),
        db.calls.len(),
        secs(db.ovn_binding_follow)
    );
}

/// Where the cloud put the VIP by the end of a VPC run, against the VRRP master.
fn print_owner(r: &DrillResult) {
    let Some(o) = &r.owner else { return };
    println!(
        "{}: final owner {}: VRRP master {}, the cloud's {} {}, the client answered by {} ({:.1} s after the run)",
        r.daemon,
        if o.correct { "right" } else { "WRONG" },
        o.master.as_deref().unwrap_or("none"),
        if r.daemon.contains("mover") || r.daemon.contains("script") {
            "ENIs with the address:"
        } else {
            "HAVIP bound to"
        },
        if o.cloud_owners.is_empty() {
            "none".to_string()
        } else {
            o.cloud_owners.join(", ")
        },
        o.forwarded_to.as_deref().unwrap_or("nobody"),
        o.settled_s
    );
}
