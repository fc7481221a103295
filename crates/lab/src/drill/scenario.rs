//! Scenarios are data: config edits and timed steps (JSON, `scenarios.json` built in), so a new
//! drill needs no new code.

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

/// A fault or repair, applied to a server (`a` is the primary, `b` the secondary).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Cut the server's cable at the switch (a server crash, as the network sees it).
    Cut {
        /// Server.
        node: String,
    },
    /// Reconnect the cable.
    Restore {
        /// Server.
        node: String,
    },
    /// Kill the daemon with SIGKILL (it cannot resign; its VIPs stay behind).
    Kill {
        /// Server.
        node: String,
    },
    /// Stop the daemon with SIGTERM (it resigns).
    Stop {
        /// Server.
        node: String,
    },
    /// Planned switchover: havipd's `havip maintenance on` (make-before-break); keepalived,
    /// which has none, is stopped (its operators' way: `systemctl stop`).
    Maintenance {
        /// Server.
        node: String,
    },
    /// Start the server's daemon again.
    Start {
        /// Server.
        node: String,
    },
    /// Reboot: everything in the server's namespace dies and the namespace is destroyed and
    /// rebuilt (a fresh network stack, no VIP); a later `start` step is the end of the boot.
    Reboot {
        /// Server.
        node: String,
    },
    /// Take the server's own interface down (`ip link set eth0 down`).
    LinkDown {
        /// Server.
        node: String,
    },
    /// Bring it back up.
    LinkUp {
        /// Server.
        node: String,
    },
    /// Drop VRRP (IP protocol 112) to and from the server; data still flows (split brain).
    Partition {
        /// Server.
        node: String,
    },
    /// Let VRRP through again.
    Heal {
        /// Server.
        node: String,
    },
    /// Drop this share of the server's packets, both ways.
    Loss {
        /// Server.
        node: String,
        /// Percent, 1-100.
        percent: u8,
        /// Spread the loss evenly instead of drawing it at random: in each direction, VRRP and
        /// other packets counted apart, the same places of every period are dropped
        /// ([`sim::spread_pattern`]; 30 %: the 4th, 7th and 10th of every ten), in namespaces
        /// and in the simulator alike, so the drill's course is the same every run.
        #[serde(default)]
        spread: bool,
    },
    /// Delay the server's outgoing packets (tc netem).
    Delay {
        /// Server.
        node: String,
        /// Milliseconds.
        ms: u32,
    },
    /// Remove loss and delay.
    Clear {
        /// Server.
        node: String,
    },
    /// Make the server's health check (the seeds' `checkhaproxy` track script) fail.
    FailCheck {
        /// Server.
        node: String,
    },
    /// Make it pass again.
    PassCheck {
        /// Server.
        node: String,
    },
    /// Kill (SIGKILL) the server's service, the process its config tracks
    /// (`vrrp_track_process`, `<dir>/<server>.service`).
    KillProcess {
        /// Server.
        node: String,
    },
    /// Start the service again.
    StartProcess {
        /// Server.
        node: String,
    },
    /// The attacker (`x`) forges adverts from its own address at this priority, with the
    /// seed's password, and takes the VIP.
    Forge {
        /// The attacker, `x`.
        node: String,
        /// Priority claimed (255: the address owner).
        priority: u8,
        /// A stolen `auth_hmac` key (`hex:...`) to sign with, id 1.
        #[serde(default)]
        key: Option<String>,
        /// The attacker's clock offset in seconds (with `key`).
        #[serde(default)]
        clock_offset: i64,
        /// Send from this server's address instead of the attacker's own (a unicast group
        /// only hears its peers).
        #[serde(default)]
        spoof: Option<String>,
    },
    /// Put every VIP on the server's interface by hand, beside its daemon (an operator's
    /// mistake, or a planted fault for the chaos checker): two holders that no protocol made.
    Claim {
        /// Server.
        node: String,
    },
    /// Record the adverts a server sends, at its switch port.
    Capture {
        /// Server.
        node: String,
    },
    /// The attacker (`x`) replays what was captured, over and over.
    Replay {
        /// The attacker, `x`.
        node: String,
    },
    /// A power cut of an OVN chassis (with `--vpc ovn`): its ovn-controller, ovs-vswitchd and
    /// database killed at once (SIGKILL), nothing told to the others.
    ChassisPowerCut {
        /// [`GATEWAY`]: the chassis running the EIP gateway at that moment.
        node: String,
    },
    /// The chassis a [`Action::ChassisPowerCut`] cut come back: database, ovs-vswitchd with its
    /// bridges, ovn-controller.
    ChassisPowerOn {
        /// [`GATEWAY`]: the gateway chassis cut earlier.
        node: String,
    },
    /// A power cut of the machine of an OVN database's Raft leader (with `--vpc ovn
    /// --ovn-db-cluster`): its cable down, its `ovsdb-server` killed (SIGKILL).
    DbPowerCut {
        /// The database, [`NB`] or [`SB`]: the member that is its leader at that moment.
        node: String,
    },
    /// The server's port on its OVN chassis deleted from the integration bridge and added again
    /// with the same logical port (an operator's or an orchestrator's re-plug); its cable and
    /// daemon are left alone.
    PortRecreate {
        /// Server.
        node: String,
    },
    /// A burst of southbound port changes: `count` logical switch ports created through the
    /// northbound database in one transaction, on a switch of their own, and waited for until
    /// ovn-northd has written all their southbound bindings (`ovn_burst.rs`).
    PortBurst {
        /// [`CENTRAL`]: the central node's databases and northd.
        node: String,
        /// Ports created (1-10,000).
        count: u32,
    },
}

