//! The console's login and its defences, in headless Chromium against a real server: the page
//! shows nothing until a login (a wrong token is refused, the API key pair works) and then
//! acts; a page of another origin the same browser visits, holding the session cookie, cannot
//! make it act (a cross-site form, a no-cors fetch, a JSON fetch with a forged CSRF token); a
//! name that resolves to the server (DNS rebinding) gets no console.

use lab::browser::{Driver, wait};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;
use vpc::service::{Options, Service};

const ID: &str = "AKIDbrowser";
const KEY: &str = "browser-key";

/// A server with one VPC and subnet; returns it, its `host:port`, its runtime (it serves
/// until that is dropped), and the ids.
fn server() -> (Arc<Service>, String, Box<dyn std::any::Any>, String, String) {
    let keys = BTreeMap::from([(ID.to_string(), KEY.to_string())]);
    let s = Service::with_options(Box::new(vpc::store::Memory), keys, Options::default())
        .expect("service");
    let vpc = s
        .call(
            "CreateVpc",
            &json!({"VpcName": "v", "CidrBlock": "172.16.0.0/16"}),
            "r1",
        )
        .expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("id")
        .to_string();
    let subnet = s
        .call(
            "CreateSubnet",
            &json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "172.16.16.0/24", "Zone": "z"}),
            "r2",
        )
        .expect("subnet")["Subnet"]["SubnetId"]
        .as_str()
        .expect("id")
        .to_string();
    let (host, rt) = vpc::server::serve_in_background(s.clone()).expect("serve");
    (s, host, Box::new(rt), vpc, subnet)
}

/// The attacker's page: served from another loopback port (another origin), it tries three
/// ways to make the console act with the browser's cookie, then sets `window.__tried`.
fn attacker_page(target: &str, vpc: &str, subnet: &str) -> String {
    let params = |name: &str| {
        json!({"Action": "CreateHaVip", "Params": {"VpcId": vpc, "SubnetId": subnet, "HaVipName": name}})
            .to_string()
    };
    let form = params("csrf-form");
    let (head, tail) = form.split_at(form.len() - 2);
    format!(
        r#"<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="http://{target}/console/action" enctype="text/plain" target="sink">
<input type="hidden" name='{head},"x":"' value='"{tail}'></form>
<script>
document.getElementById("f").submit();
const url = "http://{target}/console/action";
Promise.allSettled([
  fetch(url, {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}}, body: '{nocors}'}}),
  fetch(url, {{method: "POST", credentials: "include",
    headers: {{"Content-Type": "application/json", "X-CSRF-Token": "forged"}}, body: '{json}'}}),
]).then(r => {{ window.__tried = r.map(x => x.status); }});
</script></body></html>"#,
        nocors = params("csrf-nocors"),
        json = params("csrf-json"),
    )
}

/// Serves `page` to every request on a free loopback port until the test ends.
fn serve_page(page: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    host
}

fn visible(d: &Driver, id: &str) -> bool {
    d.js(&format!(
        "const e = document.getElementById('{id}'); return !!e && !e.classList.contains('hidden');"
    )) == true
}

fn names(s: &Service) -> Vec<String> {
    s.snapshot()
        .havips
        .values()
        .map(|h| h.ha_vip_name.clone())
        .collect()
}

#[test]
fn the_console_needs_a_login_and_resists_cross_site_and_rebinding_attacks() {
    if hostcheck::skip_reason("console login", &["chromium", "chromedriver"]).is_some() {
        return;
    }
    let (service, host, _rt, vpc, subnet) = server();
    let port = host.rsplit(':').next().expect("port").to_string();
    let d = Driver::start(&["--host-resolver-rules=MAP rebind.test 127.0.0.1"]).expect("browser");
    d.open(&format!("http://{host}/console")).expect("open");
    assert!(
        wait(Duration::from_secs(10), || visible(&d, "login")),
        "no login form"
    );
    assert!(!visible(&d, "main"));
    let submit = |fields: &str| {
        d.js(&format!(
            "const f = document.getElementById('login'); {fields}; f.requestSubmit(); return 1;"
        ));
    };
    submit("f.Token.value = 'not-the-token'");
    let error = || d.text("return document.getElementById('error').textContent;");
    assert!(
        wait(Duration::from_secs(5), || error().contains("login refused")),
        "{}",
        error()
    );
    assert!(!visible(&d, "main"));
    submit(&format!(
        "f.SecretId.value = '{ID}'; f.SecretKey.value = '{KEY}'"
    ));
    assert!(
        wait(Duration::from_secs(5), || visible(&d, "main")),
        "{}",
        error()
    );
    assert_eq!(
        d.js("return document.cookie;"),
        json!(""),
        "the cookie is HttpOnly"
    );
    let vpc_shown = || d.text("return document.querySelector('#subnets tbody').textContent;");
    assert!(
        wait(Duration::from_secs(5), || vpc_shown().contains(&vpc)),
        "{}",
        vpc_shown()
    );
    d.js(&format!(
        "const f = document.getElementById('apply'); f.VpcId.value = '{vpc}'; f.SubnetId.value = '{subnet}'; \
         f.HaVipName.value = 'from-console'; f.requestSubmit(); return 1;"
    ));
    assert!(
        wait(Duration::from_secs(5), || names(&service)
            == ["from-console"]),
        "{:?}",
        names(&service)
    );

    // Another origin, same browser, the session cookie live.
    let evil = serve_page(attacker_page(&host, &vpc, &subnet));
    d.open(&format!("http://{evil}/")).expect("attacker page");
    assert!(
        wait(Duration::from_secs(10), || d
            .js("return window.__tried !== undefined;")
            == true),
        "the attacker's page never ran"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        names(&service),
        ["from-console"],
        "a cross-site request acted"
    );

    // DNS rebinding: a name that resolves to the server is not answered.
    d.open(&format!("http://rebind.test:{port}/console"))
        .expect("rebound page");
    let body = d.text("return document.body ? document.body.textContent : '';");
    assert!(
        body.contains("does not answer to the name `rebind.test`"),
        "{body}"
    );
    assert!(
        !visible(&d, "login"),
        "the console's page was served under a foreign name"
    );

    // Back on the real origin the session still works; logging out ends it.
    d.open(&format!("http://{host}/console")).expect("open");
    assert!(
        wait(Duration::from_secs(5), || visible(&d, "main")),
        "session lost"
    );
    d.js("document.getElementById('logout').click(); return 1;");
    assert!(wait(Duration::from_secs(5), || visible(&d, "login")));
    d.open(&format!("http://{host}/console")).expect("reopen");
    assert!(
        wait(Duration::from_secs(5), || visible(&d, "login")),
        "logged out for good"
    );
}
