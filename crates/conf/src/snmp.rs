//! The SNMP settings of `global_defs`, typed: which MIBs havipd's AgentX subagent serves, where
//! the master agent listens, whether transitions send traps.

use crate::model::Config;

/// keepalived's default `snmp_socket` (net-snmp's default AgentX address).
pub const DEFAULT_SOCKET: &str = "unix:/var/agentx/master";

/// Where the AgentX master agent listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentxAddress {
    /// `unix:PATH` or a bare `/PATH`.
    Unix(std::path::PathBuf),
    /// `tcp:HOST:PORT` (port 705 if not given).
    Tcp(String, u16),
}

/// The SNMP part of `global_defs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snmp {
    /// `enable_snmp_vrrp` (or `enable_snmp_keepalived`): KEEPALIVED-MIB's VRRP part.
    pub keepalived_mib: bool,
    /// `enable_snmp_rfcv2` (or `enable_snmp_rfc`): VRRP-MIB (RFC 2787).
    pub rfcv2: bool,
    /// `enable_snmp_rfcv3` (or `enable_snmp_rfc`): VRRPV3-MIB (RFC 6527).
    pub rfcv3: bool,
    /// `enable_traps`.
    pub traps: bool,
    /// `snmp_socket`.
    pub socket: AgentxAddress,
    /// `router_id` (the traps' `routerId`), else the host name.
    pub router_id: String,
}

impl Snmp {
    /// Whether any MIB is served (the subagent runs).
    pub fn enabled(&self) -> bool {
        self.keepalived_mib || self.rfcv2 || self.rfcv3
    }
}

/// Reads net-snmp's transport address forms keepalived passes on: `unix:PATH`, `/PATH`,
/// `tcp:HOST:PORT`, `tcp:PORT`.
pub fn parse_address(text: &str) -> Result<AgentxAddress, String> {
    if let Some(p) = text.strip_prefix("unix:") {
        return Ok(AgentxAddress::Unix(p.into()));
    }
    if text.starts_with('/') {
        return Ok(AgentxAddress::Unix(text.into()));
    }
    let Some(rest) = text.strip_prefix("tcp:") else {
        return Err(format!(
            "snmp_socket `{text}`: havipd reaches the AgentX master over `unix:PATH` or `tcp:HOST:PORT`"
        ));
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None if rest.parse::<u16>().is_ok() => ("localhost", rest),
        None => (rest, "705"),
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("snmp_socket `{text}`: `{port}` is not a port"))?;
    Ok(AgentxAddress::Tcp(host.to_string(), port))
}

/// What keepalived's command line says of SNMP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// `-x`: every VRRP MIB, whatever the configuration says.
    pub all: bool,
    /// `-A ADDRESS`: the master's address when `snmp_socket` is not given.
    pub socket: Option<String>,
}

/// The SNMP settings of `cfg` and the command line; `host_name` stands for an absent
/// `router_id`.
pub fn snmp(cfg: &Config, host_name: &str, command_line: &CommandLine) -> Result<Snmp, String> {
    let g = &cfg.global.settings;
    let on = |k: &str| command_line.all || g.bool(k).unwrap_or(false);
    Ok(Snmp {
        keepalived_mib: on("enable_snmp_vrrp") || on("enable_snmp_keepalived"),
        rfcv2: on("enable_snmp_rfcv2") || on("enable_snmp_rfc"),
        rfcv3: on("enable_snmp_rfcv3") || on("enable_snmp_rfc"),
        traps: g.bool("enable_traps").unwrap_or(false),
        socket: parse_address(
            g.str("snmp_socket")
                .or(command_line.socket.as_deref())
                .unwrap_or(DEFAULT_SOCKET),
        )?,
        router_id: g.str("router_id").unwrap_or(host_name).to_string(),
    })
}

/// The options of a `vrrp_instance` KEEPALIVED-MIB's `vrrpInstanceTable` shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceOptions {
    /// `smtp_alert`, else global_defs' `smtp_alert_vrrp`, else `smtp_alert`.
    pub smtp_alert: bool,
    /// `promote_secondaries`.
    pub promote_secondaries: bool,
    /// `linkbeat_use_polling` (the instance's own).
    pub linkbeat_use_polling: bool,
    /// `notify_deleted` given.
    pub notify_deleted: bool,
}

