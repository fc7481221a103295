//! The protocol: a client connects, writes one JSON [`Request`] and a newline, and reads JSON
//! [`Reply`] lines until the daemon closes the connection (`events --follow` never closes).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest request line the daemon reads, newline included.
pub const MAX_REQUEST: usize = 4096;

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Every instance's state, as the running daemon knows it.
    Status,
    /// The transitions kept in memory; with `follow`, then every new one as it happens.
    Events {
        /// Keep the connection open and stream new transitions.
        #[serde(default)]
        follow: bool,
    },
    /// Re-read the configuration file (as SIGHUP), reporting the diagnostics and outcome.
    Reload,
    /// Send gratuitous ARPs / unsolicited NAs for an instance's addresses now (it must be master).
    SendGarp {
        /// Instance name.
        instance: String,
    },
    /// Maintenance on or off, for one instance or (without a name) all.
    Maintenance {
        /// On (hand over, stay backup) or off.
        on: bool,
        /// Instance name; all instances if absent.
        #[serde(default)]
        instance: Option<String>,
    },
}

/// What the daemon answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// Answer to [`Request::Status`].
    Status(Status),
    /// One transition (from [`Request::Events`]).
    Event(EventRecord),
    /// Answer to [`Request::Reload`].
    Reload(ReloadOutcome),
    /// A request carried out.
    Done {
        /// What was done.
        message: String,
    },
    /// A request refused, and why.
    Error {
        /// Why.
        message: String,
    },
}

/// The daemon as a whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// Daemon pid.
    pub pid: u32,
    /// Configuration file.
    pub config: String,
    /// Unix time the daemon started.
    pub started: f64,
    /// Packets dropped before reaching an instance, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Instances, in configuration order.
    pub instances: Vec<InstanceStatus>,
}

/// One instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstanceStatus {
    /// `vrrp_instance` name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// Virtual router id.
    pub vrid: u8,
    /// VRRP version, 2 or 3.
    pub version: u8,
    /// `inet` or `inet6`.
    pub family: String,
    /// Current state (`MASTER`, `BACKUP`, `FAULT`, `INIT`, `STOP`).
    pub state: String,
    /// The state it aims for: `BACKUP` in maintenance, else the configured initial state.
    pub wanted_state: String,
    /// Maintenance on.
    pub maintenance: bool,
    /// A backup still holding the addresses while its successor takes over.
    pub handing_over: bool,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority after tracking (1 in maintenance).
    pub effective_priority: u8,
    /// The master whose adverts were last accepted (none while master or before any).
    pub master: Option<PeerSeen>,
    /// Our advert interval, ms.
    pub advert_int_ms: f64,
    /// Master_Adver_Interval, ms (the master's, learnt from its v3 adverts).
    pub master_adver_int_ms: f64,
    /// Skew_Time at the effective priority, ms.
    pub skew_ms: f64,
    /// Master_Down_Interval at the effective priority, ms.
    pub master_down_interval_ms: f64,
    /// Time since the last advert accepted for this instance, ms.
    pub since_last_advert_ms: Option<f64>,
    /// The last transition.
    pub last_transition: Option<EventRecord>,
    /// Virtual addresses (excluded ones too) and whether each is on its interface now.
    pub vips: Vec<VipStatus>,
    /// Tracked objects.
    pub trackers: Vec<TrackerStatus>,
    /// Counters, keepalived's names.
    pub counters: BTreeMap<String, u64>,
    /// The VIP mover (`havipd --mover FILE`), if the instance has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mover: Option<MoverStatus>,
}

/// An instance's VIP mover: where it is and the cloud API calls it made. Never a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MoverStatus {
    /// The cloud (`tencent`).
    pub provider: String,
    /// How it moves the VIPs (`migrate`, `assign`, `route`).
    pub method: String,
    /// This server's ENI.
    pub eni: String,
    /// `idle` (not MASTER), `claiming`, `verifying` or `held` (the cloud says we hold them).
    pub phase: String,
    /// Failed steps since the last success.
    pub failures: u32,
    /// The step under way (`claim`, `describe`).
    pub in_flight: Option<String>,
    /// The last step's `STEP OUTCOME` (`claim ok`, `describe throttled`, ...).
    pub last: Option<String>,
    /// The cloud's last error (`Code: message`), if the last API call failed.
    pub last_error: Option<String>,
    /// Steps by step and outcome (`claim`/`describe`; `ok`, `throttled`, `error`, `timeout`).
    pub steps: Vec<MoverCount>,
    /// API calls by action (`MigratePrivateIpAddress`, ...) and outcome.
    pub calls: Vec<MoverCount>,
}

/// A count of a mover's steps or API calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MoverCount {
    /// The step or the API action.
    pub action: String,
    /// `ok`, `throttled`, `error` or `timeout`.
    pub outcome: String,
    /// How many.
    pub count: u64,
}

/// The master as seen from a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PeerSeen {
    /// Its address.
    pub address: String,
    /// The priority it advertised.
    pub priority: u8,
}

/// A virtual address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VipStatus {
    /// Address with prefix length.
    pub address: String,
    /// Interface it goes on.
    pub interface: String,
    /// Whether the kernel has it there now.
    pub present: bool,
    /// Whether it should be there (the instance is master or handing over).
    pub expected: bool,
}

impl VipStatus {
    /// The address without its prefix length.
    pub fn ip(&self) -> &str {
        self.address.split('/').next().unwrap_or_default()
    }
}

/// A tracked object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrackerStatus {
    /// `interface`, `script`, `file` or `process`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Whether it counts as up / passing (for files: value 0; for processes: quorum held).
    pub ok: bool,
    /// Weight (0: a failure faults the instance).
    pub weight: i64,
    /// Priority change it makes now.
    pub effect: i64,
}

/// A transition (also a line of `transitions.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventRecord {
    /// Unix time.
    pub time: f64,
    /// Instance.
    pub instance: String,
    /// Old state.
    pub from: String,
    /// New state.
    pub to: String,
    /// Why.
    pub reason: String,
    /// Effective priority at the time.
    pub priority: u8,
}

/// What a reload did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReloadOutcome {
    /// Whether the new configuration now runs.
    pub applied: bool,
    /// The check's diagnostics (warnings and errors), as `file:line:col: ...` lines.
    pub diagnostics: Vec<String>,
    /// What happened: kept, started, stopped, or why it was refused.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_a_stable_wire_form() {
        let r: Request =
            serde_json::from_str(r#"{"cmd":"maintenance","on":true,"instance":"VI_1"}"#)
                .expect("parses");
        assert_eq!(
            r,
            Request::Maintenance {
                on: true,
                instance: Some("VI_1".into())
            }
        );
        assert_eq!(
            serde_json::to_string(&Request::Events { follow: true }).expect("encodes"),
            r#"{"cmd":"events","follow":true}"#
        );
    }

    #[test]
    fn unknown_commands_and_fields_are_refused() {
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"shutdown"}"#).is_err());
        assert!(
            serde_json::from_str::<Request>(r#"{"cmd":"events","follow":true,"x":1}"#).is_err()
        );
    }
}
