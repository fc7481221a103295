//! `havip lab bench --with snmp,dbus,bfd`: the management and detection interfaces enabled for
//! both daemons on the same config, the services they need started per run (an `snmpd` master
//! agent with an AgentX socket in each server's namespace, a `dbus-daemon` bus of each server's
//! own), and a check, before and after the measuring window, that they are live.
//!
//! What the config gains:
//! - `snmp`: `enable_snmp_vrrp`, `enable_snmp_rfcv2`, `enable_snmp_rfcv3`, `enable_traps` and
//!   `snmp_socket unix:<the side's AgentX socket>`;
//! - `dbus`: `enable_dbus` (the daemon's system bus is the side's own bus);
//! - `bfd`: one `bfd_instance bench` per side, to the other server (`min_rx`/`min_tx` 50 ms,
//!   `multiplier` 3: the detection drill), tracked by every instance with
//!   `track_bfd { bench weight -10 }`. A weight, not a fault: the master side starts alone
//!   (the bench's order) and would otherwise hold no VIP until the backup side's BFD answers.

use crate::daemon::Running;
use crate::shell::run_in;
use crate::topology::{Node, Topology};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The name of the benches' BFD session.
const BFD_NAME: &str = "bench";

/// The master agent's SNMP address inside each server's namespace.
const SNMP_AT: &str = "127.0.0.1:16161";

/// keepalived's D-Bus service.
const DBUS_NAME: &str = "org.keepalived.Vrrp1";

/// Which interfaces are enabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Features {
    /// AgentX subagent (KEEPALIVED-MIB, VRRP-MIB, VRRPV3-MIB, traps).
    pub snmp: bool,
    /// `org.keepalived.Vrrp1` on the system bus.
    pub dbus: bool,
    /// A BFD session between the servers, tracked by every instance.
    pub bfd: bool,
}

impl std::str::FromStr for Features {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut f = Features::default();
        for word in s.split(',').map(str::trim) {
            match word {
                "snmp" => f.snmp = true,
                "dbus" => f.dbus = true,
                "bfd" => f.bfd = true,
                "" => return Err(format!("`{s}`: an empty name in the list")),
                _ => return Err(format!("unknown feature `{word}`: snmp, dbus or bfd")),
            }
        }
        Ok(f)
    }
}

impl std::fmt::Display for Features {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on: Vec<&str> = [(self.snmp, "snmp"), (self.dbus, "dbus"), (self.bfd, "bfd")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        f.write_str(&on.join(","))
    }
}

impl Features {
    /// Whether any is enabled.
    pub fn any(&self) -> bool {
        self.snmp || self.dbus || self.bfd
    }
}

/// One server's side of the features: what its config gains and the services it runs.
#[derive(Debug)]
pub struct Side {
    features: Features,
    /// The other server's address (the BFD neighbour).
    neighbor: String,
    ns: String,
    agentx: PathBuf,
    bus: String,
    children: Vec<Child>,
}

impl Side {
    /// Starts what `features` need for `node` (its BFD neighbour `peer`): snmpd in its
    /// namespace, a bus of its own; both are stopped when the value is dropped.
    pub fn start(features: Features, topo: &Topology, node: &Node, peer: &Node) -> Result<Side> {
        let agentx = topo.dir.join(format!("{}-agentx", node.name));
        let socket = topo.dir.join(format!("{}.bus", node.name));
        let mut side = Side {
            features,
            neighbor: peer.addr.clone(),
            ns: node.ns.clone(),
            agentx,
            bus: format!("unix:path={}", socket.display()),
            children: Vec::new(),
        };
        if features.snmp {
            side.start_snmpd(&topo.dir, &node.name)?;
        }
        if features.dbus {
            side.start_bus(&topo.dir, &node.name, &socket)?;
        }
        Ok(side)
    }

    fn start_snmpd(&mut self, dir: &Path, name: &str) -> Result<()> {
        let conf = dir.join(format!("{name}-snmpd.conf"));
        std::fs::write(
            &conf,
            format!(
                "master agentx\nagentXSocket unix:{}\nagentXPerms 0600 0700\n\
                 rocommunity public 127.0.0.1\nagentaddress udp:{SNMP_AT}\n",
                self.agentx.display()
            ),
        )?;
        let log = dir.join(format!("{name}-snmpd.log"));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns, "snmpd", "-f", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(&log)
            .args(["-m", ""])
            // Its persistent state goes to the lab, not /var/lib/snmp.
            .env("SNMP_PERSISTENT_DIR", dir);
        self.spawn(cmd, "snmpd")?;
        wait_for(&self.agentx, "snmpd's AgentX socket", &log)
    }