/// An instance's options as keepalived resolves them for its MIB.
pub fn instance_options(cfg: &Config, i: &crate::model::Instance) -> InstanceOptions {
    let g = &cfg.global.settings;
    let smtp_alert = i
        .settings
        .bool("smtp_alert")
        .or_else(|| g.bool("smtp_alert_vrrp"))
        .or_else(|| g.bool("smtp_alert"))
        .unwrap_or(false);
    InstanceOptions {
        smtp_alert,
        promote_secondaries: i.settings.has("promote_secondaries"),
        linkbeat_use_polling: i.settings.has("linkbeat_use_polling"),
        notify_deleted: i.settings.has("notify_deleted"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Snmp {
        let report = crate::check_text(text, &crate::Options::default());
        snmp(&report.config, "host", &CommandLine::default()).expect("valid")
    }

    #[test]
    fn defaults_and_aliases() {
        let s = of("global_defs {\n router_id r1\n}\n");
        assert!(!s.enabled());
        assert_eq!(s.socket, AgentxAddress::Unix("/var/agentx/master".into()));
        let s = of("global_defs {\n enable_snmp_keepalived\n enable_snmp_rfc\n enable_traps\n}\n");
        assert!(s.keepalived_mib && s.rfcv2 && s.rfcv3 && s.traps);
        assert_eq!(s.router_id, "host");
    }

    #[test]
    fn command_line_as_keepalived_reads_it() {
        let report = crate::check_text(
            "global_defs {\n router_id r1\n}\n",
            &crate::Options::default(),
        );
        let cl = CommandLine {
            all: true,
            socket: Some("tcp:7050".into()),
        };
        let s = snmp(&report.config, "host", &cl).expect("valid");
        assert!(s.keepalived_mib && s.rfcv2 && s.rfcv3 && !s.traps);
        assert_eq!(s.socket, AgentxAddress::Tcp("localhost".into(), 7050));
        let report = crate::check_text(
            "global_defs {\n snmp_socket /a\n}\n",
            &crate::Options::default(),
        );
        let s = snmp(&report.config, "host", &cl).expect("valid");
        assert_eq!(
            s.socket,
            AgentxAddress::Unix("/a".into()),
            "the configuration wins over -A"
        );
    }

    #[test]
    fn instance_options_fall_back_as_keepalived_does() {
        let text = "global_defs {\n smtp_alert_vrrp\n}\nvrrp_instance A {\n interface lo\n virtual_router_id 1\n \
                    promote_secondaries\n notify_deleted /bin/true\n}\nvrrp_instance B {\n interface lo\n \
                    virtual_router_id 2\n smtp_alert false\n linkbeat_use_polling\n}\n";
        let report = crate::check_text(text, &crate::Options::default());
        let a = instance_options(&report.config, &report.config.instances[0]);
        let b = instance_options(&report.config, &report.config.instances[1]);
        assert_eq!(
            a,
            InstanceOptions {
                smtp_alert: true,
                promote_secondaries: true,
                linkbeat_use_polling: false,
                notify_deleted: true
            }
        );
        assert_eq!(
            b,
            InstanceOptions {
                smtp_alert: false,
                promote_secondaries: false,
                linkbeat_use_polling: true,
                notify_deleted: false
            }
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("/x/agentx"),
            Ok(AgentxAddress::Unix("/x/agentx".into()))
        );
        assert_eq!(
            parse_address("tcp:127.0.0.1:7050"),
            Ok(AgentxAddress::Tcp("127.0.0.1".into(), 7050))
        );
        assert_eq!(
            parse_address("tcp:7050"),
            Ok(AgentxAddress::Tcp("localhost".into(), 7050))
        );
        assert!(parse_address("udp:1.2.3.4:705").is_err());
        assert!(parse_address("tcp:h:x").is_err());
    }
}
