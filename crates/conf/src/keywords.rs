//! keepalived 2.2.x keywords per section, with the kind and range of value each takes
//! (from keepalived.conf(5)). Used to recognise, validate and store every setting; the typed
//! model then reads the ones havip acts on.

/// The value a keyword takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// No argument.
    Flag,
    /// Optional boolean (`on|off|true|false|yes|no`), absent = true.
    BoolOpt,
    /// Integer in an inclusive range.
    Int(i64, i64),
    /// Decimal seconds in an inclusive range, stored in microseconds.
    Secs(f64, f64),
    /// One word or quoted string.
    Str,
    /// A script: command (word or quoted) and optional user and group.
    Script,
    /// An IP address.
    Ip,
    /// Any number of arguments, kept as words.
    Words,
    /// A block whose lines are entries, handled by the section's builder.
    Block,
}

use Kind::*;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A section's keywords, indexed on first use (configs have thousands of lines).
pub struct Table {
    entries: &'static [(&'static str, Kind)],
    index: OnceLock<HashMap<&'static str, Kind>>,
}

impl Table {
    /// A table of `(keyword, kind)` entries.
    pub const fn new(entries: &'static [(&'static str, Kind)]) -> Self {
        Table {
            entries,
            index: OnceLock::new(),
        }
    }

    /// The kind of value `key` takes, if it is a keyword of this section.
    pub fn get(&self, key: &str) -> Option<Kind> {
        self.index
            .get_or_init(|| self.entries.iter().copied().collect())
            .get(key)
            .copied()
    }

    /// All keywords.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.entries.iter().map(|(k, _)| *k)
    }
}

