//! `havip lab` from the command line: the README's drill, `--vs keepalived` side by side,
//! the simulator fallback, and bad flags.

use std::process::Command;

fn havip(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("havip runs")
}

fn root_with(tools: &[&str]) -> Option<String> {
    lab::shell::cannot_run(tools)
}

#[test]
fn drill_crash_vs_keepalived_prints_both_daemons_and_their_ratio() {
    if let Some(why) = root_with(&["keepalived"]) {
        eprintln!("SKIPPED lab drill --vs keepalived: {why}");
        return;
    }
    let svg = std::env::temp_dir().join(format!("havip-cli-{}.svg", std::process::id()));
    let out = havip(&[
        "lab",
        "drill",
        "crash",
        "--vs",
        "keepalived",
        "--svg",
        &svg.display().to_string(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
    };
    let (h, k) = (row("havipd"), row("keepalived"));
    assert!(h.is_some_and(|ms| ms > 2000.0), "{text}");
    assert!(k.is_some_and(|ms| ms > 2000.0), "{text}");
    assert!(text.contains("outage ratio havipd/keepalived:"), "{text}");
    let picture = std::fs::read_to_string(&svg).expect("svg written");
    let _ = std::fs::remove_file(&svg);
    assert_eq!(picture.matches("class=\"run\"").count(), 2);
}

#[test]
fn drill_in_the_simulator_says_so() {
    let svg = std::env::temp_dir().join(format!("havip-sim-{}.svg", std::process::id()));
    let out = havip(&[
        "lab",
        "drill",
        "graceful",
        "--sim",
        "--svg",
        &svg.display().to_string(),
    ]);
    let _ = std::fs::remove_file(&svg);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(simulated: virtual time"), "{text}");
    assert!(text.contains("havipd (simulated)"), "{text}");
}

#[test]
fn bad_lab_arguments_are_named() {
    let out = havip(&["lab", "drill", "no-such-drill", "--sim"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no scenario `no-such-drill`; the scenarios are: crash"),
        "{err}"
    );
    let out = havip(&["lab", "drill", "crash", "--sim", "--daemon", "heartbeat"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown daemon `heartbeat`: havipd or keepalived"),
        "{err}"
    );
}
