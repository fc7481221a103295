//! The typed model of a keepalived.conf: every setting as read (with its location), and typed
//! views of what the VRRP side acts on, with keepalived 2.2.7's defaults.

use crate::diag::Location;
pub use crate::notify_kind::NotifyKind;
pub use crate::process::{NO_QUORUM_MAX, ParamMatch, TrackProcess};
pub use crate::run_user::RunUser;
pub use crate::weight::{FILE_WEIGHT_MAX, PROCESS_WEIGHT_MAX, SCRIPT_WEIGHT_MAX, Weight};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A value as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A flag that is present.
    Flag,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A duration in microseconds.
    Micros(u64),
    /// A string.
    Str(String),
    /// A script command and who runs it.
    Script(ScriptCmd),
    /// An address.
    Ip(IpAddr),
    /// Words.
    Words(Vec<String>),
    /// A tracked object's `weight`, checked when the config was built (shown as written).
    #[serde(serialize_with = "weight_words")]
    Weight(Weight),
}

/// A weight as the words it is written with.
fn weight_words<S: serde::Serializer>(w: &Weight, s: S) -> Result<S::Ok, S::Error> {
    let value = w.value.to_string();
    let words: &[&str] = if w.reverse {
        &[&value, "reverse"]
    } else {
        &[&value]
    };
    serde::Serialize::serialize(words, s)
}

/// A command with optional user and group (`notify_master "/x.sh MASTER" user group`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptCmd {
    /// The command line.
    pub command: String,
    /// `username`.
    pub user: Option<String>,
    /// `groupname`.
    pub group: Option<String>,
}

impl ScriptCmd {
    /// The user (and group) it names, if any.
    pub fn run_user(&self) -> Option<RunUser> {
        Some(RunUser {
            user: self.user.clone()?,
            group: self.group.clone(),
        })
    }
}

/// A setting and where it was written.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting {
    /// Value.
    pub value: Value,
    /// Where.
    pub loc: Location,
    /// The statement as written.
    pub text: String,
}

/// Settings of one section, by keyword; the last occurrence wins, as in keepalived.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Settings(pub BTreeMap<String, Setting>);

impl Settings {
    /// Whether a flag or any value is present.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Location of a setting.
    pub fn loc(&self, key: &str) -> Option<&Location> {
        self.0.get(key).map(|s| &s.loc)
    }

    /// A setting's statement as written (empty if absent).
    pub fn text(&self, key: &str) -> String {
        self.0.get(key).map(|s| s.text.clone()).unwrap_or_default()
    }

    /// Integer value.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.0.get(key)?.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Duration value in microseconds.
    pub fn micros(&self, key: &str) -> Option<u64> {
        match self.0.get(key)?.value {
            Value::Micros(m) => Some(m),
            _ => None,
        }
    }

    /// Boolean: flags are true, `BoolOpt` values as written.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)?.value {
            Value::Flag => Some(true),
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// String value.
    pub fn str(&self, key: &str) -> Option<&str> {
        match &self.0.get(key)?.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Script value.
    pub fn script(&self, key: &str) -> Option<&ScriptCmd> {
        match &self.0.get(key)?.value {
            Value::Script(s) => Some(s),
            _ => None,
        }
    }

    /// Address value.
    pub fn ip(&self, key: &str) -> Option<IpAddr> {
        match self.0.get(key)?.value {
            Value::Ip(a) => Some(a),
            _ => None,
        }
    }

    /// Words value.
    pub fn words(&self, key: &str) -> Option<&[String]> {
        match &self.0.get(key)?.value {
            Value::Words(w) => Some(w),
            _ => None,
        }
    }

    /// Every script this section runs (notify scripts, FIFO readers, a `vrrp_script`'s
    /// `script`), with the setting that gives it.
    pub fn scripts(&self) -> impl Iterator<Item = (&ScriptCmd, &Setting)> {
        self.0.values().filter_map(|set| match &set.value {
            Value::Script(cmd) => Some((cmd, set)),
            _ => None,
        })
    }
}

/// A `virtual_ipaddress` (or `static_ipaddress`) entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VirtualAddress {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (keepalived's default: 32 / 128).
    pub prefix: u8,
    /// `brd`.
    pub broadcast: Option<IpAddr>,
    /// `dev`.
    pub dev: Option<String>,
    /// `scope`, as a number (`global` is 0, `link` 253, `host` 254).
    pub scope: Option<u8>,
    /// `label`.
    pub label: Option<String>,
    /// `no_track`.
    pub no_track: bool,
    /// Other options as written (`nodad`, `noprefixroute`, `preferred_lft 0`, ...).
    pub options: Vec<String>,
    /// Where.
    pub loc: Location,
}