/// `global_defs`.
pub static GLOBAL: Table = Table::new(&[
    ("router_id", Str),
    ("state_dump_file", Str),
    ("stats_dump_file", Str),
    ("json_dump_file", Str),
    ("notification_email", Block),
    ("notification_email_from", Str),
    ("smtp_server", Words),
    ("smtp_helo_name", Str),
    ("smtp_connect_timeout", Int(1, 3600)),
    ("smtp_alert", BoolOpt),
    ("smtp_alert_vrrp", BoolOpt),
    ("smtp_alert_checker", BoolOpt),
    ("checker_log_all_failures", BoolOpt),
    ("no_email_faults", Flag),
    ("email_from", Str),
    ("vrrp_mcast_group4", Ip),
    ("vrrp_mcast_group6", Ip),
    ("default_interface", Str),
    ("vrrp_garp_master_delay", Int(0, 1000)),
    ("vrrp_garp_master_repeat", Int(0, 255)),
    ("vrrp_garp_lower_prio_delay", Int(0, 1000)),
    ("vrrp_garp_lower_prio_repeat", Int(0, 255)),
    ("vrrp_garp_master_refresh", Int(0, 86400)),
    ("vrrp_garp_master_refresh_repeat", Int(1, 255)),
    ("vrrp_garp_interval", Secs(0.000001, 4294.967295)),
    ("vrrp_gna_interval", Secs(0.000001, 4294.967295)),
    ("vrrp_min_garp", BoolOpt),
    ("vrrp_garp_extra_if", Words),
    ("vrrp_down_timer_adverts", Int(1, 100)),
    ("vrrp_lower_prio_no_advert", BoolOpt),
    ("vrrp_higher_prio_send_advert", BoolOpt),
    ("vrrp_version", Int(2, 3)),
    ("vrrp_check_unicast_src", Flag),
    ("vrrp_skip_check_adv_addr", Flag),
    ("vrrp_strict", Flag),
    ("vrrp_iptables", Words),
    ("vrrp_ipsets", Words),
    ("nftables", Words),
    ("nftables_priority", Int(-2147483648, 2147483647)),
    ("nftables_counters", Flag),
    ("nftables_ifindex", Flag),
    ("nftables_ipvs", Words),
    ("nftables_ipvs_priority", Int(-2147483648, 2147483647)),
    ("nftables_ipvs_start_fwmark", Int(0, 4294967295)),
    ("vrrp_notify_priority_changes", BoolOpt),
    ("max_auto_priority", Int(-1, 99)),
    ("min_auto_priority_delay", Int(0, 2147483647)),
    ("vrrp_priority", Int(-20, 19)),
    ("checker_priority", Int(-20, 19)),
    ("bfd_priority", Int(-20, 19)),
    ("vrrp_no_swap", Flag),
    ("checker_no_swap", Flag),
    ("bfd_no_swap", Flag),
    ("vrrp_cpu_affinity", Words),
    ("checker_cpu_affinity", Words),
    ("bfd_cpu_affinity", Words),
    ("vrrp_rt_priority", Int(1, 99)),
    ("checker_rt_priority", Int(1, 99)),
    ("bfd_rt_priority", Int(1, 99)),
    ("vrrp_rlimit_rttime", Int(2, 2147483647)),
    ("checker_rlimit_rttime", Int(2, 2147483647)),
    ("bfd_rlimit_rttime", Int(2, 2147483647)),
    ("snmp_socket", Str),
    ("enable_snmp_vrrp", Flag),
    ("enable_snmp_keepalived", Flag),
    ("enable_snmp_checker", Flag),
    ("enable_snmp_rfc", Flag),
    ("enable_snmp_rfcv2", Flag),
    ("enable_snmp_rfcv3", Flag),
    ("enable_traps", Flag),
    ("enable_dbus", Flag),
    ("dbus_service_name", Str),
    ("script_user", Words),
    ("enable_script_security", Flag),
    ("notify_fifo", Words),
    ("notify_fifo_script", Script),
    ("vrrp_notify_fifo", Words),
    ("vrrp_notify_fifo_script", Script),
    ("lvs_notify_fifo", Words),
    ("lvs_notify_fifo_script", Script),
    ("fifo_write_vrrp_states_on_reload", Flag),
    ("dynamic_interfaces", Words),
    ("vrrp_netlink_cmd_rcv_bufs", Int(0, 2147483647)),
    ("vrrp_netlink_cmd_rcv_bufs_force", BoolOpt),
    ("vrrp_netlink_monitor_rcv_bufs", Int(0, 2147483647)),
    ("vrrp_netlink_monitor_rcv_bufs_force", BoolOpt),
    ("lvs_netlink_cmd_rcv_bufs", Int(0, 2147483647)),
    ("lvs_netlink_cmd_rcv_bufs_force", BoolOpt),
    ("lvs_netlink_monitor_rcv_bufs", Int(0, 2147483647)),
    ("lvs_netlink_monitor_rcv_bufs_force", BoolOpt),
    ("process_monitor_rcv_bufs", Int(0, 2147483647)),
    ("process_monitor_rcv_bufs_force", BoolOpt),
    ("vrrp_rx_bufs_policy", Str),
    ("vrrp_rx_bufs_multiplier", Int(1, 2147483647)),
    ("rs_init_notifies", Flag),
    ("no_checker_emails", Flag),
    ("umask", Str),
    ("vrrp_startup_delay", Secs(0.0, 3600.0)),
    ("log_unknown_vrids", Flag),
    ("vmac_prefix", Str),
    ("vmac_addr_prefix", Str),
    ("random_seed", Int(0, 4294967295)),
    ("reload_check_config", Words),
    ("include_check", Words),
    ("reload_time_file", Str),
    ("reload_repeat", Flag),
    ("reload_file", Words),
    ("data_use_instance", BoolOpt),
    ("tmp_config_directory", Str),
    ("config_save_dir", Str),
    ("process_names", Flag),
    ("process_name", Str),
    ("vrrp_process_name", Str),
    ("checker_process_name", Str),
    ("bfd_process_name", Str),
    ("startup_script", Script),
    ("startup_script_timeout", Int(1, 1000)),
    ("shutdown_script", Script),
    ("shutdown_script_timeout", Int(1, 1000)),
    ("lvs_sync_daemon", Words),
    ("lvs_timeouts", Words),
    ("lvs_flush", Flag),
    ("lvs_flush_on_stop", Words),
    ("net_namespace", Str),
    ("net_namespace_ipvs", Str),
    ("namespace_with_ipsets", Flag),
    ("instance", Str),
    ("use_pid_dir", Flag),
    ("linkbeat_use_polling", Flag),
    ("child_wait_time", Int(0, 2147483647)),
    ("vrrp_garp_master_refresh_repeat", Int(1, 255)),
    ("vrrp_track_process", Flag),
    ("checker", Flag),
]);

