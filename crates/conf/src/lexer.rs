//! Splits a logical line into words, quoted strings and braces. `#` and `!` start a comment
//! where a word could start (so `auth_pass a#b` keeps its `#`).

use crate::diag::{Diagnostic, Location, Severity};
use crate::reader::SourceLine;

/// Kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word.
    Word,
    /// A double-quoted string (quotes removed).
    Quoted,
    /// `{`.
    Open,
    /// `}`.
    Close,
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub kind: TokenKind,
    /// Text (without quotes).
    pub text: String,
    /// Location of its first character.
    pub loc: Location,
}

/// Tokens of one line, and whether the line was only a comment.
pub fn tokenize(line: &SourceLine, diags: &mut Vec<Diagnostic>) -> (Vec<Token>, bool) {
    let text = line.text.text.as_str();
    let ascii = text.is_ascii();
    // Character index of a byte offset: the same on ASCII lines, counted otherwise.
    let at = |byte: usize| {
        line.at(if ascii {
            byte
        } else {
            text[..byte].chars().count()
        })
    };
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut comment_only = false;
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '#' || c == '!' {
            comment_only = out.is_empty();
            break;
        }
        let loc = at(i);
        match c {
            '{' | '}' => {
                let kind = if c == '{' {
                    TokenKind::Open
                } else {
                    TokenKind::Close
                };
                out.push(Token {
                    kind,
                    text: c.to_string(),
                    loc,
                });
            }
            '"' => out.push(quoted(&mut chars, loc, diags)),
            _ => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | '"') {
                        break;
                    }
                    end = j + n.len_utf8();
                    chars.next();
                }
                out.push(Token {
                    kind: TokenKind::Word,
                    text: text[i..end].to_string(),
                    loc,
                });
            }
        }
    }
    (out, comment_only)
}

/// A quoted string, its opening `"` read: up to the closing `"` (`\"` is a quote inside);
/// unclosed, it runs to the end of the line, with an error.
fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    loc: Location,
    diags: &mut Vec<Diagnostic>,
) -> Token {
    let mut value = String::new();
    let mut closed = false;
    while let Some((_, ch)) = chars.next() {
        match ch {
            '\\' if chars.peek().is_some_and(|(_, n)| *n == '"') => {
                value.push('"');
                chars.next();
            }
            '"' => {
                closed = true;
                break;
            }
            ch => value.push(ch),
        }
    }
    if !closed {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "unterminated-quote",
                loc.clone(),
                format!("\"{value}"),
                "quoted string is not closed on this line",
            )
            .hint("add the closing \""),
        );
    }
    Token {
        kind: TokenKind::Quoted,
        text: value,
        loc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unicode::NormalLine;

    fn line(s: &str) -> SourceLine {
        SourceLine {
            file: "f".into(),
            line: 1,
            text: NormalLine {
                text: s.into(),
                columns: Vec::new(),
            },
        }
    }

    fn kinds(s: &str) -> Vec<(TokenKind, String, u32)> {
        let mut d = Vec::new();
        tokenize(&line(s), &mut d)
            .0
            .into_iter()
            .map(|t| (t.kind, t.text, t.loc.col))
            .collect()
    }

    #[test]
    fn words_quotes_braces_comments() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"notify "/x.sh MASTER" {a} # c"#),
            vec![
                (Word, "notify".into(), 1),
                (Quoted, "/x.sh MASTER".into(), 8),
                (Open, "{".into(), 23),
                (Word, "a".into(), 24),
                (Close, "}".into(), 25)
            ]
        );
        assert_eq!(
            kinds("auth_pass a#b ! x"),
            vec![(Word, "auth_pass".into(), 1), (Word, "a#b".into(), 11)]
        );
        let mut d = Vec::new();
        assert!(tokenize(&line("  # only"), &mut d).1);
        assert_eq!(kinds(r#"s "unterminated"#)[1].1, "unterminated");
        tokenize(&line(r#"s "open"#), &mut d);
        assert_eq!(d[0].code, "unterminated-quote");
    }
}