/// A `unicast_peer` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peer {
    /// Address.
    pub addr: IpAddr,
    /// `min_ttl`.
    pub min_ttl: u8,
    /// `max_ttl`.
    pub max_ttl: u8,
    /// Where.
    pub loc: Location,
}

/// A tracked object reference (`track_script { NAME weight -20 }`, `track_interface { eth1 }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackRef {
    /// Name of the script, file, process or interface.
    pub name: String,
    /// `weight`, if given (0 or absent: failure means FAULT).
    pub weight: Option<i64>,
    /// `reverse` (true) or `noreverse` (false) after the weight, if written; unwritten, the
    /// definition's applies, as in keepalived.
    pub reverse: Option<bool>,
    /// Where.
    pub loc: Location,
}

/// A raw list entry (`virtual_routes`, `virtual_rules`, `static_*`), kept as written.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The words.
    pub words: Vec<String>,
    /// Where.
    pub loc: Location,
}

/// A value parsed from a line, and where the line is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub loc: Location,
}

/// `auth_type`: keepalived's two legacy VRRPv2 mechanisms (no block means none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AuthType {
    /// `PASS`: the password in clear in every advert.
    #[serde(rename = "PASS")]
    Pass,
    /// `AH`: the advert inside an IPsec AH header, HMAC-MD5-96 keyed with `auth_pass`.
    #[serde(rename = "AH")]
    Ah,
}

impl AuthType {
    /// keepalived's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Pass => "PASS",
            AuthType::Ah => "AH",
        }
    }
}

/// VRRPv2 authentication.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Authentication {
    /// `PASS` or `AH`.
    pub auth_type: AuthType,
    /// `auth_pass`, as written.
    pub pass: Option<String>,
    /// Where the block is.
    pub loc: Location,
}

/// `auth_hmac`, as read (the window is resolved with the advert interval in `effective`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthHmac {
    /// Keys, by id.
    pub keys: Vec<vrrp::auth_hmac::Key>,
    /// `active_key`, if set.
    pub active_key: Option<u8>,
    /// `mode` (enforce unless set).
    pub mode: vrrp::auth_hmac::Mode,
    /// `anti_replay` (time unless set).
    pub anti_replay: vrrp::auth_hmac::AntiReplay,
    /// `time_window`, if set.
    pub time_window: Option<u32>,
    /// Where the block is.
    pub loc: Location,
}

/// `global_defs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Global {
    /// All settings.
    pub settings: Settings,
    /// `notification_email` addresses.
    pub notification_email: Vec<String>,
    /// Where the block starts.
    pub loc: Option<Location>,
}

/// `vrrp_script NAME`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VrrpScript {
    /// Name.
    pub name: String,
    /// Settings.
    pub settings: Settings,
    /// Where.
    pub loc: Location,
}

impl Settings {
    /// `weight`, when given and valid (an invalid one is reported when the config is built
    /// and makes it unrunnable).
    fn weight(&self) -> Option<Weight> {
        match self.0.get("weight")?.value {
            Value::Weight(w) => Some(w),
            _ => None,
        }
    }
}

impl VrrpScript {
    /// `script`: the command and the user it names.
    pub fn command(&self) -> Option<&ScriptCmd> {
        self.settings.script("script")
    }

