//! Reading one statement's value according to its [`Kind`], with keepalived's ranges, and the
//! generic walk over a section's statements.

use crate::diag::{Diagnostic, Severity};
use crate::keywords::{self, Kind, Table};
use crate::model::{ScriptCmd, Setting, Settings, Value};
use crate::tree::Node;

/// Reads a section's statements into `settings`; block keywords go to `on_block`, any
/// statement the table does not know is reported (with the nearest known keyword), and so is
/// every keyword havipd does not do (its row's status, on its line).
pub fn walk(
    section: &str,
    node: &Node,
    table: &Table,
    settings: &mut Settings,
    diags: &mut Vec<Diagnostic>,
    on_block: impl FnMut(&Node, &mut Vec<Diagnostic>),
) {
    walk_with(section, node, table, settings, diags, on_block, true);
}

/// [`walk`] inside a section whose own line already said it is not done: its keywords are
/// read and checked, their statuses not repeated.
pub fn walk_quietly(
    section: &str,
    node: &Node,
    table: &Table,
    settings: &mut Settings,
    diags: &mut Vec<Diagnostic>,
) {
    walk_with(section, node, table, settings, diags, |_, _| {}, false);
}

fn walk_with(
    section: &str,
    node: &Node,
    table: &Table,
    settings: &mut Settings,
    diags: &mut Vec<Diagnostic>,
    mut on_block: impl FnMut(&Node, &mut Vec<Diagnostic>),
    statuses: bool,
) {
    for child in node.children() {
        let key = child.key();
        let row = table.row(key);
        if let Some(row) = row.filter(|_| statuses) {
            super::status::report(row, child, diags);
        }
        match row.map(|r| r.kind) {
            Some(Kind::Block) => {
                if child.block.is_none() {
                    diags.push(Diagnostic::new(
                        Severity::Warning,
                        "missing-block",
                        child.name.loc.clone(),
                        child.text(),
                        format!("`{key}` expects a {{ ... }} block; the line is ignored"),
                    ));
                } else {
                    on_block(child, diags);
                }
            }
            Some(kind) => {
                if let Some(b) = &child.block {
                    diags.push(
                        Diagnostic::new(
                            Severity::Warning,
                            "unexpected-block",
                            b.open.clone(),
                            child.text(),
                            format!("`{key}` takes no block; its block is ignored"),
                        )
                        .until(b.close_line),
                    );
                }
                deprecated(child, diags);
                if let Some(value) = read_value(child, kind, diags) {
                    settings.0.insert(
                        key.to_string(),
                        Setting {
                            value,
                            loc: child.name.loc.clone(),
                            text: child.text(),
                        },
                    );
                }
            }
            None => diags.push(unknown(section, child, table)),
        }
    }
}

/// Reports `node` if its keyword is one keepalived has replaced.
pub fn deprecated(node: &Node, diags: &mut Vec<Diagnostic>) {
    let key = node.key();
    if let Some((_, instead, said)) = keywords::DEPRECATED.iter().find(|(k, ..)| *k == key) {
        // A name keepalived reads without a word is a note (its `-t` exits 0 on it).
        let severity = if *said {
            Severity::Warning
        } else {
            Severity::Info
        };
        diags.push(
            Diagnostic::new(
                severity,
                "deprecated",
                node.name.loc.clone(),
                node.text(),
                format!("`{key}` is deprecated; keepalived still reads it"),
            )
            .hint(*instead),
        );
    }
}

/// The diagnostic for a keyword the section does not have.
pub fn unknown(section: &str, node: &Node, table: &Table) -> Diagnostic {
    let key = node.key();
    let d = Diagnostic::new(
        Severity::Warning,
        "unknown-keyword",
        node.name.loc.clone(),
        node.text(),
        format!("unknown keyword `{key}` in {section}; keepalived ignores the line"),
    )
    .until(node.last_line());
    if section != "the top level" && crate::keywords::TOP.get(key).is_some() {
        return d.hint(format!(
            "keepalived reads `{key}` only at the top level: move it out of {section}"
        ));
    }
    match nearest(key, table.names()) {
        Some(k) => d.hint(format!("did you mean `{k}`?")),
        None => d,
    }
}

