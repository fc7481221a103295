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
    let chars: Vec<char> = line.text.text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut comment_only = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' || c == '!' {
            comment_only = out.is_empty();
            break;
        }
        let loc = line.at(i);
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
                i += 1;
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() && chars[i + 1] == '"' => {
                            text.push('"');
                            i += 2;
                        }
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        ch => {
                            text.push(ch);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    diags.push(
                        Diagnostic::new(
                            Severity::Error,
                            "unterminated-quote",
                            loc.clone(),
                            format!("\"{text}"),
                            "quoted string is not closed on this line",
                        )
                        .hint("add the closing \""),
                    );
                }
                out.push(Token {
                    kind: TokenKind::Quoted,
                    text,
                    loc,
                });
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '{' | '}' | '"')
                {
                    i += 1;
                }
                out.push(Token {
                    kind: TokenKind::Word,
                    text: chars[start..i].iter().collect(),
                    loc,
                });
            }
        }
    }
    (out, comment_only)
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
