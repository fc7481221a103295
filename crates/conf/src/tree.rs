//! keepalived's block structure: each statement is a keyword and its arguments, optionally
//! followed by a `{ ... }` block, which may open on the next line. Built with an explicit stack,
//! so no input nests deeply enough to overflow.

use crate::diag::{Diagnostic, Location, Severity};
use crate::lexer::{Token, TokenKind, tokenize};
use crate::reader::SourceLine;

/// A statement: keyword, arguments, and optional block.
#[derive(Clone, Debug)]
pub struct Node {
    /// The keyword (or, in list blocks, the first word of the entry).
    pub name: Token,
    /// The rest of the line before any `{`.
    pub args: Vec<Token>,
    /// The block, if any.
    pub block: Option<Block>,
}

/// A `{ ... }` block.
#[derive(Clone, Debug)]
pub struct Block {
    /// Where `{` is.
    pub open: Location,
    /// Statements inside.
    pub nodes: Vec<Node>,
    /// Line of the closing `}` (that of `open` if never closed).
    pub close_line: u32,
}

impl Node {
    /// The keyword.
    pub fn key(&self) -> &str {
        &self.name.text
    }

    /// Arguments as strings.
    pub fn arg_texts(&self) -> Vec<&str> {
        self.args.iter().map(|t| t.text.as_str()).collect()
    }

    /// The whole statement as written (keyword and arguments).
    pub fn text(&self) -> String {
        let mut s = self.name.text.clone();
        for a in &self.args {
            s.push(' ');
            if a.kind == TokenKind::Quoted {
                s.push('"');
                s.push_str(&a.text);
                s.push('"');
            } else {
                s.push_str(&a.text);
            }
        }
        s
    }

    /// Last line covered by the statement.
    pub fn last_line(&self) -> u32 {
        self.block
            .as_ref()
            .map_or(self.name.loc.line, |b| b.close_line)
    }

    /// Statements of the block (empty if none).
    pub fn children(&self) -> &[Node] {
        self.block.as_ref().map_or(&[], |b| &b.nodes)
    }
}

/// Deepest nesting accepted; keepalived's own grammar needs 4. Deeper blocks are skipped.
pub const MAX_DEPTH: usize = 64;

enum Frame {
    Root(Vec<Node>),
    Node(Node, Vec<Node>),
    Stray {
        open: Location,
        after_comment: Option<String>,
    },
}

/// Parses lines into top-level statements.
pub fn parse(lines: &[SourceLine], diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    let mut stack: Vec<Frame> = vec![Frame::Root(Vec::new())];
    let mut stray_depth = 0usize; // nested braces inside a stray block
    let mut last_comment: Option<String> = None;
    for line in lines {
        let (tokens, comment_only) = tokenize(line, diags);
        if comment_only {
            last_comment = Some(line.text.text.trim().to_string());
            continue;
        }
        if tokens.is_empty() {
            continue;
        }
        let mut tokens = tokens.into_iter().peekable();
        while let Some(tok) = tokens.next() {
            if let Some(Frame::Stray { .. }) = stack.last() {
                in_stray(&mut stack, &mut stray_depth, &tok, diags);
                continue;
            }
            match tok.kind {
                TokenKind::Close => close(&mut stack, &tok, diags),
                TokenKind::Open => open_block(&mut stack, tok.loc, &last_comment),
                TokenKind::Word | TokenKind::Quoted => {
                    statement(&mut stack, tok, &mut tokens, diags)
                }
            }
        }
        last_comment = None;
    }
    close_unclosed(&mut stack, diags);
    match stack.pop() {
        Some(Frame::Root(nodes)) => nodes,
        _ => Vec::new(),
    }
}

/// A token inside a block without a keyword: braces are counted until the block closes,
/// which is then reported.
fn in_stray(
    stack: &mut Vec<Frame>,
    stray_depth: &mut usize,
    tok: &Token,
    diags: &mut Vec<Diagnostic>,
) {
    match tok.kind {
        TokenKind::Open => *stray_depth += 1,
        TokenKind::Close if *stray_depth > 0 => *stray_depth -= 1,
        TokenKind::Close => {
            if let Some(Frame::Stray {
                open,
                after_comment,
            }) = stack.pop()
            {
                let mut d = Diagnostic::new(Severity::Error, "stray-block", open.clone(), "{", "block without a keyword: keepalived ignores '{' and reads every line inside as an unknown keyword")
                    .until(tok.loc.line);
                d = match after_comment {
                    Some(c) => d.hint(format!("the line before it is a comment (`{c}`): was its keyword commented out by mistake?")),
                    None => d.hint("put the keyword (e.g. `vrrp_script NAME`) on the line before '{', or remove the block"),
                };
                diags.push(d);
            }
        }
        _ => {}
    }
}

/// A `{` on a line of its own: it opens the block of the statement before it, or a block
/// without a keyword.
fn open_block(stack: &mut Vec<Frame>, open: Location, last_comment: &Option<String>) {
    let attach = current(stack)
        .last()
        .is_some_and(|n| n.block.is_none() && n.name.loc.line < open.line);
    if !attach {
        stack.push(Frame::Stray {
            open,
            after_comment: last_comment.clone(),
        });
    } else if stack.len() > MAX_DEPTH {
        stack.push(Frame::Stray {
            open,
            after_comment: None,
        });
    } else {
        let Some(mut node) = current(stack).pop() else {
            unreachable_frame()
        };
        let close_line = open.line;
        node.block = Some(Block {
            open,
            nodes: Vec::new(),
            close_line,
        });
        stack.push(Frame::Node(node, Vec::new()));
    }
}

