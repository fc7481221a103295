//! keepalived's parameters: `$NAME=value` definitions and their substitution in later lines,
//! with the built-in ones of keepalived 2.2.7 (lib/parser.c `add_std_definition`):
//! `${_PWD}` (the directory of the file being read), `${_INSTANCE}` (the config id, else the
//! host name), `${_RANDOM}` / `${_RANDOM MIN MAX}`, `${_HASH}` (`#`) and `${_BANG}` (`!`).
//! keepalived 2.4's `${_ENV NAME}` is not one of 2.2.7's: it is left as written (as 2.2.7
//! leaves it) and reported.
//!
//! As keepalived does: comments are removed before substituting (so `# $X` is no use of
//! `$X`), quoted text is substituted too, an unbraced `$NAME` ends only at a blank, `,`, `)`
//! or the line's end (`$NET/24` is kept as written), a line is substituted again while it
//! still holds a `$` that expands, and a definition continued over several lines expands
//! only on a line of its own, into those lines.

use std::collections::HashMap;
use std::path::Path;

/// keepalived 2.4's built-ins that 2.2.7 does not have.
const BUILTINS_24: &[&str] = &["_ENV"];

/// How many times a line is substituted again (a definition that names itself stops here).
const MAX_PASSES: usize = 16;

/// A `$` that did not expand, for the diagnostic: its byte index in the line and its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Unexpanded {
    /// Byte index of the `$` in the text given.
    pub index: usize,
    /// The name after the `$` (without braces or arguments).
    pub name: String,
    /// Why it did not expand.
    pub why: Why,
}

/// Why a `$NAME` did not expand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// No such parameter.
    Undefined,
    /// A keepalived 2.4 built-in (`${_ENV NAME}`), which 2.2.7 does not have.
    Newer,
    /// A multi-line parameter used within a line: keepalived expands it on a line of its own.
    MultiLineWithin,
}

/// The result of substituting one line.
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    /// The line's text after substitution: one line, or several for a multi-line definition
    /// used on a line of its own. `None` when nothing expanded.
    pub lines: Option<Vec<String>>,
    /// Names used but not expanded (reported; keepalived keeps them silently).
    pub unexpanded: Vec<Unexpanded>,
}

/// The parameters defined so far, and what the built-ins expand to.
#[derive(Clone, Debug, Default)]
pub struct Params {
    defs: HashMap<String, Definition>,
    config_id: Option<String>,
}

#[derive(Clone, Debug)]
struct Definition {
    value: String,
    multiline: bool,
}

impl Params {
    /// No definitions yet; `config_id` is keepalived's `-i`.
    pub fn new(config_id: Option<String>) -> Self {
        Params {
            defs: HashMap::new(),
            config_id,
        }
    }

    /// Defines `name`; `lines` holds its value's lines (more than one when continued with `\`).
    pub fn define(&mut self, name: &str, lines: &[String]) {
        let kept: Vec<&str> = lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        self.defs.insert(
            name.trim().to_string(),
            Definition {
                value: kept.join("\n"),
                multiline: lines.len() > 1,
            },
        );
    }

    /// Substitutes the parameters of `text` (a line of the file `file`).
    pub fn expand(&self, text: &str, file: &Path) -> Expansion {
        let mut out = Expansion::default();
        let end = comment_start(text);
        if !text[..end].contains('$') {
            return out;
        }
        let (code, comment) = text.split_at(end);
        let trimmed = code.trim();
        if let Some(def) = self.multiline_alone(trimmed) {
            let indent = &code[..code.len() - code.trim_start().len()];
            // Each of its lines is read as a line: substituted again.
            out.lines = Some(
                def.value
                    .split('\n')
                    .map(|l| {
                        let (text, _) = self.substitute_all(l, file);
                        format!("{indent}{}", text.as_deref().unwrap_or(l))
                    })
                    .collect(),
            );
            return out;
        }
        let (text, unexpanded) = self.substitute_all(code, file);
        out.unexpanded = unexpanded;
        out.lines = text.map(|t| vec![format!("{t}{comment}")]);
        out
    }

