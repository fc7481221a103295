//! The metrics listener's probes in a namespace: `/healthz` answers 200 while the loop turns;
//! `/ready` answers 503 while an instance is in FAULT (a `track_file` of weight 0 holding a
//! non-zero value) and 200 once it leaves it; `?instance=` asks about one (404 for a name
//! that is none); the listener's guards (host names, origins) hold for the probes too.

mod common;
use common::{Lab, instance, wait_until};
use std::time::Duration;

/// `GET path` on `127.0.0.1:port` from `host`, with extra headers: (status, body).
fn get(lab: &Lab, host: &str, port: u16, path: &str, headers: &str) -> (u16, String) {
    let script = format!(
        "import urllib.request, urllib.error\n\
         r = urllib.request.Request('http://127.0.0.1:{port}{path}', headers={{{headers}}})\n\
         try:\n    x = urllib.request.urlopen(r, timeout=5); print(x.status); print(x.read().decode(), end='')\n\
         except urllib.error.HTTPError as e:\n    print(e.code); print(e.read().decode(), end='')\n"
    );
    let out = lab.exec(host, &["python3", "-c", &script]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (code, body) = text.split_once('\n').unwrap_or((&text, ""));
    let code = code
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no answer: {text} {}", String::from_utf8_lossy(&out.stderr)));
    (code, body.to_string())
}

#[test]
fn healthz_and_ready_follow_the_loop_and_the_instances() {
    let Some(mut lab) = Lab::new("prb", &["python3"]) else {
        return;
    };
    lab.host("a", &["10.5.0.1/24"]);
    let file = lab.write("bad", "1\n");
    let conf = format!(
        "track_file bad {{\n    file {file}\n    weight 0\n}}\n{}{}",
        instance("VI_1", 81, 100, "10.5.0.100", ""),
        instance(
            "VI_2",
            82,
            100,
            "10.5.0.101",
            "    track_file {\n        bad\n    }\n"
        )
    );
    let state = lab.havipd_with(
        "a",
        "a",
        &conf,
        "a",
        &["--metrics-listen", "127.0.0.1:9652"],
    );
    let up = wait_until(Duration::from_secs(5), || {
        common::state_of(&state, "VI_2") == "FAULT" && common::state_of(&state, "VI_1") == "BACKUP"
    });
    assert!(up.is_some(), "VI_2 never faulted:\n{}", lab.log("a"));
    assert_eq!(get(&lab, "a", 9652, "/healthz", ""), (200, "ok\n".into()));
    let (code, body) = get(&lab, "a", 9652, "/ready", "");
    assert_eq!(code, 503, "{body}");
    assert_eq!(body, "VI_1 BACKUP\nVI_2 FAULT\n");
    assert_eq!(get(&lab, "a", 9652, "/ready?instance=VI_1", "").0, 200);
    assert_eq!(get(&lab, "a", 9652, "/ready?instance=VI_2", "").0, 503);
    let (code, body) = get(&lab, "a", 9652, "/ready?instance=VI_9", "");
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("VI_1, VI_2"), "{body}");
    // The guards: a DNS-rebinding host name, a web page's request.
    let rebinding = get(&lab, "a", 9652, "/ready", "'Host': 'evil.example'");
    assert_eq!(rebinding.0, 403, "{rebinding:?}");
    let page = get(
        &lab,
        "a",
        9652,
        "/healthz",
        "'Origin': 'http://evil.example'",
    );
    assert_eq!(page.0, 403, "{page:?}");

    std::fs::write(&file, "0\n").expect("write");
    let ready = wait_until(Duration::from_secs(8), || {
        get(&lab, "a", 9652, "/ready", "").0 == 200
    });
    assert!(
        ready.is_some(),
        "{:?}\n{}",
        get(&lab, "a", 9652, "/ready", ""),
        lab.log("a")
    );
}