/// A statement starting at `tok`: its arguments, and its block if `{` follows on the line.
fn statement(
    stack: &mut Vec<Frame>,
    tok: Token,
    tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut args = Vec::new();
    while let Some(arg) = tokens.next_if(|t| matches!(t.kind, TokenKind::Word | TokenKind::Quoted))
    {
        args.push(arg);
    }
    let mut node = Node {
        name: tok,
        args,
        block: None,
    };
    match tokens.next_if(|t| t.kind == TokenKind::Open) {
        Some(open) if stack.len() > MAX_DEPTH => {
            diags.push(Diagnostic::new(
                Severity::Error,
                "too-deep",
                node.name.loc.clone(),
                node.text(),
                format!("blocks nested more than {MAX_DEPTH} deep; this one is skipped"),
            ));
            stack.push(Frame::Stray {
                open: open.loc,
                after_comment: None,
            });
        }
        Some(open) => {
            let close_line = open.loc.line;
            node.block = Some(Block {
                open: open.loc,
                nodes: Vec::new(),
                close_line,
            });
            stack.push(Frame::Node(node, Vec::new()));
        }
        None => current(stack).push(node),
    }
}

/// Reports the blocks still open at the end, and attaches what they hold.
fn close_unclosed(stack: &mut Vec<Frame>, diags: &mut Vec<Diagnostic>) {
    while stack.len() > 1 {
        match stack.pop() {
            Some(Frame::Node(mut node, children)) => {
                let open = node
                    .block
                    .as_ref()
                    .map(|b| b.open.clone())
                    .unwrap_or_else(|| node.name.loc.clone());
                diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        "unclosed-block",
                        open,
                        node.text(),
                        format!("the block of `{}` is never closed", node.key()),
                    )
                    .hint("add the missing '}'"),
                );
                if let Some(b) = node.block.as_mut() {
                    b.nodes = children;
                }
                current(stack).push(node);
            }
            Some(Frame::Stray { open, .. }) => diags.push(Diagnostic::new(
                Severity::Error,
                "unclosed-block",
                open,
                "{",
                "a block without a keyword is never closed",
            )),
            Some(Frame::Root(_)) | None => break,
        }
    }
}

fn unreachable_frame() -> ! {
    panic!("tree parser invariant: the node just checked exists")
}

fn current(stack: &mut [Frame]) -> &mut Vec<Node> {
    match stack.last_mut() {
        Some(Frame::Root(v)) | Some(Frame::Node(_, v)) => v,
        _ => panic!("tree parser invariant: stray frames are handled before"),
    }
}

fn close(stack: &mut Vec<Frame>, tok: &Token, diags: &mut Vec<Diagnostic>) {
    if stack.len() == 1 {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "unexpected-close",
                tok.loc.clone(),
                "}",
                "'}' closes nothing",
            )
            .hint("remove it, or look for a missing '{' above"),
        );
        return;
    }
    if let Some(Frame::Node(mut node, children)) = stack.pop() {
        if let Some(b) = node.block.as_mut() {
            b.nodes = children;
            b.close_line = tok.loc.line;
        }
        current(stack).push(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unicode::NormalLine;

    fn lines(s: &str) -> Vec<SourceLine> {
        s.lines()
            .enumerate()
            .map(|(i, l)| SourceLine {
                file: "f".into(),
                line: i as u32 + 1,
                text: NormalLine {
                    text: l.into(),
                    columns: Vec::new(),
                },
            })
            .collect()
    }

    fn shape(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match &n.block {
                Some(b) => format!("{}[{}]", n.text(), shape(&b.nodes)),
                None => n.text(),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    #[test]
    fn blocks_on_same_and_next_line() {
        let mut d = Vec::new();
        let t = parse(
            &lines("a {\n b 1\n c { x }\n}\nscript s\n{\n interval 5\n}\nflag"),
            &mut d,
        );
        assert_eq!(shape(&t), "a[b 1;c[x]];script s[interval 5];flag");
        assert!(d.is_empty());
    }

    #[test]
    fn stray_block_after_commented_keyword() {
        let mut d = Vec::new();
        let t = parse(
            &lines(
                "g {\n}\n# vrrp_script chk\n{\n  script \"x\"\n  interval 5\n}\nvrrp_instance V {\n}",
            ),
            &mut d,
        );
        assert_eq!(shape(&t), "g[];vrrp_instance V[]");
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].code, d[0].location.line, d[0].end_line),
            ("stray-block", 4, Some(7))
        );
        assert!(
            d[0].hint
                .as_deref()
                .unwrap_or("")
                .contains("# vrrp_script chk")
        );
    }

    #[test]
    fn unclosed_and_extra_braces() {
        let mut d = Vec::new();
        let t = parse(&lines("a {\n b {\n}\n}\n}\nc {"), &mut d);
        assert_eq!(shape(&t), "a[b[]];c[]");
        assert_eq!(
            d.iter().map(|x| x.code).collect::<Vec<_>>(),
            ["unexpected-close", "unclosed-block"]
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = "a {\n".repeat(100_000);
        let mut d = Vec::new();
        let t = parse(&lines(&text), &mut d);
        assert_eq!(t.len(), 1);
        assert_eq!(d.iter().filter(|x| x.code == "too-deep").count(), 1);
        assert_eq!(
            d.iter().filter(|x| x.code == "unclosed-block").count(),
            MAX_DEPTH + 1
        );
    }
}