    /// `user USER [GROUP]`, if set.
    pub fn user(&self) -> Option<RunUser> {
        RunUser::from_words(self.settings.words("user")?)
    }

    /// Where `script` is written.
    pub fn command_loc(&self) -> Option<&Location> {
        self.settings.loc("script")
    }

    /// `weight` (0: a failure means FAULT).
    pub fn weight(&self) -> Weight {
        self.settings.weight().unwrap_or_default()
    }

    /// `rise` (at least 1).
    pub fn rise(&self) -> u32 {
        self.settings
            .int("rise")
            .unwrap_or(1)
            .clamp(1, i64::from(u32::MAX)) as u32
    }

    /// `fall` (at least 1).
    pub fn fall(&self) -> u32 {
        self.settings
            .int("fall")
            .unwrap_or(1)
            .clamp(1, i64::from(u32::MAX)) as u32
    }

    /// `init_fail`: the script starts as failing.
    pub fn init_fail(&self) -> bool {
        self.settings.has("init_fail")
    }

    /// `interval` in seconds (keepalived's default 1).
    pub fn interval(&self) -> i64 {
        self.settings.int("interval").unwrap_or(1)
    }

    /// `timeout` in seconds, if set.
    pub fn timeout(&self) -> Option<i64> {
        self.settings.int("timeout")
    }
}

/// A named section with plain settings (`track_file`, `garp_group`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    /// Name (empty for `garp_group`).
    pub name: String,
    /// Settings.
    pub settings: Settings,
    /// List entries of its blocks (`interfaces`), if any.
    pub entries: Vec<Entry>,
    /// Where.
    pub loc: Location,
}

impl Section {
    /// `file` of a `track_file`.
    pub fn file(&self) -> Option<&str> {
        self.settings.str("file")
    }

    /// A `garp_group`'s `garp_interval`, in microseconds, if set.
    pub fn garp_interval_us(&self) -> Option<u64> {
        self.settings.micros("garp_interval")
    }

    /// A `garp_group`'s `gna_interval`, in microseconds, if set.
    pub fn gna_interval_us(&self) -> Option<u64> {
        self.settings.micros("gna_interval")
    }

    /// A `garp_group`'s interfaces: `interface` and the `interfaces` block's names.
    pub fn garp_interfaces(&self) -> Vec<String> {
        let listed = self
            .entries
            .iter()
            .filter(|e| e.words.first().is_some_and(|w| w != "interfaces"))
            .flat_map(|e| e.words.iter().cloned());
        self.settings
            .str("interface")
            .map(str::to_string)
            .into_iter()
            .chain(listed)
            .collect()
    }

    /// `weight` of a `track_file` (1 when absent, as in keepalived).
    pub fn file_weight(&self) -> Weight {
        self.settings.weight().unwrap_or(Weight {
            value: 1,
            reverse: false,
        })
    }
}

/// `vrrp_sync_group NAME`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncGroup {
    /// Name.
    pub name: String,
    /// Member instance names.
    pub members: Vec<TrackRef>,
    /// Settings (notify scripts, flags).
    pub settings: Settings,
    /// Tracked scripts.
    pub track_scripts: Vec<TrackRef>,
    /// Tracked interfaces.
    pub track_interfaces: Vec<TrackRef>,
    /// Tracked processes.
    pub track_processes: Vec<TrackRef>,
    /// `track_bfd`.
    pub track_bfds: Vec<TrackRef>,
    /// Where.
    pub loc: Location,
}