/// `vrrp_instance`.
pub static INSTANCE: Table = Table::new(&[
    ("state", Str),
    ("interface", Str),
    ("vrf", Str),
    ("use_vmac", Words),
    ("use_vmac_addr", Flag),
    ("vmac_xmit_base", Flag),
    ("use_ipvlan", Words),
    ("native_ipv6", Flag),
    ("dont_track_primary", Flag),
    ("track_interface", Block),
    ("track_script", Block),
    ("track_file", Block),
    ("track_process", Block),
    ("track_bfd", Block),
    ("mcast_src_ip", Ip),
    ("unicast_src_ip", Ip),
    ("mcast_dst_ip", Ip),
    ("track_src_ip", Flag),
    ("version", Int(2, 3)),
    ("check_unicast_src", Flag),
    ("unicast_peer", Block),
    ("unicast_fault_no_peer", Flag),
    ("unicast_ttl", Int(0, 255)),
    ("old_unicast_checksum", Words),
    ("garp_master_delay", Int(0, 1000)),
    ("garp_master_repeat", Int(0, 255)),
    ("garp_lower_prio_delay", Int(0, 1000)),
    ("garp_lower_prio_repeat", Int(0, 255)),
    ("garp_master_refresh", Int(0, 86400)),
    ("garp_master_refresh_repeat", Int(1, 255)),
    ("garp_extra_if", Words),
    ("down_timer_adverts", Int(1, 100)),
    ("lower_prio_no_advert", BoolOpt),
    ("higher_prio_send_advert", BoolOpt),
    ("virtual_router_id", Int(1, 255)),
    ("priority", Int(1, 255)),
    ("advert_int", Secs(0.01, 255.0)),
    ("authentication", Block),
    ("auth_hmac", Block),
    ("virtual_ipaddress", Block),
    ("virtual_ipaddress_excluded", Block),
    ("promote_secondaries", Flag),
    ("virtual_routes", Block),
    ("virtual_rules", Block),
    ("accept", Flag),
    ("no_accept", Flag),
    ("nopreempt", Flag),
    ("preempt", Flag),
    ("preempt_delay", Secs(0.0, 1000.0)),
    ("skip_check_adv_addr", BoolOpt),
    ("strict_mode", BoolOpt),
    ("debug", Int(0, 4)),
    ("notify_master", Script),
    ("notify_backup", Script),
    ("notify_fault", Script),
    ("notify_stop", Script),
    ("notify_deleted", Script),
    ("notify", Script),
    ("notify_master_rx_lower_pri", Script),
    ("notify_priority_changes", BoolOpt),
    ("smtp_alert", BoolOpt),
    ("kernel_rx_buf_size", Int(0, 2147483647)),
    ("linkbeat_use_polling", Flag),
    ("garp_group", Str),
    ("lvs_sync_daemon_interface", Str),
]);

/// `vrrp_script NAME`.
pub static SCRIPT: Table = Table::new(&[
    ("script", Script),
    ("interval", Int(1, 2147483647)),
    ("timeout", Int(1, 2147483647)),
    ("weight", Words),
    ("rise", Int(1, 2147483647)),
    ("fall", Int(1, 2147483647)),
    ("user", Words),
    ("init_fail", Flag),
]);

/// `vrrp_sync_group NAME`.
pub static SYNC_GROUP: Table = Table::new(&[
    ("group", Block),
    ("track_interface", Block),
    ("track_script", Block),
    ("track_file", Block),
    ("track_process", Block),
    ("track_bfd", Block),
    ("notify_master", Script),
    ("notify_backup", Script),
    ("notify_fault", Script),
    ("notify_stop", Script),
    ("notify_deleted", Script),
    ("notify", Script),
    ("notify_priority_changes", BoolOpt),
    ("smtp_alert", BoolOpt),
    ("global_tracking", Flag),
    ("sync_group_tracking_weight", Flag),
]);

/// `track_file NAME` / `vrrp_track_file NAME`.
pub static TRACK_FILE: Table =
    Table::new(&[("file", Str), ("weight", Words), ("init_file", Words)]);

/// `vrrp_track_process NAME`.
pub static TRACK_PROCESS: Table = Table::new(&[
    ("process", Words),
    ("param_match", Str),
    ("weight", Words),
    ("quorum", Int(1, 65535)),
    ("quorum_max", Int(0, 65535)),
    ("fork_delay", Secs(0.0, 3600.0)),
    ("terminate_delay", Secs(0.0, 3600.0)),
    ("delay", Secs(0.0, 3600.0)),
    ("full_command", Flag),
]);

/// `garp_group`.
pub static GARP_GROUP: Table = Table::new(&[
    ("garp_interval", Secs(0.000001, 4294.967295)),
    ("gna_interval", Secs(0.000001, 4294.967295)),
    ("interface", Str),
    ("interfaces", Block),
]);

/// `authentication`.
pub static AUTHENTICATION: Table = Table::new(&[("auth_type", Str), ("auth_pass", Str)]);

/// `auth_hmac` (read by its own builder; the table names its keywords for suggestions).
pub static AUTH_HMAC: Table = Table::new(&[
    ("key", Words),
    ("active_key", Int(1, 255)),
    ("time_window", Int(1, 300)),
    ("anti_replay", Str),
    ("mode", Str),
]);

/// Top-level sections of keepalived's load-balancer (IPVS) and BFD halves, which havip does not run.
pub const UNSUPPORTED_TOP: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "bfd_instance",
    "vrrp_track_bfd",
    "track_bfd",
    "linkbeat_interfaces",
    "track_group",
];

/// Keywords keepalived still accepts but has replaced, and what replaced them.
pub const DEPRECATED: &[(&str, &str)] = &[
    (
        "lvs_sync_daemon_interface",
        "use `lvs_sync_daemon` in global_defs",
    ),
    ("vrrp_track_file", "use `track_file`"),
];
