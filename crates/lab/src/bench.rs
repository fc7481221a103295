//! `havip lab bench`: CPU time and memory (PSS summed over the processes) of each daemon
//! running N instances on both servers (one master side, one backup side), measured over the
//! same window, havipd then keepalived in fresh labs, repeated; ratios are the median of the
//! runs' ratios.

use crate::bench_features::{self, BfdSeen, Features, Side};
use crate::daemon::{self, Kind, Running};
use crate::topology::{Topology, new_id};
use anyhow::{Result, bail};
use serde::Serialize;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BenchSpec {
    /// Instances per server (1-255: one VRID each on eth0).
    pub instances: u16,
    /// Advert interval in seconds (below 1 s means VRRPv3).
    pub advert_int: f64,
    /// Measuring window in seconds.
    pub window: f64,
    /// Sign and verify every advert with `auth_hmac` (enforce).
    pub auth_hmac: bool,
    /// SNMP, D-Bus and BFD enabled for both daemons (none: the VRRP loop alone).
    pub features: Features,
    /// `vrrp_rt_priority` for both daemons (SCHED_RR, with `vrrp_rlimit_rttime` 5 s), for a
    /// machine loaded enough that ordinary scheduling makes the backup side miss adverts (no
    /// steady state).
    pub rt_priority: Option<u8>,
}

/// The key of the benches' `auth_hmac` blocks.
const BENCH_KEY: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// One daemon's figures.
#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    /// Daemon.
    pub daemon: Kind,
    /// CPU of the master side, as a percentage of one core.
    pub master_cpu_pct: f64,
    /// CPU of the backup side.
    pub backup_cpu_pct: f64,
    /// Memory of the master side (KiB, PSS summed over all its processes).
    pub master_pss_kib: u64,
    /// Memory of the backup side.
    pub backup_pss_kib: u64,
}

/// havipd's figures over the other daemon's, from one run of each.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Ratios {
    /// Master CPU.
    pub master_cpu: f64,
    /// Backup CPU.
    pub backup_cpu: f64,
    /// Master memory.
    pub master_pss: f64,
    /// Backup memory.
    pub backup_pss: f64,
}

impl Ratios {
    /// `ours` over `theirs`.
    pub fn of(ours: &BenchResult, theirs: &BenchResult) -> Ratios {
        let r = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        Ratios {
            master_cpu: r(ours.master_cpu_pct, theirs.master_cpu_pct),
            backup_cpu: r(ours.backup_cpu_pct, theirs.backup_cpu_pct),
            master_pss: r(ours.master_pss_kib as f64, theirs.master_pss_kib as f64),
            backup_pss: r(ours.backup_pss_kib as f64, theirs.backup_pss_kib as f64),
        }
    }

    /// The median of each ratio over `runs`.
    pub fn median(runs: &[Ratios]) -> Ratios {
        let m = |f: fn(&Ratios) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => f64::NAN,
                n if n % 2 == 1 => v[n / 2],
                n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
            }
        };
        Ratios {
            master_cpu: m(|r| r.master_cpu),
            backup_cpu: m(|r| r.backup_cpu),
            master_pss: m(|r| r.master_pss),
            backup_pss: m(|r| r.backup_pss),
        }
    }
}

