//! `vrrp_track_process NAME { ... }`, read line by line in order as keepalived 2.2.7's
//! `vrrp_tprocess_*` handlers read it: the first `process` and the first non-zero `weight`
//! win, `quorum` and `quorum_max` are each checked against the other as set so far, and `delay`
//! sets both delays.

use super::section_name;
use super::values::{self, walk};
use crate::diag::{Diagnostic, Severity};
use crate::keywords;
use crate::model::{ParamMatch, Settings, TrackProcess, Weight};
use crate::tree::Node;

/// The definition, or `None` (with an error) when keepalived drops it: no `process`.
pub fn build(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<TrackProcess> {
    let name = section_name(node, diags)?;
    // Unknown keywords, value forms and ranges, as for every section.
    let before = diags.len();
    walk(
        "vrrp_track_process",
        node,
        &keywords::TRACK_PROCESS,
        &mut Settings::default(),
        diags,
        |_, _| {},
    );
    // `param_match` alone is keepalived's exact match, not a missing value (the keyword table
    // gives it a required string).
    let mut k = before;
    while k < diags.len() {
        if diags[k].code == "missing-value" && diags[k].text.trim() == "param_match" {
            diags.remove(k);
        } else {
            k += 1;
        }
    }
    let mut t = TrackProcess::new(name, node.name.loc.clone());
    for child in node.children() {
        line(&mut t, child, diags);
    }
    if t.path.is_empty() {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "process-missing",
                node.name.loc.clone(),
                node.text(),
                format!(
                    "vrrp_track_process {} has no `process`; keepalived drops it",
                    t.name
                ),
            )
            .until(node.last_line())
            .hint("name the process: `process haproxy` (its command name) or a full command line"),
        );
        return None;
    }
    Some(t)
}

/// A line keepalived ignores, at the word that makes it so.
fn ignored(node: &Node, word: usize, message: String) -> Diagnostic {
    let loc = match word {
        0 => node.name.loc.clone(),
        k => node
            .args
            .get(k - 1)
            .map_or(node.name.loc.clone(), |a| a.loc.clone()),
    };
    Diagnostic::new(Severity::Warning, "bad-value", loc, node.text(), message)
}

/// The line's value read as its keyword's kind; its problems were reported by the walk.
fn value(node: &Node) -> Option<crate::model::Value> {
    let kind = keywords::TRACK_PROCESS.get(node.key())?;
    values::read_value(node, kind, &mut Vec::new())
}

fn line(t: &mut TrackProcess, node: &Node, diags: &mut Vec<Diagnostic>) {
    use crate::model::Value;
    let args = node.arg_texts();
    match node.key() {
        "process" => process(t, node, &args, diags),
        "param_match" => {
            t.param_match = match args.first() {
                None => ParamMatch::Exact,
                Some(&"initial") => ParamMatch::Initial,
                Some(&"partial") => ParamMatch::Partial,
                Some(other) => {
                    diags.push(
                        ignored(
                            node,
                            1,
                            format!("param_match `{other}` is not a match type; keepalived ignores the line"),
                        )
                        .hint("`param_match` alone (exact), `param_match initial` or `param_match partial`"),
                    );
                    return;
                }
            };
            t.full_command = true;
        }
        "weight" => weight(t, node, &args, diags),
        "quorum" | "quorum_max" => quorum(t, node, diags),
        key @ ("delay" | "fork_delay" | "terminate_delay") => {
            let Some(Value::Micros(us)) = value(node) else {
                return;
            };
            if us == 0 {
                diags.push(values::out_of_range(node, "0", "[0.000001, 3600] s"));
                return;
            }
            if key != "fork_delay" {
                t.terminate_delay_us = us;
            }
            if key != "terminate_delay" {
                t.fork_delay_us = us;
            }
        }
        "full_command" => t.full_command = true,
        _ => {}
    }
}

