//! The console and the data plane's endpoints over real HTTP, attacked: no state and no action
//! without a login; no action without the session's CSRF token, from another origin, or with
//! a body a cross-site form can send; no answer to a Host the server does not serve (DNS
//! rebinding); no `/internal/*` without the data plane's secret; failed logins throttled per
//! source.

mod common;

use common::{Api, ID, KEY};
use serde_json::{Value, json};

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn code(&self) -> &str {
        self.body["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("")
    }
}

/// One HTTP request with exactly these headers (Host is set from `host` unless given).
fn send(api: &Api, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut req = ureq::request(
        method,
        &format!("{}{}", api.url, path.trim_start_matches('/')),
    );
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let resp = match req.send_string(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .flat_map(|n| {
            resp.all(&n)
                .into_iter()
                .map(|v| (n.clone(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

fn origin(api: &Api) -> String {
    format!("http://{}", api.host)
}

/// Logs in with `credentials` from the console's origin; returns the cookie pair and CSRF.
fn login(api: &Api, credentials: Value) -> (String, String) {
    let o = origin(api);
    let a = send(
        api,
        "POST",
        "/console/login",
        &[("Origin", &o), ("Content-Type", "application/json")],
        &credentials.to_string(),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let cookie = a
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let pair = cookie.split(';').next().expect("pair").to_string();
    (
        pair,
        a.body["Csrf"].as_str().expect("CSRF token").to_string(),
    )
}

fn create_body(vpc: &str, subnet: &str, name: &str) -> String {
    json!({"Action": "CreateHaVip", "Params": {"VpcId": vpc, "SubnetId": subnet, "HaVipName": name}})
        .to_string()
}

fn havip_names(api: &Api) -> Vec<String> {
    api.service
        .snapshot()
        .havips
        .values()
        .map(|h| h.ha_vip_name.clone())
        .collect()
}

#[test]
fn nothing_is_shown_or_done_without_a_login() {
    let api = Api::memory();
    let (vpc, subnet) = api.vpc_and_subnet("v");
    for path in ["/console/state", "/console/session", "/console/events"] {
        let a = send(&api, "GET", path, &[], "");
        assert_eq!(a.status, 401, "{path}");
        assert_eq!(a.code(), "AuthFailure.InvalidAuthorization", "{path}");
    }
    let o = origin(&api);
    let a = send(
        &api,
        "POST",
        "/console/action",
        &[
            ("Origin", &o),
            ("Content-Type", "application/json"),
            ("Cookie", "havip_session=forged"),
        ],
        &create_body(&vpc, &subnet, "nologin"),
    );
    assert_eq!(a.status, 401);
    assert!(havip_names(&api).is_empty());
    // The page itself is public and holds no data; its script and style are its own files.
    let page = send(&api, "GET", "/", &[], "");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let html = page.body.as_str().expect("html");
    assert!(!html.contains("<script>") && !html.contains("<style>") && !html.contains("style="));
}

#[test]
fn a_key_pair_or_the_start_token_logs_in_and_actions_need_the_csrf_token() {
    let api = Api::memory();
    let (vpc, subnet) = api.vpc_and_subnet("v");
    let o = origin(&api);
    let bad = send(
        &api,
        "POST",
        "/console/login",
        &[("Origin", &o), ("Content-Type", "application/json")],
        &json!({"SecretId": ID, "SecretKey": "wrong"}).to_string(),
    );
    assert_eq!(bad.status, 401);
    assert!(bad.header("set-cookie").is_none());
    let (cookie, csrf) = login(&api, json!({"SecretId": ID, "SecretKey": KEY}));
    let token = api.service.console_token().to_string();
    let (cookie2, csrf2) = login(&api, json!({"Token": token}));
    assert_ne!(cookie, cookie2);
    assert_ne!(csrf, csrf2);
    let state = send(&api, "GET", "/console/state", &[("Cookie", &cookie)], "");
    assert_eq!(state.status, 200);
    assert_eq!(state.body["Vpcs"][0]["VpcId"], vpc.as_str());
    let act = |csrf: &str, name: &str| {
        send(
            &api,
            "POST",
            "/console/action",
            &[
                ("Origin", &o),
                ("Content-Type", "application/json"),
                ("Cookie", &cookie),
                ("X-CSRF-Token", csrf),
            ],
            &create_body(&vpc, &subnet, name),
        )
    };
    for (given, name) in [
        ("", "none"),
        (csrf2.as_str(), "other-session"),
        ("x", "short"),
    ] {
        let a = act(given, name);
        assert_eq!(a.status, 403, "{name}");
        assert!(a.body.to_string().contains("CSRF"), "{}", a.body);
    }
    assert!(havip_names(&api).is_empty());
    let a = act(&csrf, "mine");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.body["Response"]["HaVip"]["HaVipId"].is_string(),
        "{}",
        a.body
    );
    assert_eq!(havip_names(&api), ["mine"]);
    // Logging out ends the session for good.
    let out = send(
        &api,
        "POST",
        "/console/logout",
        &[
            ("Origin", &o),
            ("Content-Type", "application/json"),
            ("Cookie", &cookie),
            ("X-CSRF-Token", &csrf),
        ],
        "{}",
    );
    assert_eq!(out.status, 204);
    assert_eq!(
        send(&api, "GET", "/console/state", &[("Cookie", &cookie)], "").status,
        401
    );
    assert_eq!(
        send(&api, "GET", "/console/state", &[("Cookie", &cookie2)], "").status,
        200
    );
}

#[test]
fn a_cross_site_request_cannot_act_even_with_the_cookie() {
    let api = Api::memory();
    let (vpc, subnet) = api.vpc_and_subnet("v");
    let (cookie, csrf) = login(&api, json!({"Token": api.service.console_token()}));
    let own = origin(&api);
    let body = create_body(&vpc, &subnet, "csrf");
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "another origin",
            vec![
                ("Origin", "http://127.0.0.1:1"),
                ("Content-Type", "application/json"),
            ],
        ),
        ("no origin", vec![("Content-Type", "application/json")]),
        (
            "a form's body",
            vec![("Origin", &own), ("Content-Type", "text/plain")],
        ),
        (
            "a cross-site fetch",
            vec![
                ("Origin", &own),
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        ),
    ];
    for (what, mut headers) in cases {
        headers.push(("Cookie", &cookie));
        headers.push(("X-CSRF-Token", &csrf));
        let a = send(&api, "POST", "/console/action", &headers, &body);
        assert_eq!(a.status, 403, "{what}: {}", a.body);
        assert_eq!(a.code(), "AuthFailure.UnauthorizedOperation", "{what}");
        // Nor may another origin log in (login CSRF).
        let l = send(
            &api,
            "POST",
            "/console/login",
            &headers[..headers.len() - 2],
            &json!({"Token": api.service.console_token()}).to_string(),
        );
        assert_eq!(l.status, 403, "login, {what}");
    }
    assert!(havip_names(&api).is_empty());
}

#[test]
fn a_host_the_server_does_not_serve_is_refused_everywhere() {
    let api = Api::memory();
    let (cookie, _) = login(&api, json!({"Token": api.service.console_token()}));
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/console/state"),
        ("POST", "/console/login"),
        ("POST", "/"),
        ("GET", "/internal/state"),
    ] {
        let a = send(
            &api,
            method,
            path,
            &[
                ("Host", "rebind.test:9180"),
                ("Cookie", &cookie),
                ("Content-Type", "application/json"),
            ],
            "{}",
        );
        assert_eq!(a.status, 403, "{method} {path}");
        assert!(a.body.to_string().contains("rebind.test"), "{}", a.body);
        assert!(a.header("content-security-policy").is_some());
    }
    let ok = send(
        &api,
        "GET",
        "/console/state",
        &[("Host", "localhost"), ("Cookie", &cookie)],
        "",
    );
    assert_eq!(ok.status, 200);
}

#[test]
fn internal_endpoints_need_the_data_planes_secret() {
    let api = Api::memory();
    let s = api.seed();
    api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    let report = json!({"NetworkInterfaceId": s.enis[1], "Vip": "172.16.16.12"}).to_string();
    let wrong = format!("Bearer {}", "0".repeat(64));
    let session = login(&api, json!({"Token": api.service.console_token()})).0;
    for headers in [
        vec![],
        vec![("Authorization", wrong.as_str())],
        vec![("Cookie", session.as_str())],
    ] {
        assert_eq!(
            send(&api, "POST", "/internal/garp", &headers, &report).status,
            401
        );
        assert_eq!(
            send(&api, "GET", "/internal/state", &headers, "").status,
            401
        );
    }
    assert!(
        api.service
            .snapshot()
            .havips
            .values()
            .all(|h| h.network_interface_id.is_empty())
    );
    let right = format!("Bearer {}", api.service.internal_secret());
    let a = send(
        &api,
        "POST",
        "/internal/garp",
        &[("Authorization", &right)],
        &report,
    );
    assert_eq!(a.body["Moved"], true, "{}", a.body);
    let state = send(
        &api,
        "GET",
        "/internal/state",
        &[("Authorization", &right)],
        "",
    );
    let history = state.body["History"].as_array().expect("history");
    assert_eq!(
        history.last().expect("a move")["NetworkInterfaceId"],
        s.enis[1].as_str(),
        "{history:?}"
    );
}

#[test]
fn failed_logins_are_throttled() {
    let api = Api::memory();
    let o = origin(&api);
    let try_token = |t: &str| {
        send(
            &api,
            "POST",
            "/console/login",
            &[("Origin", &o), ("Content-Type", "application/json")],
            &json!({"Token": t}).to_string(),
        )
    };
    for _ in 0..vpc::session::FAILURES_PER_MINUTE {
        assert_eq!(try_token("guess").status, 401);
    }
    let a = try_token(api.service.console_token());
    assert_eq!(a.status, 429);
    assert_eq!(a.code(), "RequestLimitExceeded");
}

/// A login of `token` sent from the loopback address `source`; returns the HTTP status.
fn login_from(api: &Api, source: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let from: std::net::SocketAddr = format!("{source}:0").parse().expect("source");
    socket.bind(&from.into()).expect("bind the source");
    let to: std::net::SocketAddr = api.host.parse().expect("server");
    socket.connect(&to.into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    let body = json!({"Token": token}).to_string();
    let request = format!(
        "POST /console/login HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        host = api.host
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn failed_logins_lock_out_only_their_source() {
    let api = Api::memory();
    for _ in 0..vpc::session::FAILURES_PER_MINUTE {
        assert_eq!(login_from(&api, "127.0.0.2", "guess"), 401);
    }
    assert_eq!(
        login_from(&api, "127.0.0.2", api.service.console_token()),
        429
    );
    // Another source logs in.
    assert_eq!(
        login_from(&api, "127.0.0.3", api.service.console_token()),
        200
    );
}
