//! Turning samples into a timeline: who held the VIP when, split-brain stretches, and the
//! number of changes. Pure functions over (time, holds-per-server) samples.

use serde::Serialize;

/// A stretch of time with one holder state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Span {
    /// Start (seconds).
    pub from: f64,
    /// End (seconds).
    pub to: f64,
    /// Servers holding the VIP (`a`, `b`), none, or both (split brain).
    pub holders: Vec<String>,
}

/// A fault or repair on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mark {
    /// When (seconds).
    pub time: f64,
    /// What happened.
    pub label: String,
}

/// Spans from samples `(time, [a holds, b holds, ...])` taken in order; the last span ends at
/// `end`.
pub fn spans(samples: &[(f64, Vec<bool>)], names: &[&str], end: f64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for (t, holds) in samples {
        let holders: Vec<String> = names
            .iter()
            .zip(holds)
            .filter(|(_, h)| **h)
            .map(|(n, _)| n.to_string())
            .collect();
        match out.last_mut() {
            Some(last) if last.holders == holders => {}
            Some(last) => {
                last.to = *t;
                out.push(Span {
                    from: *t,
                    to: *t,
                    holders,
                });
            }
            None => out.push(Span {
                from: *t,
                to: *t,
                holders,
            }),
        }
    }
    if let Some(last) = out.last_mut() {
        last.to = end.max(last.from);
    }
    out
}

/// Stretches where more than one server held the VIP.
pub fn split_brain(spans: &[Span]) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| s.holders.len() > 1)
        .cloned()
        .collect()
}

/// Times the holder set changed.
pub fn changes(spans: &[Span]) -> usize {
    spans.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_the_holder_and_split_brain_is_found() {
        let s = |t: f64, a: bool, b: bool| (t, vec![a, b]);
        let samples = [
            s(0.0, true, false),
            s(1.0, true, false),
            s(2.0, true, true),
            s(2.5, false, true),
            s(3.0, false, true),
        ];
        let sp = spans(&samples, &["a", "b"], 4.0);
        assert_eq!(sp.len(), 3);
        assert_eq!((sp[0].from, sp[0].to), (0.0, 2.0));
        assert_eq!(sp[1].holders, vec!["a", "b"]);
        assert_eq!((sp[2].from, sp[2].to), (2.5, 4.0));
        assert_eq!(split_brain(&sp).len(), 1);
        assert_eq!(changes(&sp), 2);
    }
}
