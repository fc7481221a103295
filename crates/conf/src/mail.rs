//! E-mail alerts, as keepalived 2.2.7 configures them: global_defs' `notification_email`
//! (the recipients), `notification_email_from`, `smtp_server HOST [PORT]`, `smtp_helo_name`,
//! `smtp_connect_timeout`, `no_email_faults`, `router_id` (in the subjects), and which
//! instances mail their state changes: `smtp_alert` of the instance, else global_defs'
//! `smtp_alert_vrrp`, else its `smtp_alert`, else none (keepalived's `vrrp.c`). Sync groups
//! resolve the same way.
//!
//! keepalived sends nothing without both recipients and a server; so does [`Config::mail`].

use crate::diag::{Diagnostic, Severity};
use crate::model::{Config, Global, Settings};
use serde::Serialize;
use std::time::Duration;

/// keepalived's SMTP port when `smtp_server` names none.
pub const SMTP_PORT: u16 = 25;
/// keepalived's `smtp_connect_timeout` default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how alerts are mailed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailConf {
    /// `notification_email`: the recipients, in order (`RCPT TO` each, `To:` all).
    pub to: Vec<String>,
    /// `notification_email_from`, if set (keepalived: `<user>@<host name>`).
    pub from: Option<String>,
    /// `smtp_server`'s host: an address or a name.
    pub host: String,
    /// `smtp_server`'s port.
    pub port: u16,
    /// `smtp_helo_name`, if set (keepalived: the host name).
    pub helo: Option<String>,
    /// `smtp_connect_timeout`: for the connection and for each reply.
    pub timeout: Duration,
    /// `router_id`, if set (keepalived: the host name), in every subject.
    pub router_id: Option<String>,
    /// `no_email_faults`: no mail on entering FAULT.
    pub no_faults: bool,
}

impl Global {
    /// The mail settings, `None` without recipients or server (keepalived sends nothing then);
    /// an `Err` names a `smtp_server` whose port is not one (`file:line:col: ...`).
    pub fn mail(&self) -> Result<Option<MailConf>, String> {
        let s = &self.settings;
        let Some(server) = s.words("smtp_server").filter(|w| !w.is_empty()) else {
            return Ok(None);
        };
        if self.notification_email.is_empty() {
            return Ok(None);
        }
        let port = match server.get(1) {
            None => SMTP_PORT,
            Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| {
                let at = s
                    .loc("smtp_server")
                    .map(|l| format!("{l}: "))
                    .unwrap_or_default();
                format!("{at}smtp_server port `{p}` is not a port (1-65535): no e-mail alerts")
            })?,
        };
        let timeout = s
            .int("smtp_connect_timeout")
            .map_or(DEFAULT_CONNECT_TIMEOUT, |t| {
                // keepalived takes 0 as 1.
                Duration::from_secs(t.max(1).unsigned_abs())
            });
        Ok(Some(MailConf {
            to: self.notification_email.clone(),
            from: s.str("notification_email_from").map(str::to_string),
            host: server[0].clone(),
            port,
            helo: s.str("smtp_helo_name").map(str::to_string),
            timeout,
            router_id: s.str("router_id").map(str::to_string),
            no_faults: s.bool("no_email_faults").unwrap_or(false),
        }))
    }

    /// What an instance or sync group without its own `smtp_alert` does.
    fn smtp_alert_default(&self) -> bool {
        let s = &self.settings;
        s.bool("smtp_alert_vrrp")
            .or_else(|| s.bool("smtp_alert"))
            .unwrap_or(false)
    }
}

/// keepalived's `Invalid smtp server`: a port that is not one (`bad-value`; keepalived, and
/// havipd, then mail nothing).
pub fn check(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    let s = &cfg.global.settings;
    let (Err(message), Some(loc)) = (cfg.global.mail(), s.loc("smtp_server")) else {
        return;
    };
    let message = message
        .split_once(": ")
        .map_or(message.as_str(), |(_, m)| m)
        .to_string();
    diags.push(
        Diagnostic::new(
            Severity::Error,
            "bad-value",
            loc.clone(),
            s.text("smtp_server"),
            message,
        )
        .hint("write `smtp_server HOST [PORT]` with a port in 1-65535 (25 when left out)"),
    );
}