    fn start_bus(&mut self, dir: &Path, name: &str, socket: &Path) -> Result<()> {
        // A permissive policy: the daemons' own checks are not under test, the bus's cost is.
        let conf = dir.join(format!("{name}.busconf"));
        std::fs::write(
            &conf,
            format!(
                "<busconfig>\n <listen>unix:path={}</listen>\n <auth>EXTERNAL</auth>\n \
                 <policy context=\"default\">\n  <allow user=\"*\"/>\n  <allow own=\"*\"/>\n  \
                 <allow send_destination=\"*\"/>\n  <allow receive_sender=\"*\"/>\n </policy>\n</busconfig>\n",
                socket.display()
            ),
        )?;
        let mut cmd = Command::new("dbus-daemon");
        cmd.args(["--nofork", "--config-file"]).arg(&conf);
        self.spawn(cmd, "dbus-daemon")?;
        wait_for(socket, "dbus-daemon's socket", &conf)
    }

    fn spawn(&mut self, mut cmd: Command, what: &str) -> Result<()> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {what} (is it installed?)"))?;
        self.children.push(child);
        Ok(())
    }

    /// The lines `global_defs` gains.
    pub fn global_defs(&self) -> String {
        let mut c = String::new();
        if self.features.snmp {
            c.push_str(&format!(
                "    enable_snmp_vrrp\n    enable_snmp_rfcv2\n    enable_snmp_rfcv3\n    \
                 enable_traps\n    snmp_socket unix:{}\n",
                self.agentx.display()
            ));
        }
        if self.features.dbus {
            c.push_str("    enable_dbus\n");
        }
        c
    }

    /// The sections the config gains before its instances (the BFD session).
    pub fn sections(&self) -> String {
        if !self.features.bfd {
            return String::new();
        }
        format!(
            "bfd_instance {BFD_NAME} {{\n    neighbor_ip {}\n    min_rx 50\n    min_tx 50\n    \
             multiplier 3\n}}\n",
            self.neighbor
        )
    }

    /// The lines each instance gains.
    pub fn instance_lines(&self) -> String {
        if !self.features.bfd {
            return String::new();
        }
        format!("    track_bfd {{\n        {BFD_NAME} weight -10\n    }}\n")
    }

    /// The environment the daemon starts with (its system bus).
    pub fn env(&self) -> Vec<(String, String)> {
        if !self.features.dbus {
            return Vec::new();
        }
        vec![("DBUS_SYSTEM_BUS_ADDRESS".into(), self.bus.clone())]
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits up to 10 s for `path` to appear.
fn wait_for(path: &Path, what: &str, log: &Path) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        if Instant::now() > until {
            bail!(
                "{what} did not appear in 10 s ({}):\n{}",
                path.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// What the live check saw of one side's BFD session: its transitions logged so far, the last
/// state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BfdSeen {
    /// Transitions logged.
    pub transitions: usize,
    /// The state entered last (`Up`, `Down`, ...), if any.
    pub last: Option<String>,
}

/// The BFD transitions in a daemon's log: havipd's `BFD session Init -> Up`, keepalived's
/// `(bench) Entering Up state`.
pub fn bfd_seen(log: &str) -> BfdSeen {
    let keepalived = format!("({BFD_NAME}) Entering ");
    let states: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            if let Some((_, rest)) = l.split_once("BFD session ") {
                rest.split_once(" -> ")?.1.split_whitespace().next()
            } else {
                l.split_once(&keepalived)?.1.split_whitespace().next()
            }
        })
        .collect();
    BfdSeen {
        transitions: states.len(),
        last: states.last().map(|s| s.to_string()),
    }
}

/// Checks that one side's enabled features are live: `instances` rows, each in a running state
/// (backup or master: the steady state itself is the bench's VIP check) in KEEPALIVED-MIB and
/// in the RFC MIB of `version`; the D-Bus service with an object per instance and the first
/// one's state backup or master; the BFD session Up. Returns the BFD session's log state, to
/// compare across the window.
pub fn check_live(side: &Side, daemon: &Running, instances: u16, version: u8) -> Result<BfdSeen> {
    let who = format!("{} on {}", daemon.kind, daemon.node.name);
    if side.features.snmp {
        check_snmp(side, instances, version).with_context(|| format!("{who}: SNMP"))?;
    }
    if side.features.dbus {
        check_dbus(side, instances).with_context(|| format!("{who}: D-Bus"))?;
    }
    let seen = bfd_seen(&daemon.log_text());
    if side.features.bfd && seen.last.as_deref() != Some("Up") {
        bail!(
            "{who}: BFD session `{BFD_NAME}` not Up (last logged: {:?})",
            seen.last
        );
    }
    Ok(seen)
}

