//! What every request must pass before a handler sees it: a Host the server answers to (a
//! page on another name that resolves here, DNS rebinding, is refused), and for the console's
//! state-changing requests a same-origin `Origin` and no cross-site `Sec-Fetch-Site`. Also the
//! headers every answer carries (CSP, no framing, no sniffing). Pure: headers in, verdict out.

use axum::http::{HeaderMap, HeaderValue, header};

/// Whether `name` is one of the cloud's names of the vpc API.
pub fn is_cloud_api_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .strip_prefix("vpc.")
        .and_then(|rest| rest.strip_suffix("tencentcloudapi.com"))
        .is_some_and(|middle| {
            middle.is_empty()
                || middle.strip_suffix('.').is_some_and(|region| {
                    !region.is_empty()
                        && region
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        })
}

/// The names the server answers to besides IP literals and `localhost`.
#[derive(Clone, Debug, Default)]
pub struct HostPolicy {
    names: Vec<String>,
}

/// Why a request was refused before any handler ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl HostPolicy {
    /// Answers to IP literals, `localhost`, and `names` (DNS names the operator serves under).
    pub fn new(names: &[String]) -> Self {
        HostPolicy {
            names: names.iter().map(|n| n.to_ascii_lowercase()).collect(),
        }
    }

    /// As [`HostPolicy::check`], for the signed API (`POST /`): the cloud's own names
    /// (`vpc.tencentcloudapi.com`, `vpc.REGION.tencentcloudapi.com`) are answered too, for
    /// clients pointed at the emulator by name. The signature covers Host, so a page cannot
    /// forge a request there.
    pub fn check_api(&self, host: Option<&str>) -> Result<(), Refused> {
        if host.and_then(host_name).is_some_and(is_cloud_api_name) {
            return Ok(());
        }
        self.check(host)
    }

    /// Checks a `Host` value (`name`, `name:port`, `1.2.3.4:port`, `[::1]:port`).
    pub fn check(&self, host: Option<&str>) -> Result<(), Refused> {
        let Some(host) = host else {
            return Err(Refused("the request has no Host header".into()));
        };
        let name = host_name(host)
            .ok_or_else(|| Refused(format!("the Host header `{host}` is malformed")))?;
        let lower = name.to_ascii_lowercase();
        if lower.parse::<std::net::IpAddr>().is_ok()
            || lower == "localhost"
            || self.names.contains(&lower)
        {
            return Ok(());
        }
        Err(Refused(format!(
            "this server does not answer to the name `{name}` (a page under another name that \
             resolves here is refused); serve with --host-name {name} to allow it"
        )))
    }
}

/// The host part of a Host value, without port or IPv6 brackets. tccli pointed at
/// `--endpoint http://HOST:PORT` sends the scheme too; it is taken off.
pub fn host_name(host: &str) -> Option<&str> {
    let host = ["http://", "https://"]
        .iter()
        .find_map(|s| host.strip_prefix(s))
        .unwrap_or(host);
    if let Some(rest) = host.strip_prefix('[') {
        let (v6, tail) = rest.split_once(']')?;
        return (tail.is_empty() || port_ok(tail.strip_prefix(':')?)).then_some(v6);
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    (valid && port.is_none_or(port_ok)).then_some(name)
}

fn port_ok(p: &str) -> bool {
    !p.is_empty() && p.parse::<u16>().is_ok()
}

/// A console request that changes something must come from the console's own origin: the
/// `Origin` header equals `scheme://Host`, and `Sec-Fetch-Site`, when a browser sends it, is
/// `same-origin` (or `none`, typed by the user).
pub fn same_origin(headers: &HeaderMap, tls: bool) -> Result<(), Refused> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && site != "same-origin"
        && site != "none"
    {
        return Err(Refused(format!(
            "a {site} request may not act in the console"
        )));
    }
    let host = text(header::HOST).unwrap_or_default();
    let scheme = if tls { "https" } else { "http" };
    let expected = format!("{scheme}://{host}");
    match text(header::ORIGIN) {
        Some(o) if o.eq_ignore_ascii_case(&expected) => Ok(()),
        Some(o) => Err(Refused(format!(
            "the request comes from `{o}`, not from the console (`{expected}`)"
        ))),
        None => Err(Refused(
            "the request has no Origin header; the console's actions come from its page".into(),
        )),
    }
}

/// The body is JSON (`Content-Type: application/json`): a cross-site form cannot send it
/// without the browser asking first.
pub fn json_body(headers: &HeaderMap) -> Result<(), Refused> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Refused(format!(
            "the body must be application/json, not `{ct}`"
        )))
    }
}

