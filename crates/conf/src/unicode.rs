//! Text as people paste it from web pages: no-break and other Unicode spaces, zero-width
//! characters, a byte-order mark, CRLF, fullwidth punctuation. Each is turned into the ASCII
//! its author meant, and each kind is reported once with its first location and a count.

use crate::diag::{Diagnostic, Location, Severity};
use std::sync::Arc;

/// A kind of pasted character and what it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    NoBreakSpace,
    OtherSpace,
    ZeroWidth,
    ByteOrderMark,
    CarriageReturn,
    Fullwidth,
    SmartQuote,
}

fn classify(c: char) -> Option<(Kind, Option<char>)> {
    Some(match c {
        '\u{00a0}' | '\u{202f}' => (Kind::NoBreakSpace, Some(' ')),
        '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{205f}' | '\u{3000}' | '\u{0085}' => {
            (Kind::OtherSpace, Some(' '))
        }
        '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{00ad}' => (Kind::ZeroWidth, None),
        '\u{feff}' => (Kind::ByteOrderMark, None),
        '\r' => (Kind::CarriageReturn, None),
        '\u{ff01}'..='\u{ff5e}' => (Kind::Fullwidth, char::from_u32(c as u32 - 0xff01 + 0x21)),
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => (Kind::SmartQuote, Some('"')),
        _ => return None,
    })
}

fn describe(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::NoBreakSpace => (
            "no-break space (U+00A0)",
            "read as a plain space; keepalived would read it as part of a word",
        ),
        Kind::OtherSpace => ("Unicode space", "read as a plain space"),
        Kind::ZeroWidth => ("zero-width character", "removed"),
        Kind::ByteOrderMark => ("byte-order mark", "removed"),
        Kind::CarriageReturn => ("CRLF line ending", "the CR is removed"),
        Kind::Fullwidth => ("fullwidth punctuation", "read as its ASCII form"),
        Kind::SmartQuote => ("typographic quote", "read as a plain double quote"),
    }
}

/// A line after normalisation, with a map back to original columns.
#[derive(Clone, Debug)]
pub struct NormalLine {
    /// The text with pasted characters replaced.
    pub text: String,
    /// For each character of `text`, its 1-based column in the original line (empty when the
    /// line needed no change: then columns are identical).
    pub columns: Vec<u32>,
}

impl NormalLine {
    /// Original column of the character at `index` (0-based, in characters) of `text`.
    pub fn original_col(&self, index: usize) -> u32 {
        if self.columns.is_empty() {
            index as u32 + 1
        } else {
            self.columns
                .get(index)
                .copied()
                .unwrap_or_else(|| self.columns.last().map_or(1, |c| c + 1))
        }
    }
}

/// Reports each kind of pasted character once per run.
#[derive(Default)]
pub struct PasteTracker {
    seen: Vec<(Kind, Location, usize)>,
}

impl PasteTracker {
    /// Normalises one line of `file` (line number `line`).
    pub fn normalise(&mut self, file: &Arc<str>, line: u32, raw: &str) -> NormalLine {
        if raw.is_ascii() && !raw.contains('\r') {
            return NormalLine {
                text: raw.to_string(),
                columns: Vec::new(),
            };
        }
        let mut text = String::with_capacity(raw.len());
        let mut columns = Vec::with_capacity(raw.len());
        let mut in_quote = false;
        let mut in_comment = false;
        let mut prev_space = true;
        for (i, c) in raw.chars().enumerate() {
            let col = i as u32 + 1;
            let class = classify(c);
            let ascii = class.map_or(Some(c), |(_, r)| r);
            if !in_comment && !in_quote && matches!(ascii, Some('#' | '!')) && prev_space {
                in_comment = true;
            }
            if ascii == Some('"') && !in_comment {
                in_quote = !in_quote;
            }
            prev_space = ascii.is_some_and(char::is_whitespace);
            // Inside a comment only line endings matter: the rest is nobody's business.
            match class {
                Some((kind, replacement)) if !in_comment || kind == Kind::CarriageReturn => {
                    self.note(
                        kind,
                        Location {
                            file: file.clone(),
                            line,
                            col,
                        },
                    );
                    if let Some(r) = replacement {
                        text.push(r);
                        columns.push(col);
                    }
                }
                _ => {
                    text.push(c);
                    columns.push(col);
                }
            }
        }
        NormalLine { text, columns }
    }

    fn note(&mut self, kind: Kind, at: Location) {
        match self.seen.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, _, n)) => *n += 1,
            None => self.seen.push((kind, at, 1)),
        }
    }

    /// One diagnostic per kind seen: first location, count, and how it was read.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.seen
            .iter()
            .map(|(kind, at, n)| {
                let (what, how) = describe(*kind);
                let severity = if *kind == Kind::CarriageReturn || *kind == Kind::ByteOrderMark { Severity::Info } else { Severity::Warning };
                Diagnostic::new(severity, "pasted-unicode", at.clone(), "", format!("{n} × {what}, first here; {how}"))
                    .hint("keepalived itself does not accept these: replace them with plain ASCII before deploying (e.g. `sed -i 's/\\xc2\\xa0/ /g' keepalived.conf`)")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_maps_columns() {
        let mut t = PasteTracker::default();
        let file: Arc<str> = "k.conf".into();
        let l = t.normalise(&file, 3, "\u{00a0}\u{00a0}priority\u{200b} 100\r");
        assert_eq!(l.text, "  priority 100");
        assert_eq!(l.original_col(2), 3); // 'p'
        assert_eq!(l.original_col(11), 13); // '1' after the removed zero-width char
        let l = t.normalise(&file, 4, "state\u{3000}MASTER\u{ff5b}");
        assert_eq!(l.text, "state MASTER{");
        let d = t.diagnostics();
        assert_eq!(d.len(), 5);
        assert_eq!(d[0].location.line, 3);
        assert!(d[0].message.starts_with("2 × no-break space"));
    }

    #[test]
    fn comments_are_left_alone() {
        let mut t = PasteTracker::default();
        let l = t.normalise(
            &"f".into(),
            1,
            "script \"/x.sh\"\u{a0}# say \u{201c}hi\u{201d}\u{a0}!\r",
        );
        assert_eq!(l.text, "script \"/x.sh\" # say \u{201c}hi\u{201d}\u{a0}!");
        let kinds: Vec<String> = t.diagnostics().iter().map(|d| d.message.clone()).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}"); // the no-break space before '#', and the CR
    }

    #[test]
    fn ascii_lines_are_untouched() {
        let mut t = PasteTracker::default();
        let l = t.normalise(&"f".into(), 1, "a b");
        assert!(l.columns.is_empty());
        assert_eq!(l.original_col(2), 3);
        assert!(t.diagnostics().is_empty());
    }
}
