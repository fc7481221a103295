//! Scenarios from the operator's file (`--scenario-file`), in the built-in format: one scenario
//! object or an array of them. Everything is checked before a namespace is made: JSON syntax
//! and types (file:line:col), unknown fields, and what the lab could not run (servers that do
//! not exist, steps after the end, edits that match no config line, havipd flags the lab owns),
//! each problem named by its JSON pointer.

use crate::drill::{Action, Scenario};
use anyhow::{Result, anyhow};
use serde_json::Value;
use std::path::Path;

/// Longest drill a file may ask for, in seconds.
pub const MAX_DURATION: f64 = 3600.0;
/// Largest scenario file read.
pub const MAX_FILE: u64 = 1 << 20;

/// havipd flags the lab sets itself (configuration, state directory, logging, one-shot modes).
const LAB_OWNED_FLAGS: &[&str] = &[
    "file",
    "config_test",
    "state_dir",
    "log_console",
    "dont_fork",
    "pid_file",
    "vrrp_pid_file",
    "signum",
];

/// What a check is made against: the lab's server names and the configs edits apply to.
pub struct Context<'a> {
    /// Server names steps may name (`a`, `b` for the seed pair).
    pub servers: &'a [&'a str],
    /// The configs the edits must match a line of.
    pub configs: &'a [&'a str],
}

/// The seed pair: servers `a` and `b` running the seed's configs.
pub const SEED: Context<'static> = Context {
    servers: &["a", "b"],
    configs: &[crate::seeds::PRIMARY, crate::seeds::SECONDARY],
};

/// Reads and checks `path`; the error lists every problem, one per line.
pub fn load(path: &Path, cx: &Context) -> Result<Vec<Scenario>> {
    let origin = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow!("{origin}: {e}"))?
        .len();
    if size > MAX_FILE {
        return Err(anyhow!(
            "{origin}: {size} bytes: a scenario file is at most {MAX_FILE} bytes"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{origin}: {e}"))?;
    parse(&text, cx).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("{origin}{p}")).collect();
        anyhow!("{}", lines.join("\n"))
    })
}

/// The scenario `name`: from `file` when given (a file's scenario of a built-in name replaces
/// it), else built in. The file is checked whole first.
pub fn find(name: &str, file: Option<&Path>, cx: &Context) -> Result<Scenario> {
    let Some(path) = file else {
        return crate::drill::scenario(name);
    };
    let mine = load(path, cx)?;
    let names: Vec<&str> = mine.iter().map(|s| s.name.as_str()).collect();
    if let Some(s) = mine.iter().find(|s| s.name == name) {
        return Ok(s.clone());
    }
    crate::drill::scenario(name).map_err(|_| {
        anyhow!(
            "no scenario `{name}` in {} ({}) nor built in (havip lab scenarios)",
            path.display(),
            names.join(", ")
        )
    })
}