/// The chassis a [`Action::ChassisPowerCut`] names by role: the one running the EIP gateway.
pub const GATEWAY: &str = "gateway";
/// OVN's northbound database, as a [`Action::DbPowerCut`] names it.
pub const NB: &str = "nb";
/// OVN's southbound database, as a [`Action::DbPowerCut`] names it.
pub const SB: &str = "sb";

/// The OVN node a [`Action::PortBurst`] names by role: the central one (NB, SB, northd).
pub const CENTRAL: &str = "central";

impl Action {
    /// The server it applies to.
    pub fn node(&self) -> &str {
        match self {
            Action::Cut { node }
            | Action::Restore { node }
            | Action::Kill { node }
            | Action::Stop { node }
            | Action::Start { node }
            | Action::Maintenance { node }
            | Action::Reboot { node }
            | Action::LinkDown { node }
            | Action::LinkUp { node }
            | Action::Partition { node }
            | Action::Heal { node }
            | Action::Loss { node, .. }
            | Action::Delay { node, .. }
            | Action::Clear { node }
            | Action::FailCheck { node }
            | Action::PassCheck { node }
            | Action::KillProcess { node }
            | Action::StartProcess { node }
            | Action::Forge { node, .. }
            | Action::Claim { node }
            | Action::Capture { node }
            | Action::Replay { node }
            | Action::ChassisPowerCut { node }
            | Action::ChassisPowerOn { node }
            | Action::PortRecreate { node }
            | Action::DbPowerCut { node }
            | Action::PortBurst { node, .. } => node,
        }
    }

    /// Whether the step belongs to an attack (it needs the attacker host `x`, or a capture).
    pub fn is_attack(&self) -> bool {
        matches!(
            self,
            Action::Forge { .. } | Action::Capture { .. } | Action::Replay { .. }
        )
    }

    /// Whether it acts on a server's tracked service (the drill runs one on each server).
    pub fn is_service(&self) -> bool {
        matches!(
            self,
            Action::KillProcess { .. } | Action::StartProcess { .. }
        )
    }

    /// Whether only namespaces can play it (an attack, a hand-made address, an OVN chassis).
    pub fn needs_namespaces(&self) -> bool {
        self.is_attack() || self.needs_ovn() || matches!(self, Action::Claim { .. })
    }

    /// Whether it acts on the OVN fabric (a drill with `--vpc ovn`).
    pub fn needs_ovn(&self) -> bool {
        self.names_chassis() || matches!(self, Action::PortRecreate { .. })
    }

    /// Whether it cuts a member of an OVN database cluster (`--ovn-db-cluster`).
    pub fn needs_db_cluster(&self) -> bool {
        matches!(self, Action::DbPowerCut { .. })
    }

    /// Whether it names an OVN node by its role ([`GATEWAY`], [`CENTRAL`]) rather than a server.
    pub fn names_chassis(&self) -> bool {
        matches!(
            self,
            Action::ChassisPowerCut { .. }
                | Action::ChassisPowerOn { .. }
                | Action::PortBurst { .. }
                | Action::DbPowerCut { .. }
        )
    }

