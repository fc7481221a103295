//! The rows: one line per keyword. Flipping a keyword to done is changing its status to `DONE`
//! on its line (with a test that exercises it).

use super::Kind::{self, *};
use super::Section::{self, *};
use super::{Row, Status, ValueRow};
use crate::diag::Severity;

const DONE: Status = Status::Done;

/// Not done, and it changes what goes on the wire or when a failover happens.
const fn warn(reason: &'static str) -> Status {
    Status::NotDone(Severity::Warning, reason)
}

/// Not done, without effect on the wire or on failovers.
const fn info(reason: &'static str) -> Status {
    Status::NotDone(Severity::Info, reason)
}

#[allow(clippy::too_many_arguments)]
const fn r(
    section: Section,
    keyword: &'static str,
    kind: Kind,
    status: Status,
    default: &'static str,
    since: &'static str,
    meaning: &'static str,
) -> Row {
    Row {
        section,
        keyword,
        kind,
        status,
        default,
        since,
        meaning,
    }
}

const IPVS: Status = info("havipd runs the VRRP side only: run keepalived's checker for IPVS");
const MULTIHOP: Status = warn(
    "havipd's BFD is single hop (RFC 5881): a multi-hop session (RFC 5883) runs as single hop",
);
const BFD_PROC: Status = info(
    "havipd runs its BFD sessions on a thread (`havipd-bfd`), not a process: only `bfd_rt_priority` and `bfd_priority` apply to it",
);
const SNMP: Status = info(
    "havipd serves the VRRP MIBs only: the checker's MIB and statistics are keepalived's checker's",
);
const DBUS: Status =
    info("havipd's D-Bus object paths always name the interface, as keepalived 2.2.7's do");
const PROC: Status = info("havipd does not apply this process setting");
const RELOAD: Status =
    info("havipd reloads on SIGHUP and checks the config itself; this reload setting is not read");
const NETLINK: Status = info("havipd sizes its own netlink buffers");
const FIREWALL: Status = info(
    "havipd makes its no_accept rules with nftables (`nftables`, `nftables_priority`) and does not read this setting",
);
const TRACK_PROCESS: Status = DONE;
const STRICT: Status = DONE;
const NOT_NOTIFIED: Status = warn("havipd does not run this notify script yet");
const PRIO_CHANGES: Status = DONE;
const UNTESTED: Status =
    warn("havipd reads it, but no test yet shows it acting as keepalived does");
const EXTRA_IF: Status = warn("havipd sends no GARPs on extra interfaces yet");