/// `quorum` and `quorum_max`, each checked against the other (keepalived ignores a line that
/// would make quorum exceed quorum_max).
fn quorum(t: &mut TrackProcess, node: &Node, diags: &mut Vec<Diagnostic>) {
    use crate::model::Value;
    match node.key() {
        "quorum" => {
            let Some(Value::Int(q)) = value(node) else {
                return;
            };
            let q = q as u32;
            if q > t.quorum_max {
                diags.push(quorum_conflict(
                    node,
                    format!(
                        "quorum {q} is greater than quorum_max {}; keepalived ignores the line",
                        t.quorum_max
                    ),
                ));
                return;
            }
            t.quorum = q;
        }
        "quorum_max" => {
            let Some(Value::Int(m)) = value(node) else {
                return;
            };
            let m = m as u32;
            // quorum_max 0 is allowed when quorum is not set: the process must not run.
            if (m != 0 || t.quorum > 1) && m < t.quorum {
                diags.push(quorum_conflict(
                    node,
                    format!(
                        "quorum_max {m} is less than quorum {}; keepalived ignores the line",
                        t.quorum
                    ),
                ));
                return;
            }
            t.quorum_max = m;
            if m == 0 {
                t.quorum = 0;
            } else if t.quorum == 0 {
                t.quorum = 1;
            }
        }
        _ => {}
    }
}

fn quorum_conflict(node: &Node, message: String) -> Diagnostic {
    ignored(node, 1, message).hint("quorum must not exceed quorum_max (unset: no maximum)")
}

fn process(t: &mut TrackProcess, node: &Node, args: &[&str], diags: &mut Vec<Diagnostic>) {
    let Some(first) = args.first() else {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "missing-value",
            node.name.loc.clone(),
            node.text(),
            "`process` needs the process's name; the line is ignored",
        ));
        return;
    };
    if !t.path.is_empty() {
        diags.push(ignored(
            node,
            1,
            format!(
                "the process is already set for vrrp_track_process {} (`{}`); keepalived ignores this one",
                t.name, t.path
            ),
        ));
        return;
    }
    t.path = first.to_string();
    if args.len() > 1 {
        t.params = args[1..].iter().map(|s| s.to_string()).collect();
        if t.param_match == ParamMatch::None {
            t.param_match = ParamMatch::Exact;
        }
        t.full_command = true;
    }
}

fn weight(t: &mut TrackProcess, node: &Node, args: &[&str], diags: &mut Vec<Diagnostic>) {
    let Some(first) = args.first() else {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "missing-value",
            node.name.loc.clone(),
            node.text(),
            format!(
                "no weight given for vrrp_track_process {}; the line is ignored",
                t.name
            ),
        ));
        return;
    };
    if t.weight.value != 0 {
        diags.push(ignored(
            node,
            1,
            format!(
                "the weight is already set for vrrp_track_process {} ({}); keepalived ignores this one",
                t.name, t.weight.value
            ),
        ));
        return;
    }
    let max = crate::model::PROCESS_WEIGHT_MAX;
    let value = match first.parse::<i64>() {
        Ok(v) if (-max..=max).contains(&v) => v,
        _ => {
            diags.push(ignored(
                node,
                1,
                format!(
                    "weight `{first}` is not a number in -{max}..{max}; keepalived ignores the line"
                ),
            ));
            return;
        }
    };
    let mut reverse = false;
    match args.get(1) {
        None => {}
        Some(&"reverse") => reverse = true,
        Some(other) => diags.push(ignored(
            node,
            2,
            format!("unknown weight option `{other}` (only `reverse`); the weight {value} applies"),
        )),
    }
    t.weight = Weight { value, reverse };
}

#[cfg(test)]
mod tests {
    use crate::model::{NO_QUORUM_MAX, ParamMatch};

    fn check(body: &str) -> crate::Report {
        crate::check_text(
            &format!(
                "vrrp_track_process TP {{\n{body}\n}}\n\
                 vrrp_instance VI {{ interface eth0\n virtual_router_id 1\n virtual_ipaddress {{ 10.0.0.1 }}\n track_process {{ TP }} }}\n"
            ),
            &crate::Options::default(),
        )
    }