/// Parses and checks a file's text. Each problem starts with `:line:col: ` (syntax and types)
/// or ` #/pointer: ` (the rest), to follow the file's name.
pub fn parse(text: &str, cx: &Context) -> std::result::Result<Vec<Scenario>, Vec<String>> {
    let at = |e: &serde_json::Error| {
        let text = e.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        format!(":{}:{}: {message}", e.line(), e.column())
    };
    let value: Value = serde_json::from_str(text).map_err(|e| vec![at(&e)])?;
    let (items, pointer_base): (Vec<Value>, bool) = match value {
        Value::Array(items) => (items, true),
        one @ Value::Object(_) => (vec![one], false),
        _ => {
            return Err(vec![
                ": expected a scenario object or an array of them".into(),
            ]);
        }
    };
    let mut problems = Vec::new();
    let mut scenarios = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let base = if pointer_base {
            format!("/{i}")
        } else {
            String::new()
        };
        match serde_json::from_value::<Scenario>(item.clone()) {
            Ok(s) => {
                let before = problems.len();
                unknown_fields(item, &s, &base, &mut problems);
                check(&s, cx, &base, &mut problems);
                if problems.len() == before {
                    scenarios.push(s);
                }
            }
            // serde_json's value errors carry no position: name the scenario instead.
            Err(e) => problems.push(format!(" #{base}: {e}")),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in scenarios.iter().enumerate() {
        if !seen.insert(s.name.clone()) {
            problems.push(format!(" #/{i}/name: `{}` is named twice", s.name));
        }
    }
    if items.is_empty() {
        problems.push(": no scenario in the file".into());
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(problems)
    }
}

/// Keys of `given` that the parsed scenario does not have: a misspelt optional field would
/// otherwise be dropped silently (a step's fields are flattened, so serde cannot refuse them).
fn unknown_fields(given: &Value, parsed: &Scenario, base: &str, out: &mut Vec<String>) {
    let Ok(known) = serde_json::to_value(parsed) else {
        return;
    };
    walk(given, &known, base, out);
}

fn walk(given: &Value, known: &Value, at: &str, out: &mut Vec<String>) {
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, value) in g {
                match k.get(key) {
                    Some(kv) => walk(value, kv, &format!("{at}/{key}"), out),
                    None => {
                        let mut names: Vec<&str> = k.keys().map(String::as_str).collect();
                        names.sort_unstable();
                        out.push(format!(
                            " #{at}: unknown field `{key}` (known here: {})",
                            names.join(", ")
                        ));
                    }
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (gv, kv)) in g.iter().zip(k).enumerate() {
                walk(gv, kv, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// What the lab could not run, or would run other than written.
fn check(s: &Scenario, cx: &Context, base: &str, out: &mut Vec<String>) {
    let mut problem = |at: String, msg: String| out.push(format!(" #{base}{at}: {msg}"));
    if s.name.is_empty()
        || !s
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problem(
            "/name".into(),
            format!("`{}`: use letters, digits, `-` and `_`", s.name),
        );
    }
    let duration_ok = s.duration.is_finite() && s.duration > 0.0 && s.duration <= MAX_DURATION;
    if !duration_ok {
        problem(
            "/duration".into(),
            format!(
                "{} s: give a duration in (0, {MAX_DURATION}] seconds",
                s.duration
            ),
        );
    }
    for (i, step) in s.steps.iter().enumerate() {
        let at = format!("/steps/{i}");
        if duration_ok && !(step.at.is_finite() && step.at >= 0.0 && step.at < s.duration) {
            problem(
                format!("{at}/at"),
                format!(
                    "{} s: a step happens in [0, {}) seconds, the drill's duration",
                    step.at, s.duration
                ),
            );
        }
        if let Err(msg) = check_action(&step.action, cx.servers) {
            problem(at, format!("{}: {msg}", step.action.label()));
        }
    }
    let keepalived_edits = s.keepalived_edits.iter().flatten().enumerate();
    let edits = s.edits.iter().enumerate().map(|(i, e)| ("edits", i, e));
    for (field, i, edit) in edits.chain(keepalived_edits.map(|(i, e)| ("keepalived_edits", i, e))) {
        let matches = cx.configs.iter().any(|text| {
            text.lines()
                .any(|l| l.replace('\u{a0}', " ").trim().starts_with(&edit.line))
        });
        if edit.line.trim().is_empty() {
            problem(
                format!("/{field}/{i}/line"),
                "empty: it would replace every line".into(),
            );
        } else if !matches {
            problem(
                format!("/{field}/{i}/line"),
                format!("`{}` starts no line of the configs", edit.line),
            );
        }
    }
    if let Err(msg) = check_havipd_args(&s.havipd_args) {
        problem("/havipd_args".into(), msg);
    }
}

fn check_action(action: &Action, servers: &[&str]) -> std::result::Result<(), String> {
    let node = action.node();
    let server = |name: &str| {
        if servers.contains(&name) {
            Ok(())
        } else {
            Err(format!(
                "no server `{name}` (the servers are {})",
                servers.join(", ")
            ))
        }
    };
    match action {
        Action::Forge { key, spoof, .. } => {
            if node != crate::attack::ATTACKER {
                return Err(format!(
                    "forged adverts come from the attacker `{}`",
                    crate::attack::ATTACKER
                ));
            }
            if let Some(k) = key {
                conf::build::auth_hmac::decode(k).map_err(|e| format!("key: {e}"))?;
            }
            spoof.as_deref().map_or(Ok(()), server)
        }
        Action::Replay { .. } if node != crate::attack::ATTACKER => Err(format!(
            "replays come from the attacker `{}`",
            crate::attack::ATTACKER
        )),
        Action::Replay { .. } => Ok(()),
        Action::ChassisPowerCut { .. } | Action::ChassisPowerOn { .. }
            if node != crate::drill::GATEWAY =>
        {
            Err(format!(
                "a chassis is named by its role: `{}` (the one running the EIP gateway)",
                crate::drill::GATEWAY
            ))
        }
        Action::ChassisPowerCut { .. } | Action::ChassisPowerOn { .. } => Ok(()),
        Action::PortBurst { .. } if node != crate::drill::CENTRAL => Err(format!(
            "a port burst is named by its node: `{}` (OVN's central node)",
            crate::drill::CENTRAL
        )),
        Action::PortBurst { count, .. } if !(1..=10_000).contains(count) => {
            Err("a port burst is 1 to 10000 ports".into())
        }
        Action::PortBurst { .. } => Ok(()),
        Action::DbPowerCut { .. } if node != crate::drill::NB && node != crate::drill::SB => {
            Err(format!(
                "a database is `{}` or `{}` (its Raft leader loses its power)",
                crate::drill::NB,
                crate::drill::SB
            ))
        }
        Action::DbPowerCut { .. } => Ok(()),
        Action::Loss { percent, .. } if !(1..=100).contains(percent) => {
            Err("loss is 1 to 100 percent".into())
        }
        Action::Delay { ms, .. } if !(1..=60_000).contains(ms) => {
            Err("a delay is 1 to 60000 ms".into())
        }
        _ => server(node),
    }
}

fn check_havipd_args(args: &[String]) -> std::result::Result<(), String> {
    let argv = std::iter::once("havipd").chain(args.iter().map(String::as_str));
    let matches = daemon_cli::command()
        .try_get_matches_from(argv)
        .map_err(|e| first_line(&e.to_string()))?;
    let owned: Vec<&str> = LAB_OWNED_FLAGS
        .iter()
        .copied()
        .filter(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .collect();
    if owned.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: the lab sets these itself", owned.join(", ")))
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string()
}