/// `vrrp_instance NAME`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instance {
    /// Name.
    pub name: String,
    /// Where the block starts.
    pub loc: Location,
    /// Scalar settings.
    pub settings: Settings,
    /// `authentication`.
    pub auth: Option<Authentication>,
    /// `auth_hmac`.
    pub auth_hmac: Option<AuthHmac>,
    /// `unicast_peer`.
    pub unicast_peers: Vec<Peer>,
    /// `virtual_ipaddress`.
    pub vips: Vec<VirtualAddress>,
    /// `virtual_ipaddress_excluded`.
    pub excluded_vips: Vec<VirtualAddress>,
    /// `virtual_routes`.
    pub routes: Vec<Located<crate::routes::RouteSpec>>,
    /// `virtual_rules`.
    pub rules: Vec<Located<crate::routes::RuleSpec>>,
    /// `track_interface`.
    pub track_interfaces: Vec<TrackRef>,
    /// `track_script`.
    pub track_scripts: Vec<TrackRef>,
    /// `track_file`.
    pub track_files: Vec<TrackRef>,
    /// `track_process`.
    pub track_processes: Vec<TrackRef>,
    /// `track_bfd`.
    pub track_bfds: Vec<TrackRef>,
}

/// The `notify*` keywords of an instance, in the order they are listed in `--explain`.
pub const NOTIFY_KEYS: &[&str] = &[
    NotifyKind::Master.keyword(),
    NotifyKind::Backup.keyword(),
    NotifyKind::Fault.keyword(),
    NotifyKind::Stop.keyword(),
    NotifyKind::Any.keyword(),
    NotifyKind::MasterRxLowerPri.keyword(),
    NotifyKind::Deleted.keyword(),
];

/// Initial state as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum InitialState {
    /// `state MASTER`.
    Master,
    /// `state BACKUP` (and keepalived's default for anything else).
    Backup,
}

impl SyncGroup {
    /// `sync_group_tracking_weight`: members keep their tracking weights.
    pub fn tracking_weight(&self) -> bool {
        self.settings.has("sync_group_tracking_weight")
    }
}

impl Global {
    /// `enable_script_security`.
    pub fn script_security(&self) -> bool {
        self.settings.has("enable_script_security")
    }

    /// `script_user USER [GROUP]`, if set.
    pub fn script_user(&self) -> Option<RunUser> {
        RunUser::from_words(self.settings.words("script_user")?)
    }

    /// `vrrp_garp_interval` in microseconds (0: no pacing).
    pub fn garp_interval_us(&self) -> u64 {
        self.settings.micros("vrrp_garp_interval").unwrap_or(0)
    }

    /// `vrrp_gna_interval` in microseconds (0: no pacing).
    pub fn gna_interval_us(&self) -> u64 {
        self.settings.micros("vrrp_gna_interval").unwrap_or(0)
    }

    /// `vrrp_notify_fifo` (or `notify_fifo`): the FIFO path.
    pub fn notify_fifo(&self) -> Option<&str> {
        let words = self.settings.words("vrrp_notify_fifo");
        let words = words.or_else(|| self.settings.words("notify_fifo"))?;
        words.first().map(String::as_str)
    }

    /// Top-level `net_namespace NAME`: the network namespace (`/run/netns/NAME`) the VRRP
    /// side runs in.
    pub fn net_namespace(&self) -> Option<&str> {
        self.settings.str("net_namespace")
    }

    /// Top-level `instance NAME`: keepalived's instance name (it names the pid files).
    pub fn instance_name(&self) -> Option<&str> {
        self.settings.str("instance")
    }

    /// Top-level `use_pid_dir`: pid files in keepalived's pid directory (`/run/keepalived/`);
    /// `net_namespace` and `instance` imply it.
    pub fn use_pid_dir(&self) -> bool {
        self.settings.has("use_pid_dir")
    }
}

impl Global {
    /// `process_monitor_rcv_bufs` (unset or 0: the kernel's default size) and whether
    /// `process_monitor_rcv_bufs_force` asks to exceed the system's maximum.
    pub fn process_monitor_rcv_bufs(&self) -> Option<(u32, bool)> {
        let size = self.settings.int("process_monitor_rcv_bufs")?;
        let size = u32::try_from(size).ok().filter(|s| *s > 0)?;
        let force = self
            .settings
            .bool("process_monitor_rcv_bufs_force")
            .unwrap_or(false);
        Some((size, force))
    }
}