/// The console's content policy: its own scripts, styles and connections only, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Adds the headers every answer carries.
pub fn secure_headers(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CSP);
    set(headers, "x-frame-options", "DENY");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn host_names_are_split_from_ports() {
        assert_eq!(host_name("127.0.0.1:9180"), Some("127.0.0.1"));
        assert_eq!(host_name("[::1]:9180"), Some("::1"));
        assert_eq!(host_name("[::1]"), Some("::1"));
        assert_eq!(host_name("localhost"), Some("localhost"));
        assert_eq!(host_name("vpc.example:443"), Some("vpc.example"));
        assert_eq!(host_name("http://127.0.0.1:9180"), Some("127.0.0.1"));
        assert_eq!(host_name("https://evil.test"), Some("evil.test"));
        assert_eq!(host_name("a:b:c"), None);
        assert_eq!(host_name("evil.test:99999"), None);
        assert_eq!(host_name("[::1]x"), None);
        assert_eq!(host_name("a b"), None);
        assert_eq!(host_name(""), None);
    }

    #[test]
    fn the_signed_api_answers_the_clouds_names_and_the_console_does_not() {
        let p = HostPolicy::default();
        for host in [
            "vpc.tencentcloudapi.com",
            "vpc.ap-guangzhou.tencentcloudapi.com:443",
            "VPC.intl.tencentcloudapi.com",
        ] {
            assert!(p.check_api(Some(host)).is_ok(), "{host}");
            assert!(p.check(Some(host)).is_err(), "{host} on the console");
        }
        for host in [
            "cvm.tencentcloudapi.com",
            "vpc.tencentcloudapi.com.evil.test",
            "vpc.a.b.tencentcloudapi.com",
            "vpc..tencentcloudapi.com",
            "rebind.test",
        ] {
            assert!(p.check_api(Some(host)).is_err(), "{host}");
        }
    }

    #[test]
    fn only_ip_literals_localhost_and_named_hosts_are_answered() {
        let p = HostPolicy::new(&["vpc.example".into()]);
        for ok in [
            "127.0.0.1:1",
            "[::1]:1",
            "LOCALHOST:1",
            "10.1.2.3",
            "VPC.example:9",
        ] {
            assert_eq!(p.check(Some(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "evil.test:9180",
            "127.0.0.1.evil.test",
            "localhost.evil.test:1",
        ] {
            let e = p.check(Some(bad)).expect_err(bad);
            assert!(e.0.contains("does not answer"), "{e:?}");
        }
        assert!(p.check(None).is_err());
        assert!(
            p.check(Some("a:b:c"))
                .expect_err("bad")
                .0
                .contains("malformed")
        );
    }

    #[test]
    fn console_actions_need_their_own_origin() {
        let ok = headers(&[
            ("host", "127.0.0.1:9180"),
            ("origin", "http://127.0.0.1:9180"),
        ]);
        assert_eq!(same_origin(&ok, false), Ok(()));
        assert!(same_origin(&ok, true).is_err(), "scheme differs");
        let other = headers(&[
            ("host", "127.0.0.1:9180"),
            ("origin", "http://127.0.0.1:8000"),
        ]);
        assert!(
            same_origin(&other, false)
                .expect_err("other")
                .0
                .contains("8000")
        );
        let none = headers(&[("host", "127.0.0.1:9180")]);
        assert!(same_origin(&none, false).is_err());
        let cross = headers(&[
            ("host", "127.0.0.1:9180"),
            ("origin", "http://127.0.0.1:9180"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(
            same_origin(&cross, false)
                .expect_err("cross")
                .0
                .contains("cross-site")
        );
    }

    #[test]
    fn only_json_bodies() {
        assert!(
            json_body(&headers(&[(
                "content-type",
                "application/json; charset=utf-8"
            )]))
            .is_ok()
        );
        assert!(json_body(&headers(&[("content-type", "text/plain")])).is_err());
        assert!(
            json_body(&headers(&[(
                "content-type",
                "application/x-www-form-urlencoded"
            )]))
            .is_err()
        );
        assert!(json_body(&HeaderMap::new()).is_err());
    }

    #[test]
    fn every_answer_forbids_framing_and_foreign_scripts() {
        let mut h = HeaderMap::new();
        secure_headers(&mut h);
        assert!(
            h["content-security-policy"]
                .to_str()
                .expect("csp")
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
    }
}