/// The values of a walk of `oid` on the side's master agent; a walk that fails (a timeout or
/// genErr on a loaded machine) is tried twice more, a second apart.
fn walk(side: &Side, oid: &str) -> Result<Vec<String>> {
    let argv = [
        "snmpwalk", "-v2c", "-c", "public", "-On", "-m", "", SNMP_AT, oid,
    ];
    let mut tries = 0;
    let out = loop {
        tries += 1;
        match run_in(&side.ns, &argv) {
            Ok(out) => break out,
            Err(e) if tries == 3 => return Err(e.context("3 tries")),
            Err(_) => std::thread::sleep(Duration::from_secs(1)),
        }
    };
    Ok(out
        .lines()
        .filter_map(|l| Some(l.split_once(" = ")?.1.to_string()))
        .collect())
}

fn check_snmp(side: &Side, instances: u16, version: u8) -> Result<()> {
    // KEEPALIVED-MIB vrrpInstanceState: backup(1), master(2); VRRP-MIB vrrpOperState and
    // VRRPV3-MIB vrrpv3OperationsStatus: backup(2), master(3).
    let rfc = if version == 3 {
        (
            "VRRPV3-MIB vrrpv3OperationsStatus",
            ".1.3.6.1.2.1.207.1.1.1.1.6",
        )
    } else {
        ("VRRP-MIB vrrpOperState", ".1.3.6.1.2.1.68.1.3.1.3")
    };
    let tables = [
        (
            "KEEPALIVED-MIB vrrpInstanceState",
            ".1.3.6.1.4.1.9586.100.5.2.3.1.4",
            ["INTEGER: 1", "INTEGER: 2"],
        ),
        (rfc.0, rfc.1, ["INTEGER: 2", "INTEGER: 3"]),
    ];
    for (name, oid, running) in tables {
        let values = walk(side, oid)?;
        let right = values
            .iter()
            .filter(|v| running.contains(&v.as_str()))
            .count();
        if right != usize::from(instances) {
            let mut seen = std::collections::BTreeMap::<&str, usize>::new();
            for v in &values {
                *seen.entry(v.as_str()).or_default() += 1;
            }
            bail!("{name}: {right} of {instances} rows backup or master (values walked: {seen:?})");
        }
    }
    Ok(())
}

fn busctl(side: &Side, args: &[&str]) -> Result<String> {
    let mut argv = vec!["busctl".to_string(), format!("--address={}", side.bus)];
    argv.extend(args.iter().map(|a| a.to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    crate::shell::run(&argv)
}

fn check_dbus(side: &Side, instances: u16) -> Result<()> {
    let tree = busctl(side, &["tree", "--list", DBUS_NAME])?;
    let objects = tree
        .lines()
        .filter(|l| {
            l.trim()
                .strip_prefix("/org/keepalived/Vrrp1/Instance/eth0/")
                .is_some_and(|rest| rest.ends_with("/IPv4"))
        })
        .count();
    if objects != usize::from(instances) {
        bail!("{objects} of {instances} Instance objects on the bus:\n{tree}");
    }
    let state = busctl(
        side,
        &[
            "get-property",
            DBUS_NAME,
            "/org/keepalived/Vrrp1/Instance/eth0/1/IPv4",
            &format!("{DBUS_NAME}.Instance"),
            "State",
        ],
    )?;
    if !state.contains("\"Master\"") && !state.contains("\"Backup\"") {
        bail!(
            "the first instance's State is {}, not Master or Backup",
            state.trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_lists_parse_and_name_what_is_wrong() {
        let f: Features = "snmp,bfd".parse().expect("a valid list");
        assert_eq!((f.snmp, f.dbus, f.bfd), (true, false, true));
        assert_eq!(f.to_string(), "snmp,bfd");
        let e = "snmp,smtp"
            .parse::<Features>()
            .expect_err("smtp is no feature");
        assert!(e.contains("`smtp`"), "{e}");
        assert!("snmp,,dbus".parse::<Features>().is_err());
    }

    #[test]
    fn bfd_transitions_are_read_from_either_daemon_s_log() {
        let havipd = "INFO havipd: BFD session Down -> Init bfd=bench\n\
                      INFO havipd: BFD session Init -> Up bfd=bench\n";
        assert_eq!(
            bfd_seen(havipd),
            BfdSeen {
                transitions: 2,
                last: Some("Up".into())
            }
        );
        let keepalived = "Mon Dec  7 BFD: (bench) Entering Init state\n\
                          Mon Dec  7 BFD: (bench) Entering Up state (local diag - ...)\n\
                          Mon Dec  7 BFD: (bench) Entering Down state\n";
        assert_eq!(bfd_seen(keepalived).last.as_deref(), Some("Down"));
        assert_eq!(bfd_seen("nothing\n").last, None);
    }
}