impl Instance {
    /// Whether the instance runs in strict mode: its own `strict_mode`, else the global
    /// `vrrp_strict` (keepalived's `vrrp_complete_instance`).
    pub fn strict(&self, global: &Global) -> bool {
        self.settings
            .bool("strict_mode")
            .unwrap_or_else(|| global.settings.has("vrrp_strict"))
    }

    /// `use_vmac [NAME]`: the VMAC interface's name (keepalived's default `vrrp.VRID`).
    pub fn vmac(&self) -> Option<String> {
        let words = self.settings.words("use_vmac")?;
        Some(
            words
                .first()
                .cloned()
                .unwrap_or_else(|| format!("vrrp.{}", self.vrid().unwrap_or_default())),
        )
    }

    /// `interface` and where it is written (the block, if it is not).
    pub fn interface_at(&self) -> Option<(&str, &Location)> {
        let loc = self.settings.loc("interface").unwrap_or(&self.loc);
        self.interface().map(|name| (name, loc))
    }

    /// `unicast_src_ip` and `mcast_src_ip`, each with its keyword and where it is written.
    pub fn source_addresses(&self) -> Vec<(&'static str, IpAddr, &Location)> {
        ["unicast_src_ip", "mcast_src_ip"]
            .into_iter()
            .filter_map(|key| Some((key, self.settings.ip(key)?, self.settings.loc(key)?)))
            .collect()
    }

    /// `vmac_xmit_base`: adverts leave from the base interface, not the VMAC.
    pub fn vmac_xmit_base(&self) -> bool {
        self.settings.has("vmac_xmit_base")
    }

    /// Whether the instance's own interface is tracked (not `dont_track_primary`).
    pub fn tracks_own_interface(&self) -> bool {
        !self.settings.has("dont_track_primary")
    }

    /// `state`; anything but MASTER is BACKUP, as in keepalived.
    pub fn state(&self) -> InitialState {
        match self.settings.str("state") {
            Some("MASTER") => InitialState::Master,
            _ => InitialState::Backup,
        }
    }

    /// `priority` (default 100).
    pub fn priority(&self) -> u8 {
        self.settings
            .int("priority")
            .and_then(|p| u8::try_from(p).ok())
            .unwrap_or(100)
    }

    /// `virtual_router_id`.
    pub fn vrid(&self) -> Option<u8> {
        self.settings
            .int("virtual_router_id")
            .and_then(|v| u8::try_from(v).ok())
    }

    /// `advert_int` in microseconds (default 1 s).
    pub fn advert_int_us(&self) -> u64 {
        self.settings.micros("advert_int").unwrap_or(1_000_000)
    }

    /// `interface`.
    pub fn interface(&self) -> Option<&str> {
        self.settings.str("interface")
    }

    /// Whether preemption is off.
    pub fn nopreempt(&self) -> bool {
        self.settings.has("nopreempt")
    }
}

/// A whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Config {
    /// `global_defs`.
    pub global: Global,
    /// `vrrp_script`s by name.
    pub scripts: BTreeMap<String, VrrpScript>,
    /// `track_file`s by name.
    pub track_files: BTreeMap<String, Section>,
    /// `vrrp_track_process`es by name (those keepalived keeps: with a `process`).
    pub track_processes: BTreeMap<String, TrackProcess>,
    /// `bfd_instance`s the VRRP side hears of, by name.
    pub bfd_instances: BTreeMap<String, crate::bfd::BfdInstance>,
    /// `vrrp_sync_group`s.
    pub sync_groups: Vec<SyncGroup>,
    /// `garp_group`s.
    pub garp_groups: Vec<Section>,
    /// `vrrp_instance`s, in file order.
    pub instances: Vec<Instance>,
    /// `static_ipaddress`.
    pub static_addresses: Vec<VirtualAddress>,
    /// `static_routes`.
    pub static_routes: Vec<Entry>,
    /// `static_rules`.
    pub static_rules: Vec<Entry>,
}