    /// Short label for reports.
    pub fn label(&self) -> String {
        let n = self.node();
        match self {
            Action::Cut { .. } => format!("cut {n}"),
            Action::Restore { .. } => format!("restore {n}"),
            Action::Kill { .. } => format!("kill -9 {n}"),
            Action::Stop { .. } => format!("stop {n}"),
            Action::Start { .. } => format!("start {n}"),
            Action::Maintenance { .. } => format!("maintenance on {n}"),
            Action::Reboot { .. } => format!("reboot {n}"),
            Action::LinkDown { .. } => format!("{n} eth0 down"),
            Action::LinkUp { .. } => format!("{n} eth0 up"),
            Action::Partition { .. } => format!("VRRP cut at {n}"),
            Action::Heal { .. } => format!("VRRP back at {n}"),
            Action::Loss {
                percent, spread, ..
            } => {
                let how = if *spread { " (spread evenly)" } else { "" };
                format!("{percent}% loss{how} at {n}")
            }
            Action::Delay { ms, .. } => format!("{ms} ms delay at {n}"),
            Action::Clear { .. } => format!("clear {n}"),
            Action::FailCheck { .. } => format!("check fails on {n}"),
            Action::PassCheck { .. } => format!("check passes on {n}"),
            Action::KillProcess { .. } => format!("service killed on {n}"),
            Action::StartProcess { .. } => format!("service started on {n}"),
            Action::Forge {
                priority,
                key,
                clock_offset,
                spoof,
                ..
            } => {
                let from = spoof.as_ref().map_or(String::new(), |s| format!(" as {s}"));
                match key {
                    Some(_) => format!(
                        "{n} forges priority {priority}{from}, signed, clock {clock_offset:+} s"
                    ),
                    None => format!("{n} forges priority {priority}{from}"),
                }
            }
            Action::Claim { .. } => format!("VIPs added by hand on {n}"),
            Action::Capture { .. } => format!("capture {n}'s adverts"),
            Action::Replay { .. } => format!("{n} replays them"),
            Action::ChassisPowerCut { .. } => format!("power cut of the {n} chassis"),
            Action::ChassisPowerOn { .. } => format!("the {n} chassis cut comes back"),
            Action::DbPowerCut { .. } => format!("power cut of the {n} database's Raft leader"),
            Action::PortRecreate { .. } => {
                format!("{n}'s port deleted and re-created on its chassis")
            }
            Action::PortBurst { count, .. } => format!("{count} ports created through OVN's NB"),
        }
    }
}

/// A step of a scenario: an action at a time after the probes start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Seconds after the start of probing.
    pub at: f64,
    /// What happens.
    #[serde(flatten)]
    pub action: Action,
}

/// A change to both seed configs: the line whose text (no-break spaces read as spaces,
/// trimmed) starts with `line` is replaced by `with` (`{dir}` and `{node}` are filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// Start of the line to replace.
    pub line: String,
    /// Replacement (may be empty or several lines).
    pub with: String,
}

/// A drill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Name (`havip lab drill NAME`).
    pub name: String,
    /// What it reproduces.
    pub description: String,
    /// Changes to the seed configs.
    #[serde(default)]
    pub edits: Vec<Edit>,
    /// Changes for keepalived instead of `edits`, where keepalived cannot run what they ask
    /// for (the scenario's description says why and what stands in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalived_edits: Option<Vec<Edit>>,
    /// Faults and repairs.
    pub steps: Vec<Step>,
    /// How long to probe, in seconds.
    pub duration: f64,
    /// Extra havipd flags (its opt-ins, e.g. `--handover-on-stop`); keepalived has none.
    #[serde(default)]
    pub havipd_args: Vec<String>,
}

/// The built-in scenarios.
pub const BUILTIN: &str = include_str!("../../scenarios.json");

/// Every built-in scenario.
pub fn scenarios() -> Result<Vec<Scenario>> {
    serde_json::from_str(BUILTIN).context("built-in scenarios")
}

/// A built-in scenario by name.
pub fn scenario(name: &str) -> Result<Scenario> {
    let all = scenarios()?;
    let names: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    all.into_iter().find(|s| s.name == name).ok_or_else(|| {
        anyhow!(
            "no scenario `{name}`; the scenarios are: {}",
            names.join(", ")
        )
    })
}

/// A seed config with the scenario's edits, for server `node` with scratch dir `dir`.
pub fn edited(text: &str, edits: &[Edit], node: &str, dir: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let plain = line.replace('\u{a0}', " ");
        match edits.iter().find(|e| plain.trim().starts_with(&e.line)) {
            Some(e) => {
                out.push_str(&e.with.replace("{dir}", dir).replace("{node}", node));
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_passes_the_scenario_file_check() {
        let all = crate::scenario_file::parse(BUILTIN, &crate::scenario_file::SEED)
            .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
        assert_eq!(all, scenarios().expect("scenarios.json"));
        assert!(all.len() >= 10, "{}", all.len());
        assert!(scenario("nope").is_err());
    }

    #[test]
    fn edits_replace_whole_lines_whatever_their_spaces() {
        let text = "a\n\u{a0}\u{a0}  nopreempt      # comment\nb\n";
        let e = [Edit {
            line: "nopreempt".into(),
            with: "    # preempt {node} {dir}".into(),
        }];
        assert_eq!(edited(text, &e, "a", "/d"), "a\n    # preempt a /d\nb\n");
    }
}