/// The closest keyword within a small edit distance.
pub fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.len() / 4).clamp(1, 3);
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reads the value of `node` as `kind`; `None` (with a diagnostic) if keepalived would ignore it.
pub fn read_value(node: &Node, kind: Kind, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    let args = node.arg_texts();
    match kind {
        Kind::Flag => {
            extra(node, 0, diags);
            Some(Value::Flag)
        }
        Kind::BoolOpt => {
            extra(node, 1, diags);
            bool_value(node, args.first().copied(), diags)
        }
        Kind::Int(min, max) => {
            let Some(first) = args.first() else {
                return missing(node, diags);
            };
            extra(node, 1, diags);
            int_value(node, first, (min, max), diags)
        }
        Kind::Secs(min, max) => {
            let Some(first) = args.first() else {
                return missing(node, diags);
            };
            extra(node, 1, diags);
            secs_value(node, first, (min, max), diags)
        }
        Kind::Str => {
            let Some(first) = args.first() else {
                return missing(node, diags);
            };
            extra(node, 1, diags);
            Some(Value::Str(first.to_string()))
        }
        Kind::Script => {
            let Some(first) = node.args.first() else {
                return missing(node, diags);
            };
            extra(node, 3, diags);
            Some(Value::Script(ScriptCmd {
                command: first.text.clone(),
                user: args.get(1).map(|s| s.to_string()),
                group: args.get(2).map(|s| s.to_string()),
            }))
        }
        Kind::Ip => {
            let Some(first) = args.first() else {
                return missing(node, diags);
            };
            extra(node, 1, diags);
            let ip = first.parse().map(Value::Ip).ok();
            ip.or_else(|| {
                diags.push(bad(node, 0, "an IPv4 or IPv6 address"));
                None
            })
        }
        Kind::Words => Some(Value::Words(args.iter().map(|s| s.to_string()).collect())),
        Kind::Block => None,
    }
}

/// A warning for the words after the `n` a keyword takes.
fn extra(node: &Node, n: usize, diags: &mut Vec<Diagnostic>) {
    if node.args.len() > n {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "extra-arguments",
            node.args[n].loc.clone(),
            node.text(),
            format!(
                "`{}` takes {n} argument{}; the rest is ignored",
                node.key(),
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
}

/// A warning for a keyword without its value; the line is ignored (`None`).
fn missing(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    diags.push(Diagnostic::new(
        Severity::Warning,
        "missing-value",
        node.name.loc.clone(),
        node.text(),
        format!("`{}` needs a value; the line is ignored", node.key()),
    ));
    None
}

/// A `BoolOpt` value: none (true), or on/off, true/false, yes/no in any case.
fn bool_value(node: &Node, word: Option<&str>, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    match word.map(|s| s.to_ascii_lowercase()) {
        None => Some(Value::Bool(true)),
        Some(v) if ["on", "true", "yes"].contains(&v.as_str()) => Some(Value::Bool(true)),
        Some(v) if ["off", "false", "no"].contains(&v.as_str()) => Some(Value::Bool(false)),
        Some(_) => {
            diags.push(bad(node, 0, "on, off, true, false, yes or no"));
            None
        }
    }
}

/// An integer within `min..=max`.
fn int_value(
    node: &Node,
    first: &str,
    (min, max): (i64, i64),
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    match first.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Some(Value::Int(v)),
        Ok(v) => {
            diags.push(out_of_range(node, &v.to_string(), &format!("{min}-{max}")));
            None
        }
        Err(_) => {
            diags.push(bad(node, 0, &format!("an integer in {min}-{max}")));
            None
        }
    }
}

/// A number of seconds within `min..=max`, in microseconds.
fn secs_value(
    node: &Node,
    first: &str,
    (min, max): (f64, f64),
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    match first.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min && v <= max => {
            Some(Value::Micros((v * 1e6).round() as u64))
        }
        Ok(_) => {
            diags.push(out_of_range(
                node,
                first,
                &format!("[{}, {}] s", fmt_num(min), fmt_num(max)),
            ));
            None
        }
        Err(_) => {
            diags.push(bad(node, 0, "a number of seconds"));
            None
        }
    }
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value that is not of the expected form.
pub fn bad(node: &Node, arg: usize, expected: &str) -> Diagnostic {
    let loc = node
        .args
        .get(arg)
        .map_or(node.name.loc.clone(), |a| a.loc.clone());
    let found = node.args.get(arg).map_or("", |a| a.text.as_str());
    Diagnostic::new(
        Severity::Warning,
        "bad-value",
        loc,
        node.text(),
        format!(
            "`{}` expects {expected}, found `{found}`; keepalived ignores the line",
            node.key()
        ),
    )
}

/// A number outside keepalived's range for the keyword.
pub fn out_of_range(node: &Node, found: &str, range: &str) -> Diagnostic {
    let loc = node
        .args
        .first()
        .map_or(node.name.loc.clone(), |a| a.loc.clone());
    Diagnostic::new(
        Severity::Warning,
        "out-of-range",
        loc,
        node.text(),
        format!(
            "`{}` {found} is outside keepalived's range {range}; keepalived 2.2.7 rejects it and keeps the default",
            node.key()
        ),
    )
}