    /// `code` (a line without its comment) substituted until no `$` expands: the new text if
    /// anything did, and what did not expand on the first pass.
    fn substitute_all(&self, code: &str, file: &Path) -> (Option<String>, Vec<Unexpanded>) {
        let mut current = code.to_string();
        let mut changed = false;
        let mut first = Vec::new();
        for pass in 0..MAX_PASSES {
            let (next, unexpanded) = self.pass(&current, file);
            if pass == 0 {
                first = unexpanded;
            }
            let Some(n) = next else {
                break;
            };
            changed = true;
            // A value holding `#` or `!` starts a comment there, as keepalived reads it.
            current = n[..comment_start(&n)].to_string();
            if !current.contains('$') {
                break;
            }
        }
        (changed.then_some(current), first)
    }

    /// `text` with its parameters substituted (one line; as written when nothing expands).
    pub fn expand_text(&self, text: &str, file: &Path) -> String {
        self.expand(text, file)
            .lines
            .map_or_else(|| text.to_string(), |l| l.join(" "))
    }

    /// The multi-line definition a line consisting of `$NAME` or `${NAME}` alone names.
    fn multiline_alone(&self, trimmed: &str) -> Option<&Definition> {
        let name = trimmed.strip_prefix('$')?;
        let name = name
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        self.defs.get(name).filter(|d| d.multiline)
    }

    /// One substitution pass: the new text if anything expanded, and what did not.
    fn pass(&self, text: &str, file: &Path) -> (Option<String>, Vec<Unexpanded>) {
        let mut out = String::with_capacity(text.len());
        let mut unexpanded = Vec::new();
        let mut changed = false;
        let mut rest = text;
        let mut offset = 0;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            match self.reference(after, file) {
                Reference::Value(value, used) => {
                    out.push_str(&value);
                    changed = true;
                    rest = &after[used..];
                    offset += at + 1 + used;
                }
                Reference::None(name, why) => {
                    if !name.is_empty() {
                        unexpanded.push(Unexpanded {
                            index: offset + at,
                            name,
                            why,
                        });
                    }
                    out.push('$');
                    rest = after;
                    offset += at + 1;
                }
            }
        }
        out.push_str(rest);
        (changed.then_some(out), unexpanded)
    }

    /// What the text after a `$` refers to.
    fn reference(&self, after: &str, file: &Path) -> Reference {
        let braced = after.starts_with('{');
        let body = if braced { &after[1..] } else { after };
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let name = &body[..name_len];
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return Reference::None(String::new(), Why::Undefined);
        }
        let why = if BUILTINS_24.contains(&name) {
            Why::Newer
        } else if self.defs.get(name).is_some_and(|d| d.multiline) {
            Why::MultiLineWithin
        } else {
            Why::Undefined
        };
        let (args, used) = if braced {
            let Some(close) = body.find('}') else {
                return Reference::None(name.to_string(), why);
            };
            let args = &body[name_len..close];
            if !args
                .chars()
                .all(|c| c == ' ' || c == '\t' || c.is_ascii_alphanumeric() || c == '_')
                || args.ends_with([' ', '\t'])
            {
                return Reference::None(name.to_string(), why);
            }
            (args.split_whitespace().collect::<Vec<_>>(), close + 2)
        } else {
            let next = body[name_len..].chars().next();
            if !matches!(next, None | Some(' ' | '\t' | ',' | ')')) {
                return Reference::None(name.to_string(), why);
            }
            (Vec::new(), name_len)
        };
        match self.value(name, &args, file) {
            Some(v) => Reference::Value(v, used),
            None => Reference::None(name.to_string(), why),
        }
    }

    /// The value of `name` called with `args`, if it is defined (and takes them).
    fn value(&self, name: &str, args: &[&str], file: &Path) -> Option<String> {
        if let Some(def) = self.defs.get(name) {
            return (args.is_empty() && !def.multiline).then(|| def.value.clone());
        }
        match (name, args.len()) {
            ("_PWD", 0) => Some(directory_of(file)),
            ("_INSTANCE", 0) => Some(self.config_id.clone().unwrap_or_else(hostname)),
            ("_HASH", 0) => Some("#".into()),
            ("_BANG", 0) => Some("!".into()),
            ("_RANDOM", 0..=2) => random(args),
            _ => None,
        }
    }
}

enum Reference {
    /// The value, and how many bytes after the `$` it replaces.
    Value(String, usize),
    /// Not expanded: the name (empty when no name follows) and why.
    None(String, Why),
}

