//! Line layer of keepalived's config language, before any parsing: files and `include` (globs,
//! paths relative to the including file, cycles refused), conditional lines (`@id`, `@^id`),
//! parameter definitions (`$NAME=value`, continued with a trailing `\`) and their substitution
//! (`$NAME`, `${NAME}`, keepalived's built-ins: see [`crate::params`]), `~SEQ`/`~LST`
//! repetitions ([`crate::sequences`]), and pasted-Unicode normalisation.

use crate::diag::{Diagnostic, Diagnostics, Location, Severity};
use crate::params::{Params, Why};
use crate::unicode::{NormalLine, PasteTracker};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One logical line with its origin.
#[derive(Clone, Debug)]
pub struct SourceLine {
    /// File it came from.
    pub file: Arc<str>,
    /// Line number in that file.
    pub line: u32,
    /// Normalised text and column map.
    pub text: NormalLine,
}

impl SourceLine {
    /// Location of the character at `index` of the normalised text.
    pub fn at(&self, index: usize) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
            col: self.text.original_col(index),
        }
    }
}

/// Where config text comes from: the file system, or memory (tests, fuzzing).
pub trait Files {
    /// The contents of `path`.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
    /// Paths matching a glob pattern, sorted.
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
}

/// The real file system.
pub struct Disk;

impl Files for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = glob::glob(pattern)
            .map(|paths| paths.flatten().collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// In-memory files keyed by path.
#[derive(Default)]
pub struct MemoryFiles(pub HashMap<PathBuf, Vec<u8>>);

impl Files for MemoryFiles {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let Ok(p) = glob::Pattern::new(pattern) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = self
            .0
            .keys()
            .filter(|k| p.matches_path(k))
            .cloned()
            .collect();
        v.sort();
        v
    }
}

/// Files read through another [`Files`], each kept as read: the exact text a config was
/// checked from, to parse again later without the disk, whose files may have changed since.
pub struct Recording<'a> {
    inner: &'a dyn Files,
    kept: std::cell::RefCell<MemoryFiles>,
}

impl<'a> Recording<'a> {
    /// Records what is read through `inner`.
    pub fn new(inner: &'a dyn Files) -> Self {
        Recording {
            inner,
            kept: Default::default(),
        }
    }

    /// The files read so far, by path; an include glob over them matches what it matched.
    pub fn into_files(self) -> MemoryFiles {
        self.kept.into_inner()
    }
}

impl Files for Recording<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let bytes = self.inner.read(path)?;
        self.kept
            .borrow_mut()
            .0
            .insert(path.to_path_buf(), bytes.clone());
        Ok(bytes)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        self.inner.glob(pattern)
    }
}

/// Reads a config and everything it includes into logical lines.
pub struct Reader<'a> {
    files: &'a dyn Files,
    config_id: Option<String>,
    params: Params,
    stack: Vec<PathBuf>,
    paste: PasteTracker,
    /// Diagnostics found so far.
    pub diags: Diagnostics,
    lines: Vec<SourceLine>,
}

impl<'a> Reader<'a> {
    /// A reader; `config_id` selects `@id` lines (keepalived's `-i`).
    pub fn new(files: &'a dyn Files, config_id: Option<String>) -> Self {
        Reader {
            files,
            params: Params::new(config_id.clone()),
            config_id,
            stack: Vec::new(),
            paste: PasteTracker::default(),
            diags: Diagnostics::default(),
            lines: Vec::new(),
        }
    }