    fn codes(r: &crate::Report) -> Vec<(&str, u32)> {
        r.diagnostics
            .iter()
            .map(|d| (d.code, d.location.line))
            .collect()
    }

    #[test]
    fn defaults_are_keepalived_s() {
        let r = check("process haproxy");
        let t = &r.config.track_processes["TP"];
        assert_eq!((t.quorum, t.quorum_max), (1, NO_QUORUM_MAX));
        assert_eq!(t.param_match, ParamMatch::None);
        assert!(!t.full_command && t.weight.value == 0);
        assert_eq!((t.fork_delay_us, t.terminate_delay_us), (0, 0));
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    }

    #[test]
    fn parameters_imply_an_exact_full_command_match() {
        let r = check("process /usr/sbin/haproxy -f x\nparam_match partial");
        let t = &r.config.track_processes["TP"];
        assert_eq!(t.params, ["-f", "x"]);
        assert_eq!(t.param_match, ParamMatch::Partial);
        assert!(t.full_command);
        let r = check("param_match initial\nprocess /usr/sbin/haproxy -f x");
        assert_eq!(
            r.config.track_processes["TP"].param_match,
            ParamMatch::Initial
        );
        let r = check("process x\nparam_match");
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(
            r.config.track_processes["TP"].param_match,
            ParamMatch::Exact
        );
        let r = check("process x\nparam_match exact");
        assert_eq!(codes(&r), [("bad-value", 3)], "keepalived has no `exact`");
        assert_eq!(r.config.track_processes["TP"].param_match, ParamMatch::None);
    }

    #[test]
    fn quorum_and_quorum_max_are_checked_in_order() {
        let r = check("process x\nquorum 3\nquorum_max 2");
        let t = &r.config.track_processes["TP"];
        assert_eq!((t.quorum, t.quorum_max), (3, NO_QUORUM_MAX));
        assert_eq!(codes(&r), [("bad-value", 4)]);
        let r = check("process x\nquorum_max 2\nquorum 3");
        let t = &r.config.track_processes["TP"];
        assert_eq!((t.quorum, t.quorum_max), (1, 2));
        assert_eq!(codes(&r), [("bad-value", 4)]);
        let r = check("process x\nquorum_max 0");
        let t = &r.config.track_processes["TP"];
        assert_eq!((t.quorum, t.quorum_max), (0, 0));
        let r = check("process x\nquorum 0");
        assert_eq!(codes(&r), [("out-of-range", 3)]);
    }

    #[test]
    fn first_process_and_weight_win_and_delay_sets_both() {
        let r = check(
            "process a\nprocess b\nweight -20 reverse\nweight 10\nfork_delay 0.5\ndelay 2\nfork_delay 1\nterminate_delay 0",
        );
        let t = &r.config.track_processes["TP"];
        assert_eq!(t.path, "a");
        assert_eq!((t.weight.value, t.weight.reverse), (-20, true));
        assert_eq!(
            (t.fork_delay_us, t.terminate_delay_us),
            (1_000_000, 2_000_000)
        );
        assert_eq!(
            codes(&r),
            [("bad-value", 3), ("bad-value", 5), ("out-of-range", 9)]
        );
        let r = check("process a\nweight 300");
        assert_eq!(r.config.track_processes["TP"].weight.value, 0);
        let r = check("process a\nweight 5 bogus");
        assert_eq!(r.config.track_processes["TP"].weight.value, 5);
        assert_eq!(codes(&r), [("bad-value", 3)]);
    }

    #[test]
    fn a_process_listed_twice_is_reported() {
        let r = crate::check_text(
            "vrrp_track_process TP { process x }\n\
             vrrp_instance VI { interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n\
             track_process { TP\n TP weight 5 } }\n",
            &crate::Options::default(),
        );
        assert_eq!(codes(&r), [("duplicate-reference", 6)]);
    }

    #[test]
    fn without_process_it_is_dropped_and_references_are_undefined() {
        let r = check("weight 10");
        assert!(r.config.track_processes.is_empty());
        assert_eq!(
            codes(&r),
            [("process-missing", 1), ("undefined-reference", 7)]
        );
    }
}
