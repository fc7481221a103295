//! The keyword contract at work: each keyword's status (`keywords::Status`) reported on the
//! line that uses it.

use crate::diag::{Diagnostic, Severity};
use crate::keywords::{self, Row, Status};
use crate::tree::Node;

/// Reports `node`'s status when havipd does not do what keepalived does with it: the row's
/// own status, else the status of the value written (`auth_type AH`).
pub fn report(row: &Row, node: &Node, diags: &mut Vec<Diagnostic>) {
    let value = node.args.first().and_then(|a| {
        keywords::value_row(row.section, row.keyword, &a.text).map(|v| (a.text.as_str(), v))
    });
    match value {
        Some((text, v)) => push(&format!("{} {text}", row.keyword), v.status, node, diags),
        None => push(row.keyword, row.status, node, diags),
    }
}

fn push(what: &str, status: Status, node: &Node, diags: &mut Vec<Diagnostic>) {
    let (severity, code, message) = match status {
        Status::Done => return,
        Status::Refused(why) => (
            Severity::Error,
            "refused",
            format!("`{what}` is refused: {why}"),
        ),
        Status::NotDone(severity, why) => (
            severity,
            "not-done",
            format!("`{what}` is accepted but not done: {why}"),
        ),
    };
    diags.push(
        Diagnostic::new(severity, code, node.name.loc.clone(), node.text(), message)
            .until(node.last_line()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::{Kind, Section};

    fn node(text: &str) -> Node {
        let line = crate::reader::SourceLine {
            file: "f".into(),
            line: 1,
            text: crate::unicode::NormalLine {
                text: text.into(),
                columns: Vec::new(),
            },
        };
        crate::tree::parse(&[line], &mut Vec::new()).remove(0)
    }

    fn row(status: Status) -> Row {
        Row {
            section: Section::Global,
            keyword: "k",
            kind: Kind::Words,
            status,
            default: "off",
            since: "",
            meaning: "m",
        }
    }

    #[test]
    fn each_status_reports_its_way() {
        let n = node("k 1");
        let mut d = Vec::new();
        report(&row(Status::Done), &n, &mut d);
        assert!(d.is_empty());
        report(&row(Status::Refused("keepalived exits")), &n, &mut d);
        report(&row(Status::NotDone(Severity::Info, "no mail")), &n, &mut d);
        let got: Vec<_> = d.iter().map(|d| (d.severity, d.code)).collect();
        assert_eq!(
            got,
            [(Severity::Error, "refused"), (Severity::Info, "not-done")]
        );
        assert!(d[1].message.contains("no mail"), "{}", d[1].message);
    }
}