/// Every keyword of keepalived's VRRP side, per section.
#[rustfmt::skip]
pub static ROWS: &[Row] = &[
    // Outside any block.
    r(Top, "global_defs", Block, DONE, "none", "", "global settings"),
    r(Top, "vrrp_instance", Block, DONE, "none", "", "a VRRP instance: one virtual router on one interface"),
    r(Top, "vrrp_script", Block, DONE, "none", "", "a check script whose result changes the priority of the instances tracking it"),
    r(Top, "vrrp_sync_group", Block, DONE, "none", "", "instances that change state together"),
    r(Top, "track_file", Block, DONE, "none", "", "a file whose number changes the priority of the instances tracking it"),
    r(Top, "vrrp_track_file", Block, DONE, "none", "", "old name of track_file"),
    r(Top, "garp_group", Block, DONE, "none", "", "GARP/NA pacing for a set of interfaces"),
    r(Top, "vrrp_track_process", Block, TRACK_PROCESS, "none", "", "a process whose presence changes the priority of the instances tracking it"),
    r(Top, "static_ipaddress", Block, warn("havipd does not add static addresses"), "none", "", "addresses keepalived adds at start, whatever the state"),
    r(Top, "static_routes", Block, warn("havipd does not add static routes"), "none", "", "routes keepalived adds at start, whatever the state"),
    r(Top, "static_rules", Block, warn("havipd does not add static rules"), "none", "", "policy rules keepalived adds at start, whatever the state"),
    r(Top, "track_group", Block, warn("havipd has no static track groups"), "none", "", "instances whose faults remove static addresses and routes"),
    r(Top, "linkbeat_interfaces", Block, info("havipd follows links through netlink only"), "none", "", "interfaces whose link state is polled (MII/ETHTOOL) instead of read from netlink"),
    r(Top, "linkbeat_use_polling", Flag, info("havipd follows links through netlink only"), "off", "", "poll every interface's link state instead of using netlink"),
    r(Top, "interface_up_down_delays", Block, warn("havipd acts on link changes at once"), "none", "", "per interface, how long a link must stay down/up before instances react"),
    r(Top, "net_namespace", Str, DONE, "none", "", "run keepalived in this network namespace"),
    r(Top, "net_namespace_ipvs", Str, IPVS, "none", "", "network namespace of IPVS"),
    r(Top, "namespace_with_ipsets", Flag, info("havipd uses no ipsets"), "off", "", "ipset names are per namespace"),
    r(Top, "use_pid_dir", Flag, DONE, "off", "", "put pid files in /run/keepalived"),
    r(Top, "instance", Str, DONE, "none", "", "name of this keepalived instance, used in file names and by @ conditionals"),
    r(Top, "child_wait_time", Int(0, 2147483647), info("havipd waits for its worker its own way"), "5", "", "seconds to wait for children to stop at shutdown"),
    r(Top, "bfd_instance", Block, DONE, "none", "", "a BFD session to a neighbour"),

    // global_defs.
    r(Global, "router_id", Str, DONE, "the host name", "", "names this machine in dumps and notifications"),
    r(Global, "notification_email", Block, DONE, "none", "", "addresses state changes are mailed to"),
    r(Global, "notification_email_from", Str, DONE, "keepalived@<host>", "", "sender address of the emails"),
    r(Global, "smtp_server", Words, DONE, "none", "", "mail server (and port)"),
    r(Global, "smtp_helo_name", Str, DONE, "router_id", "", "HELO name given to the mail server"),
    r(Global, "smtp_connect_timeout", Int(1, 3600), DONE, "30", "", "seconds to connect to the mail server"),
    r(Global, "smtp_alert", BoolOpt, DONE, "off", "", "send emails on state changes"),
    r(Global, "smtp_alert_vrrp", BoolOpt, DONE, "off", "", "send emails on VRRP state changes"),
    r(Global, "smtp_alert_checker", BoolOpt, IPVS, "off", "", "send emails on checker changes"),
    r(Global, "checker_log_all_failures", BoolOpt, IPVS, "off", "", "log every checker failure"),
    r(Global, "no_email_faults", Flag, DONE, "off", "", "no email on FAULT"),
    r(Global, "process_names", Flag, PROC, "off", "", "name the child processes"),
    r(Global, "process_name", Str, PROC, "keepalived", "", "name of the parent process"),
    r(Global, "vrrp_process_name", Str, PROC, "keepalived_vrrp", "", "name of the VRRP process"),
    r(Global, "checker_process_name", Str, IPVS, "keepalived_checker", "", "name of the checker process"),
    r(Global, "lvs_process_name", Str, IPVS, "keepalived_checker", "", "old name of checker_process_name"),
    r(Global, "bfd_process_name", Str, BFD_PROC, "keepalived_bfd", "", "name of the BFD process"),
    r(Global, "use_symlink_paths", BoolOpt, info("havipd runs scripts by the path written"), "off", "2.3.0", "do not resolve symbolic links in script paths"),
    r(Global, "startup_script", Script, info("havipd runs no startup script"), "none", "", "script run once when keepalived starts"),
    r(Global, "startup_script_timeout", Int(1, 1000), info("havipd runs no startup script"), "10", "", "seconds the startup script may run"),
    r(Global, "shutdown_script", Script, info("havipd runs no shutdown script"), "none", "", "script run once when keepalived stops"),
    r(Global, "shutdown_script_timeout", Int(1, 1000), info("havipd runs no shutdown script"), "10", "", "seconds the shutdown script may run"),
    r(Global, "max_auto_priority", Int(-1, 99), PROC, "none", "", "highest real-time priority keepalived raises itself to when late"),
    r(Global, "min_auto_priority_delay", Int(0, 2147483647), PROC, "none", "", "lateness (us) that raises the real-time priority"),
    r(Global, "dynamic_interfaces", Words, DONE, "off", "", "allow instances on interfaces that do not exist yet"),
    r(Global, "default_interface", Str, warn("havipd needs an `interface` in each instance"), "eth0", "", "interface of instances and static addresses that name none"),
    r(Global, "disable_local_igmp", Flag, warn("havipd does not change IGMP reporting"), "off", "", "do not send IGMP reports for VMAC interfaces"),
    r(Global, "v3_checksum_as_v2", BoolOpt, warn("havipd always includes the pseudo-header in VRRPv3 IPv4 checksums"), "off", "2.2.8", "VRRPv3 IPv4 checksums without the pseudo-header, as old peers do"),
    r(Global, "lvs_timeouts", Words, IPVS, "kernel's", "", "IPVS connection timeouts"),
    r(Global, "lvs_flush", Flag, IPVS, "off", "", "flush IPVS at start"),
    r(Global, "lvs_flush_on_stop", Words, IPVS, "off", "", "flush IPVS at stop"),
    r(Global, "lvs_flush_onstop", Words, IPVS, "off", "", "old name of lvs_flush_on_stop"),
    r(Global, "lvs_sync_daemon", Words, IPVS, "none", "", "IPVS connection sync daemon, following an instance"),
    r(Global, "vrrp_mcast_group4", Ip, DONE, "224.0.0.18", "", "IPv4 multicast group of adverts"),
    r(Global, "vrrp_mcast_group6", Ip, DONE, "ff02::12", "", "IPv6 multicast group of adverts"),
    r(Global, "vrrp_garp_master_delay", Int(0, 1000), DONE, "5", "", "seconds after becoming master before the second burst of GARPs"),
    r(Global, "vrrp_garp_master_repeat", Int(0, 255), DONE, "5", "", "GARPs per burst on becoming master"),
    r(Global, "vrrp_garp_master_refresh", Int(0, 86400), DONE, "0 (off)", "", "seconds between GARP refreshes while master"),
    r(Global, "vrrp_garp_master_refresh_repeat", Int(1, 255), DONE, "1", "", "GARPs per refresh"),
    r(Global, "vrrp_garp_lower_prio_delay", Int(0, 1000), DONE, "vrrp_garp_master_delay", "", "delay of the second burst after a lower-priority advert"),
    r(Global, "vrrp_garp_lower_prio_repeat", Int(0, 255), DONE, "vrrp_garp_master_repeat", "", "GARPs per burst after a lower-priority advert"),
    r(Global, "vrrp_down_timer_adverts", Int(1, 100), DONE, "3", "", "adverts missed before a backup takes over"),
    r(Global, "vrrp_garp_interval", Secs(0.000001, 4294.967295), DONE, "0", "", "gap between GARPs on one interface"),
    r(Global, "vrrp_gna_interval", Secs(0.000001, 4294.967295), DONE, "0", "", "gap between unsolicited NAs on one interface"),
    r(Global, "vrrp_min_garp", BoolOpt, warn("havipd sends the full GARP bursts"), "off", "", "one GARP on becoming master, no second burst nor refresh"),
    r(Global, "vrrp_garp_extra_if", Words, EXTRA_IF, "none", "", "refresh GARPs on interfaces of VIPs other than the instance's"),
    r(Global, "vrrp_vmac_garp_intvl", Words, EXTRA_IF, "none", "", "old name of vrrp_garp_extra_if"),
    r(Global, "vrrp_lower_prio_no_advert", BoolOpt, DONE, "off", "", "a master answers no lower-priority advert (RFC behaviour)"),
    r(Global, "vrrp_higher_prio_send_advert", BoolOpt, DONE, "off", "", "a master sends an advert before yielding to a higher priority"),
    r(Global, "vrrp_version", Int(2, 3), DONE, "2", "", "VRRP version of instances that set none"),
    r(Global, "vrrp_iptables", Words, FIREWALL, "none", "", "iptables chains for no_accept and VMAC filtering"),
    r(Global, "vrrp_ipsets", Words, Status::Refused("keepalived as Debian builds it (without ipset support) does not know it: \"Unknown keyword\", and `keepalived -t` fails"), "none", "", "ipset names for no_accept"),
    r(Global, "nftables", Words, DONE, "none", "", "nftables table for no_accept and VMAC filtering"),
    r(Global, "nftables_priority", Int(-2147483648, 2147483647), DONE, "-1", "", "priority of the nftables chains"),
    r(Global, "nftables_ifindex", Flag, FIREWALL, "off", "", "match interfaces by index in nftables rules"),
    r(Global, "nftables_counters", Flag, FIREWALL, "off", "", "counters on nftables rules"),
    r(Global, "nftables_ipvs", Words, IPVS, "none", "", "nftables table for IPVS"),
    r(Global, "nftables_ipvs_priority", Int(-2147483648, 2147483647), IPVS, "-1", "", "priority of the IPVS nftables chains"),
    r(Global, "nftables_ipvs_start_fwmark", Int(0, 4294967295), IPVS, "1000", "", "first firewall mark used for IPVS"),
    r(Global, "vrrp_check_unicast_src", Flag, DONE, "off", "", "drop unicast adverts from addresses that are not peers"),
    r(Global, "vrrp_skip_check_adv_addr", Flag, DONE, "off", "", "do not check the addresses in adverts from the current master"),
    r(Global, "vrrp_strict", Flag, STRICT, "off", "", "RFC-strict VRRP: refuse unicast and authentication, no_accept"),
    r(Global, "vrrp_priority", Int(-20, 19), DONE, "0", "", "nice value of the VRRP process"),
    r(Global, "vrrp_no_swap", Flag, PROC, "off", "", "lock the VRRP process in memory"),
    r(Global, "vrrp_rt_priority", Int(1, 99), DONE, "none", "", "real-time (SCHED_RR) priority of the VRRP process"),
    r(Global, "vrrp_cpu_affinity", Words, PROC, "none", "", "CPUs the VRRP process runs on"),
    r(Global, "vrrp_rlimit_rttime", Int(2, 2147483647), PROC, "10000", "", "RLIMIT_RTTIME (us) of the real-time VRRP process"),
    r(Global, "vrrp_rlimit_rtime", Int(2, 2147483647), PROC, "10000", "", "old name of vrrp_rlimit_rttime"),
    r(Global, "notify_fifo", Words, DONE, "none", "", "FIFO every state change is written to"),
    r(Global, "notify_fifo_script", Script, DONE, "none", "", "script started to read notify_fifo"),
    r(Global, "vrrp_notify_fifo", Words, DONE, "none", "", "FIFO every VRRP state change is written to"),
    r(Global, "vrrp_notify_fifo_script", Script, DONE, "none", "", "script started to read vrrp_notify_fifo"),
    r(Global, "vrrp_notify_priority_changes", BoolOpt, PRIO_CHANGES, "off", "", "write priority changes to the notify FIFOs"),
    r(Global, "fifo_write_vrrp_states_on_reload", Flag, info("havipd writes no states to the FIFO on reload"), "off", "", "write every instance's state to the FIFOs after a reload"),
    r(Global, "lvs_notify_fifo", Words, IPVS, "none", "", "FIFO of checker events"),
    r(Global, "lvs_notify_fifo_script", Script, IPVS, "none", "", "script reading lvs_notify_fifo"),
    r(Global, "checker_priority", Int(-20, 19), IPVS, "0", "", "nice value of the checker process"),
    r(Global, "checker_no_swap", Flag, IPVS, "off", "", "lock the checker process in memory"),
    r(Global, "checker_rt_priority", Int(1, 99), IPVS, "none", "", "real-time priority of the checker process"),
    r(Global, "checker_cpu_affinity", Words, IPVS, "none", "", "CPUs the checker process runs on"),
    r(Global, "checker_rlimit_rttime", Int(2, 2147483647), IPVS, "10000", "", "RLIMIT_RTTIME of the checker process"),
    r(Global, "checker_rlimit_rtime", Int(2, 2147483647), IPVS, "10000", "", "old name of checker_rlimit_rttime"),
    r(Global, "bfd_priority", Int(-20, 19), DONE, "0", "", "nice value of the BFD process (havipd: its BFD thread)"),
    r(Global, "bfd_no_swap", Flag, BFD_PROC, "off", "", "lock the BFD process in memory"),
    r(Global, "bfd_rt_priority", Int(1, 99), DONE, "none", "", "real-time (SCHED_RR) priority of the BFD process (havipd: its BFD thread)"),
    r(Global, "bfd_cpu_affinity", Words, BFD_PROC, "none", "", "CPUs the BFD process runs on"),
    r(Global, "bfd_rlimit_rttime", Int(2, 2147483647), BFD_PROC, "10000", "", "RLIMIT_RTTIME of the BFD process"),
    r(Global, "bfd_rlimit_rtime", Int(2, 2147483647), BFD_PROC, "10000", "", "old name of bfd_rlimit_rttime"),
    r(Global, "snmp_socket", Str, DONE, "unix:/var/agentx/master", "", "AgentX socket of the SNMP master agent"),
    r(Global, "enable_traps", Flag, DONE, "off", "", "send SNMP traps"),
    r(Global, "enable_snmp_vrrp", Flag, DONE, "off", "", "keepalived's VRRP SNMP MIB"),
    r(Global, "enable_snmp_keepalived", Flag, DONE, "off", "", "old name of enable_snmp_vrrp"),
    r(Global, "enable_snmp_rfc", Flag, DONE, "off", "", "the RFC VRRP MIBs (v2 and v3)"),
    r(Global, "enable_snmp_rfcv2", Flag, DONE, "off", "", "the RFC 2787 VRRP MIB"),
    r(Global, "enable_snmp_rfcv3", Flag, DONE, "off", "", "the RFC 6527 VRRPv3 MIB"),
    r(Global, "enable_snmp_checker", Flag, SNMP, "off", "", "the checker's SNMP MIB"),
    r(Global, "snmp_vs_stats_update_interval", Int(0, 2147483647), SNMP, "0", "2.3.0", "seconds between virtual-server SNMP statistics updates"),
    r(Global, "snmp_rs_stats_update_interval", Int(0, 2147483647), SNMP, "0", "2.3.0", "seconds between real-server SNMP statistics updates"),
    r(Global, "enable_dbus", Flag, DONE, "off", "", "keepalived's D-Bus interface"),
    r(Global, "dbus_service_name", Str, DONE, "org.keepalived.Vrrp1", "", "D-Bus service name"),
    r(Global, "dbus_no_interface_name", Flag, DBUS, "off", "2.3.0", "D-Bus object paths without the interface name"),
    r(Global, "script_user", Words, DONE, "keepalived_script, else root", "", "user (and group) scripts run as"),
    r(Global, "enable_script_security", Flag, DONE, "off", "", "refuse scripts that non-root users could change"),
    r(Global, "vrrp_netlink_cmd_rcv_bufs", Int(0, 2147483647), NETLINK, "kernel's", "", "receive buffer of the netlink command socket"),
    r(Global, "vrrp_netlink_cmd_rcv_bufs_force", BoolOpt, NETLINK, "off", "", "force that size past rmem_max"),
    r(Global, "vrrp_netlink_monitor_rcv_bufs", Int(0, 2147483647), NETLINK, "kernel's", "", "receive buffer of the netlink monitor socket"),
    r(Global, "vrrp_netlink_monitor_rcv_bufs_force", BoolOpt, NETLINK, "off", "", "force that size past rmem_max"),
    r(Global, "process_monitor_rcv_bufs", Int(0, 2147483647), DONE, "kernel's", "", "receive buffer of the process monitor socket"),
    r(Global, "process_monitor_rcv_bufs_force", BoolOpt, DONE, "off", "", "force that size past rmem_max"),
    r(Global, "lvs_netlink_cmd_rcv_bufs", Int(0, 2147483647), IPVS, "kernel's", "", "receive buffer of the IPVS netlink command socket"),
    r(Global, "lvs_netlink_cmd_rcv_bufs_force", BoolOpt, IPVS, "off", "", "force that size past rmem_max"),
    r(Global, "lvs_netlink_monitor_rcv_bufs", Int(0, 2147483647), IPVS, "kernel's", "", "receive buffer of the IPVS netlink monitor socket"),
    r(Global, "lvs_netlink_monitor_rcv_bufs_force", BoolOpt, IPVS, "off", "", "force that size past rmem_max"),
    r(Global, "rs_init_notifies", Flag, IPVS, "off", "", "notify real servers' initial states"),
    r(Global, "no_checker_emails", Flag, IPVS, "off", "", "no email on checker changes"),
    r(Global, "vrrp_rx_bufs_policy", Str, NETLINK, "kernel's", "", "how the advert sockets' receive buffers are sized"),
    r(Global, "vrrp_rx_bufs_multiplier", Int(1, 2147483647), NETLINK, "3", "", "multiplier of that size"),
    r(Global, "vrrp_startup_delay", Secs(0.0, 3600.0), DONE, "0", "", "seconds to wait after start before instances run"),
    r(Global, "vrrp_delay_after_boot", Secs(0.0, 3600.0), DONE, "0", "2.4.0", "like vrrp_startup_delay, only in the first seconds after boot"),
    r(Global, "log_unknown_vrids", Flag, info("havipd counts adverts for unknown VRIDs (stats.json) instead of logging them"), "off", "", "log adverts for VRIDs no instance has"),
    r(Global, "vrrp_owner_ignore_adverts", Flag, warn("havipd's address owner (priority 255) answers adverts as the RFC says"), "off", "2.3.3", "an address owner ignores other routers' adverts"),
    r(Global, "vmac_prefix", Str, info("havipd names VMAC interfaces vrrp.<VRID>"), "vrrp.", "", "name prefix of VMAC interfaces"),
    r(Global, "vmac_addr_prefix", Str, info("havipd names VMAC interfaces vrrp.<VRID>"), "vrrp.", "", "name prefix of use_vmac_addr interfaces"),
    r(Global, "umask", Str, PROC, "0177", "", "umask of files keepalived creates"),
    r(Global, "random_seed", Int(0, 4294967295), info("havipd seeds its own randomness"), "time", "", "seed of keepalived's random numbers"),
    r(Global, "reload_check_config", Words, RELOAD, "off", "", "check the config in a child before reloading"),
    r(Global, "reload_time_file", Str, RELOAD, "none", "", "file holding a time at which to reload"),
    r(Global, "reload_repeat", Flag, RELOAD, "off", "", "reload daily at reload_time_file's time"),
    r(Global, "reload_file", Words, RELOAD, "none", "", "file created while a reload runs"),
    r(Global, "include_check", Words, RELOAD, "off", "", "check included files before a reload"),
    r(Global, "config_save_dir", Str, RELOAD, "none", "", "where configs that failed a reload check are saved"),
    r(Global, "tmp_config_directory", Str, info("havipd reads the config in memory"), "/tmp", "", "directory of keepalived's temporary config copy"),
    r(Global, "data_use_instance", BoolOpt, info("havipd has no instance names"), "off", "", "add the instance name to dump file names"),
    r(Global, "json_version", Int(1, 2), info("havipd writes version 1 of keepalived.json"), "1", "2.2.8", "shape of keepalived.json"),
    r(Global, "iproute_usr_dir", Str, info("havipd reads route table and protocol names from the standard paths"), "/usr/share/iproute2", "2.3.2", "where iproute2's name files are"),
    r(Global, "iproute_etc_dir", Str, info("havipd reads route table and protocol names from the standard paths"), "/etc/iproute2", "2.3.2", "where iproute2's local name files are"),
    r(Global, "state_dump_file", Str, DONE, "$TMPDIR/keepalived.data", "2.3.3", "file written on SIGUSR1"),
    r(Global, "stats_dump_file", Str, DONE, "$TMPDIR/keepalived.stats", "2.3.3", "file written on SIGUSR2"),
    r(Global, "json_dump_file", Str, DONE, "$TMPDIR/keepalived.json", "2.3.3", "file written on the JSON signal"),

    // vrrp_instance.
    r(Instance, "state", Str, DONE, "BACKUP (MASTER at priority 255)", "", "initial state"),
    r(Instance, "interface", Str, DONE, "default_interface", "", "interface adverts are sent and received on"),
    r(Instance, "vrf", Str, warn("this kernel/havipd has no VRF support: adverts and VIPs go through the base interface"), "none", "", "VRF the instance runs in"),
    r(Instance, "use_vmac", Words, DONE, "off", "", "a macvlan interface with the virtual router's MAC"),
    r(Instance, "use_vmac_addr", Flag, warn("havipd creates a VMAC on the instance's interface only"), "off", "", "a VMAC also on each other interface a VIP or eVIP uses"),
    r(Instance, "vmac_xmit_base", Flag, UNTESTED, "off", "", "send adverts from the base interface, not the VMAC"),
    r(Instance, "use_ipvlan", Words, warn("havipd creates no ipvlan interfaces"), "off", "", "an ipvlan interface instead of a VMAC"),
    r(Instance, "native_ipv6", Flag, DONE, "off", "", "deprecated: force an IPv6 instance (the VIPs decide the family)"),
    r(Instance, "dont_track_primary", Flag, UNTESTED, "off", "", "a fault of the instance's own interface does not fault it"),
    r(Instance, "track_interface", Block, DONE, "none", "", "interfaces whose link state changes the priority or faults the instance"),
    r(Instance, "track_script", Block, DONE, "none", "", "vrrp_scripts changing the priority"),
    r(Instance, "track_file", Block, DONE, "none", "", "track_files changing the priority"),
    r(Instance, "track_process", Block, TRACK_PROCESS, "none", "", "vrrp_track_processes changing the priority"),
    r(Instance, "track_bfd", Block, DONE, "none", "", "BFD sessions changing the priority"),
    r(Instance, "mcast_src_ip", Ip, DONE, "interface's primary address", "", "source address of multicast adverts"),
    r(Instance, "unicast_src_ip", Ip, DONE, "interface's primary address", "", "source address of unicast adverts"),
    r(Instance, "mcast_dst_ip", Ip, DONE, "vrrp_mcast_group4/6", "", "multicast group of this instance's adverts"),
    r(Instance, "track_src_ip", Flag, warn("havipd does not fault an instance whose source address goes"), "off", "", "fault when the source address is removed"),
    r(Instance, "version", Int(2, 3), DONE, "vrrp_version", "", "VRRP version"),
    r(Instance, "check_unicast_src", Flag, DONE, "off", "", "drop unicast adverts from addresses that are not peers"),
    r(Instance, "unicast_peer", Block, DONE, "none", "", "peers adverts are unicast to"),
    r(Instance, "unicast_fault_no_peer", Flag, warn("havipd does not fault a unicast instance without peers"), "off", "", "FAULT when unicast_peer is empty"),
    r(Instance, "unicast_ttl", Int(0, 255), warn("havipd sends unicast adverts with TTL 255"), "255", "", "TTL of unicast adverts"),
    r(Instance, "old_unicast_checksum", Words, warn("havipd computes unicast checksums the current way"), "off", "", "checksum of unicast adverts as keepalived before 1.3.6"),
    r(Instance, "garp_master_delay", Int(0, 1000), DONE, "vrrp_garp_master_delay", "", "seconds after becoming master before the second burst of GARPs"),
    r(Instance, "garp_master_repeat", Int(0, 255), DONE, "vrrp_garp_master_repeat", "", "GARPs per burst on becoming master"),
    r(Instance, "garp_lower_prio_delay", Int(0, 1000), DONE, "vrrp_garp_lower_prio_delay", "", "delay of the second burst after a lower-priority advert"),
    r(Instance, "garp_lower_prio_repeat", Int(0, 255), DONE, "vrrp_garp_lower_prio_repeat", "", "GARPs per burst after a lower-priority advert"),
    r(Instance, "garp_master_refresh", Int(0, 86400), DONE, "vrrp_garp_master_refresh", "", "seconds between GARP refreshes while master"),
    r(Instance, "garp_master_refresh_repeat", Int(1, 255), DONE, "vrrp_garp_master_refresh_repeat", "", "GARPs per refresh"),
    r(Instance, "garp_extra_if", Words, EXTRA_IF, "vrrp_garp_extra_if", "", "refresh GARPs on interfaces of VIPs other than the instance's"),
    r(Instance, "vmac_garp_intvl", Words, EXTRA_IF, "none", "", "old name of garp_extra_if"),
    r(Instance, "down_timer_adverts", Int(1, 100), DONE, "vrrp_down_timer_adverts", "", "adverts missed before a backup takes over"),
    r(Instance, "lower_prio_no_advert", BoolOpt, DONE, "vrrp_lower_prio_no_advert", "", "a master answers no lower-priority advert"),
    r(Instance, "higher_prio_send_advert", BoolOpt, DONE, "vrrp_higher_prio_send_advert", "", "a master sends an advert before yielding to a higher priority"),
    r(Instance, "timer_expired_backup", Words, warn("havipd does not revert a late master to backup"), "off (254 when given without a value)", "2.2.8", "with nopreempt, a master that ran late reverts to backup when another may have taken over"),
    r(Instance, "thread_timer_expired", Words, warn("havipd does not revert a late master to backup"), "off", "2.3.2", "same as timer_expired_backup"),
    r(Instance, "owner_ignore_adverts", Flag, warn("havipd's address owner (priority 255) answers adverts as the RFC says"), "vrrp_owner_ignore_adverts", "2.3.3", "an address owner ignores other routers' adverts"),
    r(Instance, "virtual_router_id", Int(1, 255), DONE, "none (required)", "", "the VRID"),
    r(Instance, "priority", Int(1, 255), DONE, "100", "", "priority in elections"),
    r(Instance, "advert_int", Secs(0.01, 255.0), DONE, "1", "", "seconds between adverts"),
    r(Instance, "authentication", Block, DONE, "none", "", "VRRPv2 authentication (PASS or AH)"),
    r(Instance, "auth_hmac", Block, DONE, "none", "2.4.0", "HMAC-authenticated adverts, keys and mode"),
    r(Instance, "virtual_ipaddress", Block, DONE, "none", "", "the VIPs carried in adverts and held by the master"),
    r(Instance, "virtual_ipaddress_excluded", Block, UNTESTED, "none", "", "VIPs held by the master but not carried in adverts"),
    r(Instance, "no_virtual_ipaddress", Flag, info("havipd runs the instance, and still reports it has no VIP (no-vip)"), "off", "2.2.8", "the instance has no VIPs on purpose (addresses moved by the cloud)"),
    r(Instance, "promote_secondaries", Flag, warn("havipd does not set promote_secondaries on the interface"), "off", "", "removing one address keeps the others of its subnet"),
    r(Instance, "virtual_routes", Block, DONE, "none", "", "routes the master adds"),
    r(Instance, "virtual_rules", Block, DONE, "none", "", "policy rules the master adds"),
    r(Instance, "accept", Flag, DONE, "on (off under strict mode)", "", "a master accepts traffic to its VIPs"),
    r(Instance, "no_accept", Flag, DONE, "off (on under strict mode)", "", "a master drops traffic to VIPs it does not own"),
    r(Instance, "v3_checksum_as_v2", BoolOpt, warn("havipd always includes the pseudo-header in VRRPv3 IPv4 checksums"), "global v3_checksum_as_v2", "2.2.8", "VRRPv3 IPv4 checksums without the pseudo-header"),
    r(Instance, "nopreempt", Flag, DONE, "off", "", "a higher priority does not take over from a master"),
    r(Instance, "preempt", Flag, DONE, "on", "", "a higher priority takes over (the default)"),
    r(Instance, "preempt_delay", Secs(0.0, 1000.0), DONE, "0", "", "seconds after start before preempting"),
    r(Instance, "skip_check_adv_addr", BoolOpt, DONE, "vrrp_skip_check_adv_addr", "", "do not check the addresses in adverts from the current master"),
    r(Instance, "strict_mode", BoolOpt, STRICT, "vrrp_strict", "", "RFC-strict VRRP for this instance"),
    r(Instance, "debug", Int(0, 4), info("havipd's log level is set by its options"), "0", "", "debug level of the instance"),
    r(Instance, "notify_master", Script, DONE, "none", "", "script run on becoming master"),
    r(Instance, "notify_backup", Script, DONE, "none", "", "script run on becoming backup"),
    r(Instance, "notify_fault", Script, DONE, "none", "", "script run on a fault"),
    r(Instance, "notify_stop", Script, DONE, "none", "", "script run when the instance stops"),
    r(Instance, "notify_deleted", Script, NOT_NOTIFIED, "none", "", "script run when a reload deletes the instance"),
    r(Instance, "notify", Script, DONE, "none", "", "script run on every state change, with the state"),
    r(Instance, "notify_master_rx_lower_pri", Script, DONE, "none", "", "script run when a master receives a lower-priority advert"),
    r(Instance, "notify_priority_changes", BoolOpt, PRIO_CHANGES, "vrrp_notify_priority_changes", "", "write priority changes to the notify FIFOs"),
    r(Instance, "smtp_alert", BoolOpt, DONE, "smtp_alert_vrrp", "", "email this instance's state changes"),
    r(Instance, "kernel_rx_buf_size", Int(0, 2147483647), NETLINK, "kernel's", "", "receive buffer of the advert socket"),
    r(Instance, "linkbeat_use_polling", Flag, info("havipd follows links through netlink only"), "off", "", "poll the interface's link state"),
    r(Instance, "lvs_sync_daemon_interface", Str, IPVS, "none", "", "old: IPVS sync daemon interface"),

    // authentication.
    r(Authentication, "auth_type", Str, DONE, "none", "", "PASS (password) or AH (IPsec AH); see the values below"),
    r(Authentication, "auth_pass", Str, DONE, "none", "", "the password (8 characters count)"),

    // auth_hmac.
    r(AuthHmac, "key", Words, DONE, "none", "2.4.0", "a key: id and 32-64 bytes (hex:, ASCII or file:)"),
    r(AuthHmac, "active_key", Int(1, 255), DONE, "none", "2.4.0", "id of the key adverts are signed with"),
    r(AuthHmac, "time_window", Int(1, 300), DONE, "from advert_int", "2.4.0", "seconds of clock skew accepted"),
    r(AuthHmac, "anti_replay", Str, DONE, "on", "2.4.0", "refuse replayed adverts"),
    r(AuthHmac, "mode", Str, DONE, "enforce", "2.4.0", "enforce, permissive or receive-only"),

    // vrrp_script.
    r(VrrpScript, "script", Script, DONE, "none (required)", "", "the command"),
    r(VrrpScript, "interval", Int(1, 2147483647), DONE, "1", "", "seconds between runs"),
    r(VrrpScript, "timeout", Int(1, 2147483647), DONE, "interval", "", "seconds before a run counts as failed"),
    r(VrrpScript, "weight", Words, DONE, "0", "", "priority change while failing (negative) or succeeding (positive); reverse"),
    r(VrrpScript, "rise", Int(1, 2147483647), DONE, "1", "", "successes before OK"),
    r(VrrpScript, "fall", Int(1, 2147483647), DONE, "1", "", "failures before KO"),
    r(VrrpScript, "user", Words, DONE, "script_user", "", "user (and group) it runs as"),
    r(VrrpScript, "init_fail", Flag, DONE, "off", "", "start as failed"),

    // vrrp_sync_group.
    r(SyncGroup, "group", Block, DONE, "none", "", "the member instances"),
    r(SyncGroup, "track_interface", Block, DONE, "none", "", "interfaces whose fault faults the group"),
    r(SyncGroup, "track_script", Block, DONE, "none", "", "vrrp_scripts whose failure faults the group"),
    r(SyncGroup, "track_file", Block, warn("havipd does not track files at the group level yet"), "none", "", "track_files whose value faults the group"),
    r(SyncGroup, "track_process", Block, TRACK_PROCESS, "none", "", "processes whose absence faults the group"),
    r(SyncGroup, "track_bfd", Block, DONE, "none", "", "BFD sessions whose fault faults the group"),
    r(SyncGroup, "notify_master", Script, NOT_NOTIFIED, "none", "", "script run when the group becomes master"),
    r(SyncGroup, "notify_backup", Script, NOT_NOTIFIED, "none", "", "script run when the group becomes backup"),
    r(SyncGroup, "notify_fault", Script, NOT_NOTIFIED, "none", "", "script run on a group fault"),
    r(SyncGroup, "notify_stop", Script, NOT_NOTIFIED, "none", "", "script run when the group stops"),
    r(SyncGroup, "notify", Script, NOT_NOTIFIED, "none", "", "script run on every group state change"),
    r(SyncGroup, "smtp_alert", BoolOpt, DONE, "smtp_alert_vrrp", "", "email the group's state changes"),
    r(SyncGroup, "global_tracking", Flag, warn("havipd keeps each member's own tracking"), "off", "", "old: members share their tracking"),
    r(SyncGroup, "sync_group_tracking_weight", Flag, UNTESTED, "off", "", "members' tracking weights apply within the group"),
    r(SyncGroup, "notify_priority_changes", BoolOpt, PRIO_CHANGES, "vrrp_notify_priority_changes", "", "write priority changes to the notify FIFOs"),

    // track_file.
    r(TrackFile, "file", Str, DONE, "none (required)", "", "the file holding a number"),
    r(TrackFile, "weight", Words, DONE, "1", "", "multiplier of the number; reverse"),
    r(TrackFile, "init_file", Words, warn("havipd does not create the file"), "off", "", "create the file with this value (overwrite: always) at start"),

    // vrrp_track_process (the section reports once; these rows say what each line means).
    r(TrackProcess, "process", Words, TRACK_PROCESS, "none (required)", "", "process name (and arguments) to look for"),
    r(TrackProcess, "param_match", Str, TRACK_PROCESS, "none", "", "how arguments match: initial or partial"),
    r(TrackProcess, "weight", Words, TRACK_PROCESS, "0", "", "priority change while the process runs (or not); reverse"),
    r(TrackProcess, "quorum", Int(1, 65535), TRACK_PROCESS, "1", "", "fewest instances of the process that count as up"),
    r(TrackProcess, "quorum_max", Int(0, 65535), TRACK_PROCESS, "none", "", "most instances that count as up"),
    r(TrackProcess, "delay", Secs(0.0, 3600.0), TRACK_PROCESS, "0", "", "seconds before a change counts"),
    r(TrackProcess, "terminate_delay", Secs(0.0, 3600.0), TRACK_PROCESS, "delay", "", "seconds before a termination counts"),
    r(TrackProcess, "fork_delay", Secs(0.0, 3600.0), TRACK_PROCESS, "delay", "", "seconds before a start counts"),
    r(TrackProcess, "full_command", Flag, TRACK_PROCESS, "off", "", "match the full command line"),

    // garp_group.
    r(GarpGroup, "garp_interval", Secs(0.000001, 4294.967295), DONE, "vrrp_garp_interval", "", "gap between GARPs on these interfaces"),
    r(GarpGroup, "gna_interval", Secs(0.000001, 4294.967295), DONE, "vrrp_gna_interval", "", "gap between NAs on these interfaces"),
    r(GarpGroup, "interface", Str, DONE, "none", "", "one interface of the group"),
    r(GarpGroup, "interfaces", Block, DONE, "none", "", "interfaces of the group"),

    // track_group (the section reports once).
    r(TrackGroup, "group", Block, warn("havipd has no static track groups"), "none", "", "instances of the group"),

    // bfd_instance (the section reports once).
    r(Bfd, "source_ip", Ip, DONE, "none", "", "local address of the session"),
    r(Bfd, "neighbor_ip", Ip, DONE, "none (required)", "", "the neighbour's address"),
    r(Bfd, "neighbour_ip", Ip, DONE, "none (required)", "", "same as neighbor_ip"),
    r(Bfd, "min_rx", Words, DONE, "10", "", "required minimum receive interval (ms)"),
    r(Bfd, "min_tx", Words, DONE, "10", "", "desired minimum transmit interval (ms)"),
    r(Bfd, "idle_tx", Words, DONE, "1000", "", "transmit interval while down (ms)"),
    r(Bfd, "multiplier", Words, DONE, "5", "", "missed packets before the session is down"),
    r(Bfd, "passive", Flag, DONE, "off", "", "wait for the neighbour to start"),
    r(Bfd, "ttl", Words, DONE, "255", "", "TTL (IPv4) of BFD packets"),
    r(Bfd, "hoplimit", Words, DONE, "255", "", "hop limit (IPv6) of BFD packets"),
    r(Bfd, "max_hops", Words, DONE, "0", "", "hops a received packet may have crossed"),
    r(Bfd, "multihop", Flag, MULTIHOP, "off", "2.2.8", "multi-hop BFD (RFC 5883)"),
    r(Bfd, "weight", Words, DONE, "0 (fault)", "", "priority change while the session is down; reverse"),
    r(Bfd, "vrrp", Flag, DONE, "on", "", "the session's events go to the VRRP process"),
    r(Bfd, "checker", Flag, DONE, "on", "", "the session's events go to the checker process"),
];

/// Statuses that depend on the keyword's value.
#[rustfmt::skip]
pub static VALUES: &[ValueRow] = &[
    ValueRow { section: Authentication, keyword: "auth_type", value: "PASS", status: DONE, meaning: "a clear-text password of up to 8 characters in VRRPv2 adverts" },
    ValueRow { section: Authentication, keyword: "auth_type", value: "AH", status: DONE, meaning: "IPsec Authentication Header on VRRPv2 adverts" },
];