/// Where a line's comment starts (`#` or `!` outside quotes, not escaped), or its length.
pub fn comment_start(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut quoted = false;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'"' => quoted = !quoted,
            b'\\' => k += 1,
            b'#' | b'!' if !quoted => return k,
            _ => {}
        }
        k += 1;
    }
    text.len()
}

/// The absolute directory of `file` (keepalived reads each file from its own directory).
fn directory_of(file: &Path) -> String {
    let dir = file.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// `${_RANDOM}` (0-32767), `${_RANDOM MAX}` (0-MAX) or `${_RANDOM MIN MAX}`.
fn random(args: &[&str]) -> Option<String> {
    let nums: Vec<u64> = args.iter().map(|a| a.parse().ok()).collect::<Option<_>>()?;
    let (min, max) = match nums[..] {
        [] => (0, 32767),
        [max] => (0, max),
        [min, max] => (min, max),
        _ => return None,
    };
    if min > max {
        return None;
    }
    use std::hash::{BuildHasher, Hasher};
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Some((min + r % (max - min + 1)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(defs: &[(&str, &str)]) -> Params {
        let mut p = Params::new(Some("node1".into()));
        for (n, v) in defs {
            let lines: Vec<String> = v.split('\n').map(String::from).collect();
            p.define(n, &lines);
        }
        p
    }

    fn one(p: &Params, text: &str) -> Option<String> {
        p.expand(text, Path::new("/etc/keepalived/keepalived.conf"))
            .lines
            .map(|l| l.join("|"))
    }

    #[test]
    fn comments_are_not_substituted() {
        let p = params(&[("X", "val")]);
        assert_eq!(
            one(&p, " a $X # $X $UNDEF"),
            Some(" a val # $X $UNDEF".into())
        );
        let e = p.expand("  # $UNDEF", Path::new("k.conf"));
        assert!(e.lines.is_none() && e.unexpanded.is_empty());
        let e = p.expand("x ! ${UNDEF}", Path::new("k.conf"));
        assert!(e.unexpanded.is_empty());
    }

    #[test]
    fn keepalived_s_word_ends_and_quotes() {
        let p = params(&[("X", "val")]);
        assert_eq!(one(&p, "k_$X/y"), None);
        assert_eq!(one(&p, "m_$X,z"), Some("m_val,z".into()));
        assert_eq!(one(&p, "l \"${X}/s.sh\""), Some("l \"val/s.sh\"".into()));
        assert_eq!(one(&p, "p_${X}x"), Some("p_valx".into()));
    }

    #[test]
    fn built_ins_of_2_2_7() {
        let p = params(&[]);
        assert_eq!(
            one(&p, "s ${_PWD}/x.sh"),
            Some("s /etc/keepalived/x.sh".into())
        );
        assert_eq!(one(&p, "r $_INSTANCE"), Some("r node1".into()));
        // `#` starts a comment once substituted, as keepalived reads it.
        assert_eq!(one(&p, "e_${_HASH}x"), Some("e_".into()));
        let r: u32 = one(&p, "${_RANDOM 5 7}")
            .expect("expanded")
            .parse()
            .expect("a number");
        assert!((5..=7).contains(&r));
    }

    #[test]
    fn env_of_2_4_is_kept_and_reported() {
        let p = params(&[]);
        let e = p.expand("script \"${_ENV HOME}/chk.sh\"", Path::new("k.conf"));
        assert!(e.lines.is_none());
        assert_eq!(e.unexpanded.len(), 1);
        assert_eq!(e.unexpanded[0].why, Why::Newer);
        assert_eq!(e.unexpanded[0].index, 8);
    }

    #[test]
    fn multi_line_definitions_expand_alone_into_lines() {
        let p = params(&[("C", "a 1 \n b 2")]);
        assert_eq!(one(&p, "   $C"), Some("   a 1|   b 2".into()));
        assert_eq!(one(&p, "x $C"), None);
    }

    #[test]
    fn values_are_substituted_again() {
        let p = params(&[("A", "$B"), ("B", "2"), ("L", "$L")]);
        assert_eq!(one(&p, "p $A"), Some("p 2".into()));
        assert_eq!(one(&p, "p $L"), Some("p $L".into()));
    }
}