fn smtp_alert(own: &Settings, global: &Global) -> bool {
    own.bool("smtp_alert")
        .unwrap_or_else(|| global.smtp_alert_default())
}

impl Config {
    /// Whether instance `name` mails its state changes.
    pub fn instance_smtp_alert(&self, name: &str) -> bool {
        self.instances
            .iter()
            .find(|i| i.name == name)
            .is_some_and(|i| smtp_alert(&i.settings, &self.global))
    }

    /// Whether sync group `name` mails its state changes.
    pub fn group_smtp_alert(&self, name: &str) -> bool {
        self.sync_groups
            .iter()
            .find(|g| g.name == name)
            .is_some_and(|g| smtp_alert(&g.settings, &self.global))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Config;

    fn config(text: &str) -> Config {
        crate::check_text(text, &Default::default()).config
    }

    const INSTANCES: &str = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n smtp_alert\n}\n\
        vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n\
        vrrp_instance C {\n interface eth0\n virtual_router_id 3\n smtp_alert off\n}\n";

    #[test]
    fn nothing_is_mailed_without_recipients_and_a_server() {
        let no_server = config("global_defs {\n notification_email {\n a@b\n }\n}\n");
        assert_eq!(no_server.global.mail(), Ok(None));
        let no_one = config("global_defs {\n smtp_server 10.0.0.1\n}\n");
        assert_eq!(no_one.global.mail(), Ok(None));
    }

    #[test]
    fn settings_are_read_with_keepalived_s_defaults() {
        let c = config(
            "global_defs {\n notification_email {\n a@b\n c@d\n }\n smtp_server 10.0.0.1\n}\n",
        );
        let m = c.global.mail().expect("valid").expect("configured");
        assert_eq!(m.to, ["a@b", "c@d"]);
        assert_eq!((m.host.as_str(), m.port), ("10.0.0.1", 25));
        assert_eq!(m.timeout, super::DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(
            (m.from, m.helo, m.router_id, m.no_faults),
            (None, None, None, false)
        );
        let c = config(
            "global_defs {\n notification_email {\n a@b\n }\n notification_email_from k@h\n \
             smtp_server mail.example 2525\n smtp_helo_name me\n smtp_connect_timeout 3\n \
             router_id R1\n no_email_faults\n}\n",
        );
        let m = c.global.mail().expect("valid").expect("configured");
        assert_eq!((m.host.as_str(), m.port), ("mail.example", 2525));
        assert_eq!(m.timeout, std::time::Duration::from_secs(3));
        assert_eq!(m.from.as_deref(), Some("k@h"));
        assert_eq!(m.helo.as_deref(), Some("me"));
        assert_eq!(m.router_id.as_deref(), Some("R1"));
        assert!(m.no_faults);
    }

    #[test]
    fn a_bad_port_is_named_with_its_place() {
        let c = config(
            "global_defs {\n notification_email {\n a@b\n }\n smtp_server 10.0.0.1 x25\n}\n",
        );
        let e = c.global.mail().expect_err("bad port");
        assert!(e.contains(":5:") && e.contains("x25"), "{e}");
    }

    #[test]
    fn instances_take_their_own_then_smtp_alert_vrrp_then_smtp_alert() {
        let none = config(INSTANCES);
        assert_eq!(
            ["A", "B", "C"].map(|n| none.instance_smtp_alert(n)),
            [true, false, false]
        );
        let global = config(&format!("global_defs {{\n smtp_alert\n}}\n{INSTANCES}"));
        assert_eq!(
            ["A", "B", "C"].map(|n| global.instance_smtp_alert(n)),
            [true, true, false]
        );
        let vrrp_off = config(&format!(
            "global_defs {{\n smtp_alert\n smtp_alert_vrrp false\n}}\n{INSTANCES}"
        ));
        assert_eq!(
            ["A", "B", "C"].map(|n| vrrp_off.instance_smtp_alert(n)),
            [true, false, false]
        );
        assert!(!vrrp_off.instance_smtp_alert("nope"));
    }
}