/// The keepalived.conf of one side: `instances` instances, VRIDs 1..=N, a /32 VIP each, and
/// what `side`'s features add.
pub fn config(spec: &BenchSpec, priority: u8, side: Option<&Side>) -> String {
    let mut c = String::from("global_defs {\n");
    if spec.advert_int < 1.0 {
        c.push_str("    vrrp_version 3\n");
    }
    if let Some(p) = spec.rt_priority {
        // keepalived's default RLIMIT_RTTIME (10 ms without blocking) kills its VRRP process
        // while it starts 200 instances; havipd sets no such limit (the keyword is accepted).
        let _ = writeln!(
            c,
            "    vrrp_rt_priority {p}\n    vrrp_rlimit_rttime 5000000"
        );
        if spec.features.bfd {
            // keepalived's BFD process too (havipd's sessions run inside havipd, the
            // keywords are accepted): at ordinary priority its 150 ms detection flaps.
            let _ = writeln!(c, "    bfd_rt_priority {p}\n    bfd_rlimit_rttime 5000000");
        }
    }
    let extra = |f: fn(&Side) -> String| side.map(f).unwrap_or_default();
    c.push_str(&extra(Side::global_defs));
    c.push_str("}\n");
    c.push_str(&extra(Side::sections));
    let tracked = extra(Side::instance_lines);
    for i in 1..=spec.instances {
        let _ = write!(
            c,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {i}\n    \
             priority {priority}\n    advert_int {}\n{}{tracked}    virtual_ipaddress {{\n        10.200.{}.{}/32\n    }}\n}}\n",
            spec.advert_int,
            if spec.auth_hmac {
                format!(
                    "    auth_hmac {{\n        key 1 {BENCH_KEY}\n        active_key 1\n    }}\n"
                )
            } else {
                String::new()
            },
            i / 250,
            i % 250 + 1
        );
    }
    c
}

/// Runs the bench for one daemon in a fresh lab; a daemon that does not reach the steady state
/// (every VIP on the master side, none on the backup side) gets one more try in another fresh
/// lab, said in the progress, before the bench gives up.
pub fn run(spec: &BenchSpec, kind: Kind, progress: &dyn Fn(&str)) -> Result<BenchResult> {
    if !(1..=255).contains(&spec.instances) {
        bail!(
            "--instances must be 1-255 (one VRID each), not {}",
            spec.instances
        );
    }
    if !(0.01..=255.0).contains(&spec.advert_int) {
        bail!(
            "--advert-int must be 0.01-255 seconds, not {}",
            spec.advert_int
        );
    }
    if let Some(p) = spec.rt_priority.filter(|p| !(1..=99).contains(p)) {
        bail!("--rt-priority must be 1-99, not {p}");
    }
    match once(spec, kind, progress)? {
        Ok(r) => Ok(r),
        Err(why) => {
            let first = why.lines().next().unwrap_or_default();
            progress(&format!("{first}; once more in a fresh lab"));
            once(spec, kind, progress)?.map_err(anyhow::Error::msg)
        }
    }
}

/// VIPs of the bench held on `node`'s interface.
fn held_on(node: &crate::topology::Node) -> usize {
    crate::shell::sh_in(&node.ns, "ip -o addr show dev eth0")
        .map(|o| o.matches(" 10.200.").count())
        .unwrap_or(0)
}

