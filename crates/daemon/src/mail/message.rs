//! The alerts keepalived 2.2.7 mails (`core/smtp.c`, `vrrp/vrrp_notify.c`): their envelope,
//! subjects, bodies and the DATA that carries them, byte for byte but for the date, which is
//! written in UTC (keepalived writes local time; both are valid RFC 5322 dates).

use conf::mail::MailConf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// keepalived's caps: a longer subject or body is cut there.
const MAX_SUBJECT: usize = 255;
const MAX_BODY: usize = 511;

/// Where mails go and as whom, with keepalived's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Recipients.
    pub to: Vec<String>,
    /// Sender (`notification_email_from`, else `root@<host name>` as keepalived's
    /// `<user>@<host>`).
    pub from: String,
    /// HELO name (`smtp_helo_name`, else the host name).
    pub helo: String,
    /// In every subject (`router_id`, else the host name).
    pub router_id: String,
    /// The server's host and port.
    pub server: (String, u16),
    /// For the connection and each reply.
    pub timeout: Duration,
    /// `no_email_faults`.
    pub no_faults: bool,
}

/// This machine's name (the kernel's node name; keepalived also asks DNS for its canonical
/// form, which havipd does not do on its way to starting).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// No line breaks in what goes into a header or a command.
fn one_line(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

fn user_name() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

impl Envelope {
    /// The envelope of `conf`, keepalived's defaults taken from `host`.
    pub fn new(conf: &MailConf, host: &str) -> Self {
        let or_host = |v: &Option<String>| one_line(v.as_deref().unwrap_or(host));
        Envelope {
            to: conf.to.iter().map(|t| one_line(t)).collect(),
            from: conf
                .from
                .as_deref()
                .map_or_else(|| format!("{}@{host}", user_name()), one_line),
            helo: or_host(&conf.helo),
            router_id: or_host(&conf.router_id),
            server: (conf.host.clone(), conf.port),
            timeout: conf.timeout,
            no_faults: conf.no_faults,
        }
    }
}

/// One alert to mail.
#[derive(Clone, Debug)]
pub struct Mail {
    /// How and where.
    pub envelope: Arc<Envelope>,
    /// The subject, router id included.
    pub subject: String,
    /// The body's one line.
    pub body: &'static str,
}

/// The subject's end and the body keepalived mails when an instance enters `state`, if any.
pub fn instance_words(state: &str) -> Option<(&'static str, &'static str)> {
    Some(match state {
        "MASTER" => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        "BACKUP" => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        "FAULT" => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        "STOP" => ("Stopping", "=> VRRP Instance stopping <="),
        _ => return None,
    })
}

/// The subject's end and the body keepalived mails when a sync group enters `state`, if any.
pub fn group_words(state: &str) -> Option<(&'static str, &'static str)> {
    Some(match state {
        "MASTER" => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        "BACKUP" => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        "FAULT" => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        "STOP" => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        _ => return None,
    })
}

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl Mail {
    /// The alert of instance `name` entering `state`, if keepalived mails one.
    pub fn instance(envelope: Arc<Envelope>, name: &str, state: &str) -> Option<Mail> {
        let (what, body) = instance_words(state)?;
        let subject = format!(
            "[{}] VRRP Instance {} - {what}",
            envelope.router_id,
            one_line(name)
        );
        Some(Mail {
            envelope,
            subject: cut(subject, MAX_SUBJECT),
            body,
        })
    }

    /// The alert of sync group `name` entering `state`, if keepalived mails one.
    pub fn group(envelope: Arc<Envelope>, name: &str, state: &str) -> Option<Mail> {
        let (what, body) = group_words(state)?;
        let subject = format!(
            "[{}] VRRP Group {} - {what}",
            envelope.router_id,
            one_line(name)
        );
        Some(Mail {
            envelope,
            subject: cut(subject, MAX_SUBJECT),
            body,
        })
    }

    /// What follows DATA, the terminating dot included, dated `now`.
    pub fn data(&self, now: SystemTime) -> String {
        let e = &self.envelope;
        format!(
            "Date: {}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n{}\r\n\r\n.\r\n",
            rfc5322_date(now),
            e.from,
            self.subject,
            e.to.join(", "),
            cut(self.body.to_string(), MAX_BODY)
        )
    }
}

/// `Mon, 07 Dec 2026 18:41:26 +0000`.
pub fn rfc5322_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let (y, mo, d) = hostsys::clock::civil_from_days(days);
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {h:02}:{m:02}:{s:02} +0000")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Arc<Envelope> {
        let conf = MailConf {
            to: vec!["a@b".into(), "c@d".into()],
            from: Some("k@h".into()),
            host: "10.0.0.1".into(),
            port: 25,
            helo: None,
            timeout: Duration::from_secs(3),
            router_id: Some("R1".into()),
            no_faults: false,
        };
        Arc::new(Envelope::new(&conf, "box"))
    }

    #[test]
    fn dates_are_rfc_5322() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_668_886);
        assert_eq!(rfc5322_date(t), "Mon, 07 Dec 2026 18:41:26 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc5322_date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn an_instance_alert_is_keepalived_s() {
        let m = Mail::instance(envelope(), "VI_1", "MASTER").expect("mailed");
        assert_eq!(m.subject, "[R1] VRRP Instance VI_1 - Entering MASTER state");
        let data = m.data(UNIX_EPOCH);
        assert_eq!(
            data,
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: k@h\r\nSubject: [R1] VRRP Instance VI_1 - Entering MASTER state\r\n\
             X-Mailer: Keepalived\r\nTo: a@b, c@d\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n"
        );
        assert!(Mail::instance(envelope(), "VI_1", "INIT").is_none());
        assert_eq!(envelope().helo, "box");
    }
}