    /// Reads `path` and its includes. `false` if the top file could not be read.
    pub fn read_top(&mut self, path: &Path) -> bool {
        match self.files.read(path) {
            Ok(bytes) => {
                self.read_bytes(path, &bytes);
                true
            }
            Err(e) => {
                let file: Arc<str> = path.display().to_string().into();
                self.diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        "file-unreadable",
                        Location {
                            file,
                            line: 0,
                            col: 0,
                        },
                        "",
                        format!("cannot read the configuration: {e}"),
                    )
                    .hint("check the path given with -f/--use-file"),
                );
                false
            }
        }
    }

    /// The lines read, and the pasted-character findings added to the diagnostics.
    pub fn finish(mut self) -> (Vec<SourceLine>, Diagnostics) {
        for d in self.paste.diagnostics() {
            self.diags.push(d);
        }
        (self.lines, self.diags)
    }

    fn read_bytes(&mut self, path: &Path, bytes: &[u8]) {
        self.stack.push(canonical(path));
        let file: Arc<str> = path.display().to_string().into();
        let text = String::from_utf8_lossy(bytes);
        if text.contains('\u{fffd}') && std::str::from_utf8(bytes).is_err() {
            let line = text
                .lines()
                .position(|l| l.contains('\u{fffd}'))
                .unwrap_or(0) as u32
                + 1;
            self.diags.push(Diagnostic::new(
                Severity::Warning,
                "invalid-utf8",
                Location {
                    file: file.clone(),
                    line,
                    col: 1,
                },
                "",
                "bytes that are not UTF-8; read as U+FFFD",
            ));
        }
        let raw: Vec<&str> = text.split('\n').collect();
        let mut i = 0;
        while i < raw.len() {
            let number = i as u32 + 1;
            let mut line = self.paste.normalise(&file, number, raw[i]);
            i += 1;
            if !self.conditional(&mut line) {
                continue;
            }
            let trimmed = line.text.trim_start();
            if let Some(def) = trimmed.strip_prefix('$').filter(|d| is_definition(d)) {
                let (name, value) = def.split_once('=').unwrap_or((def, ""));
                let mut lines = vec![value.to_string()];
                while lines.last().is_some_and(|l| l.trim_end().ends_with('\\')) && i < raw.len() {
                    let last = lines.last_mut().expect("a line");
                    last.truncate(last.trim_end().len() - 1);
                    lines.push(self.paste.normalise(&file, i as u32 + 1, raw[i]).text);
                    i += 1;
                }
                self.params.define(name, &lines);
                continue;
            }
            if let Some(seq) =
                crate::sequences::parse(trimmed, |t| self.params.expand_text(t, path))
            {
                self.sequence(&file, path, number, &line, seq);
                continue;
            }
            self.emit(&file, path, number, line);
        }
        self.stack.pop();
    }

    /// A line's parameters substituted, then kept or read as an include.
    fn emit(&mut self, file: &Arc<str>, path: &Path, number: u32, line: NormalLine) {
        for text in self.substitute(file, path, number, line) {
            let src = SourceLine {
                file: file.clone(),
                line: number,
                text,
            };
            if let Some(pattern) = include_target(&src.text.text) {
                self.include(&src, path, &pattern);
                continue;
            }
            self.lines.push(src);
        }
    }

    /// `~SEQ`/`~LST`: the text read once per value, with the parameter set to it.
    fn sequence(
        &mut self,
        file: &Arc<str>,
        path: &Path,
        number: u32,
        line: &NormalLine,
        seq: Result<crate::sequences::Sequence, String>,
    ) {
        let indent = line.text.len() - line.text.trim_start().len();
        let seq = match seq {
            Ok(s) => s,
            Err(e) => {
                let at = Location {
                    file: file.clone(),
                    line: number,
                    col: line.original_col(line.text[..indent].chars().count()),
                };
                let d = Diagnostic::new(
                    Severity::Warning,
                    "bad-value",
                    at,
                    line.text.trim(),
                    format!("invalid ~SEQ/~LST: {e}; keepalived ignores the line"),
                )
                .hint("~SEQ(NAME, [START,] [STEP,] END) TEXT or ~LST(NAME, V1, V2, ...) TEXT");
                self.diags.push(d);
                return;
            }
        };
        let first = line.original_col(line.text[..indent + seq.offset].chars().count());
        for value in &seq.values {
            self.params.define(&seq.name, std::slice::from_ref(value));
            let text = NormalLine {
                columns: (0..seq.text.chars().count() as u32)
                    .map(|k| first + k)
                    .collect(),
                text: seq.text.clone(),
            };
            self.emit(file, path, number, text);
        }
    }

    /// Applies `@id` / `@^id`; false if the line is not for this config id.
    fn conditional(&self, line: &mut NormalLine) -> bool {
        let start = line.text.len() - line.text.trim_start().len();
        let rest = &line.text[start..];
        let Some(cond) = rest.strip_prefix('@') else {
            return true;
        };
        let (negated, cond) = match cond.strip_prefix('^') {
            Some(c) => (true, c),
            None => (false, cond),
        };
        let id_len = cond.find(char::is_whitespace).unwrap_or(cond.len());
        let matches = self.config_id.as_deref() == Some(&cond[..id_len]);
        if matches == negated {
            return false;
        }
        // Blank out the condition with as many spaces, so the column map stays valid.
        let prefix = start + 1 + usize::from(negated) + id_len;
        line.text.replace_range(..prefix, &" ".repeat(prefix));
        true
    }

    /// The line's parameters substituted: itself, or the lines a multi-line definition
    /// expands to (each keeps the line's number).
    fn substitute(
        &mut self,
        file: &Arc<str>,
        path: &Path,
        number: u32,
        line: NormalLine,
    ) -> Vec<NormalLine> {
        let expansion = self.params.expand(&line.text, path);
        for u in &expansion.unexpanded {
            let at = Location {
                file: file.clone(),
                line: number,
                col: line.original_col(line.text[..u.index].chars().count()),
            };
            let name = &u.name;
            let (message, hint) = match u.why {
                Why::Newer => (
                    format!(
                        "${{{name} ...}} is keepalived 2.4's; keepalived 2.2.7 has no such \
                         parameter and keeps the text as written"
                    ),
                    "write the value itself, or define a parameter: $NAME=VALUE".to_string(),
                ),
                Why::MultiLineWithin => (
                    format!(
                        "${name} is defined over several lines: keepalived expands it only on \
                         a line of its own, and keeps it as written here"
                    ),
                    format!("put ${name} on a line by itself"),
                ),
                Why::Undefined => (
                    format!("parameter ${name} is not defined; the text is kept as written"),
                    format!("define it before use: ${name}=VALUE"),
                ),
            };
            let d = Diagnostic::new(
                Severity::Warning,
                "undefined-parameter",
                at,
                format!("${name}"),
                message,
            )
            .hint(hint);
            self.diags.push(d);
        }
        let Some(lines) = expansion.lines else {
            return vec![line];
        };
        // Columns after a substitution no longer map one to one: keep the line's start.
        let first = line.original_col(0);
        lines
            .into_iter()
            .map(|text| NormalLine {
                columns: (0..text.chars().count() as u32)
                    .map(|k| first + k)
                    .collect(),
                text,
            })
            .collect()
    }

    fn include(&mut self, src: &SourceLine, current: &Path, pattern: &str) {
        let base = current.parent().unwrap_or(Path::new("."));
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let full_s = full.display().to_string();
        let matches = if full_s.contains(['*', '?', '[']) {
            self.files.glob(&full_s)
        } else {
            vec![full.clone()]
        };
        let at = src.at(src.text.text.len() - src.text.text.trim_start().len());
        if matches.is_empty() {
            self.diags.push(Diagnostic::new(
                Severity::Warning,
                "include-no-match",
                at.clone(),
                src.text.text.trim(),
                format!("no file matches {full_s}"),
            ));
        }
        for path in matches {
            if self.stack.contains(&canonical(&path)) {
                self.diags.push(Diagnostic::new(
                    Severity::Error,
                    "include-cycle",
                    at.clone(),
                    src.text.text.trim(),
                    format!(
                        "{} includes itself (through {} files); not read again",
                        path.display(),
                        self.stack.len()
                    ),
                ));
                continue;
            }
            match self.files.read(&path) {
                Ok(bytes) => self.read_bytes(&path, &bytes),
                Err(e) => self.diags.push(Diagnostic::new(
                    Severity::Error,
                    "include-unreadable",
                    at.clone(),
                    src.text.text.trim(),
                    format!("cannot read {}: {e}", path.display()),
                )),
            }
        }
    }
}

/// The real path if it exists, else `.` and `..` resolved lexically.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        let mut out = PathBuf::new();
        for c in path.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    })
}

fn is_definition(after_dollar: &str) -> bool {
    match after_dollar.split_once('=') {
        Some((name, _)) => {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// The pattern of an `include` line, if it is one (comments stripped, quotes removed).
fn include_target(text: &str) -> Option<String> {
    let t = text.trim_start();
    let rest = t.strip_prefix("include")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let arg = rest.trim();
    let arg = arg.split(['#', '!']).next().unwrap_or("").trim();
    Some(arg.trim_matches('"').to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