/// One run: the master side started first and holding every VIP, then the backup side, a
/// settling pause, the measuring window, and the steady state checked at its end; with
/// features, their services start first and the features are checked live before and after
/// the window (outside it). The inner error says why the run reached no steady state (with the
/// daemon's log) or which feature was not live.
fn once(
    spec: &BenchSpec,
    kind: Kind,
    progress: &dyn Fn(&str),
) -> Result<std::result::Result<BenchResult, String>> {
    let topo = Topology::up(&new_id(), 2)?;
    progress(&format!(
        "{kind}: starting {} instances per server{}",
        spec.instances,
        if spec.features.any() {
            format!(" with {}", spec.features)
        } else {
            String::new()
        }
    ));
    let (a, b) = (topo.servers[0].clone(), topo.servers[1].clone());
    let sides = if spec.features.any() {
        Some((
            Side::start(spec.features, &topo, &a, &b)?,
            Side::start(spec.features, &topo, &b, &a)?,
        ))
    } else {
        None
    };
    let (side_a, side_b) = (sides.as_ref().map(|s| &s.0), sides.as_ref().map(|s| &s.1));
    let master = start(kind, &topo, &a, &config(spec, 150, side_a), side_a)?;
    let all_up = Instant::now() + Duration::from_secs(30);
    while held_on(&a) < usize::from(spec.instances) {
        if Instant::now() > all_up {
            return Ok(Err(format!(
                "{kind}: the master side holds {} of {} VIPs after 30 s:\n{}",
                held_on(&a),
                spec.instances,
                master.log_text()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let backup = start(kind, &topo, &b, &config(spec, 100, side_b), side_b)?;
    // Let start-up work (GARP rounds, notify, BFD coming up) pass before measuring.
    std::thread::sleep(Duration::from_secs(6));
    let before = match live(spec, &sides, &master, &backup) {
        Ok(seen) => seen,
        Err(e) => return Ok(Err(format!("before the window: {e:#}"))),
    };
    progress(&format!("{kind}: measuring for {} s", spec.window));
    let (m0, b0) = (master.cpu_seconds(), backup.cpu_seconds());
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(spec.window));
    let elapsed = t0.elapsed().as_secs_f64();
    let (m1, b1) = (master.cpu_seconds(), backup.cpu_seconds());
    // A steady state or nothing: a backup that took over (it stopped hearing the master) would
    // measure something else.
    let (held, taken) = (held_on(&a), held_on(&b));
    if held < usize::from(spec.instances) || taken > 0 {
        return Ok(Err(format!(
            "{kind}: at the end of the window the master side holds {held} of {} VIPs and the backup side {taken}: not a steady state\n{}",
            spec.instances,
            backup.log_text()
        )));
    }
    match live(spec, &sides, &master, &backup) {
        Ok(after) if after == before => {}
        Ok(after) => {
            return Ok(Err(format!(
                "{kind}: the BFD sessions changed state during the window: {before:?} then {after:?}"
            )));
        }
        Err(e) => return Ok(Err(format!("after the window: {e:#}"))),
    }
    Ok(Ok(BenchResult {
        daemon: kind,
        master_cpu_pct: (m1 - m0) / elapsed * 100.0,
        backup_cpu_pct: (b1 - b0) / elapsed * 100.0,
        master_pss_kib: master.pss_kib(),
        backup_pss_kib: backup.pss_kib(),
    }))
}

/// Starts `kind` on `node`, in `side`'s environment if the run has features.
fn start(
    kind: Kind,
    topo: &Topology,
    node: &crate::topology::Node,
    config: &str,
    side: Option<&Side>,
) -> Result<Running> {
    let env = side.map(Side::env).unwrap_or_default();
    daemon::start_env(kind, topo, node, config, &[], &env)
}

/// Both sides' features checked live; their BFD sessions' logged transitions, to compare
/// across the window (none without features).
fn live(
    spec: &BenchSpec,
    sides: &Option<(Side, Side)>,
    master: &Running,
    backup: &Running,
) -> Result<Option<(BfdSeen, BfdSeen)>> {
    let Some((a, b)) = sides else {
        return Ok(None);
    };
    let version = if spec.advert_int < 1.0 { 3 } else { 2 };
    Ok(Some((
        bench_features::check_live(a, master, spec.instances, version)?,
        bench_features::check_live(b, backup, spec.instances, version)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_ratio_is_the_middle_run_s() {
        let run = |c: f64| Ratios {
            master_cpu: c,
            backup_cpu: 2.0 * c,
            master_pss: 0.5,
            backup_pss: 0.5,
        };
        let m = Ratios::median(&[run(0.3), run(0.9), run(0.2)]);
        assert_eq!((m.master_cpu, m.backup_cpu, m.master_pss), (0.3, 0.6, 0.5));
    }

    #[test]
    fn bench_config_is_valid_for_the_checker() {
        let spec = BenchSpec {
            instances: 200,
            advert_int: 0.01,
            auth_hmac: true,
            window: 1.0,
            features: Features::default(),
            rt_priority: None,
        };
        let text = config(&spec, 150, None);
        assert_eq!(text.matches("vrrp_instance").count(), 200);
        assert!(text.contains("vrrp_version 3"));
        assert!(text.contains("10.200.0.2/32") && text.contains("10.200.0.201/32"));
    }
}
