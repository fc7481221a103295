//! A read-only MIB view: the values of a snapshot, in SNMP order, answering Get, GetNext and
//! GetBulk as RFC 2741 §7.2.3 says a subagent does.

use crate::Oid;
use crate::pdu::{Payload, SearchRange, Value, VarBind};
use std::collections::BTreeMap;
use std::ops::Bound;

/// The most bindings one GetBulk answer holds.
pub const MAX_BULK: usize = 1024;
/// Response error: genErr (a request this subagent does not answer).
pub const GEN_ERR: u16 = 5;
/// Response error: notWritable (every Set).
pub const NOT_WRITABLE: u16 = 17;

/// Variables and their values, in SNMP order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View(pub BTreeMap<Oid, Value>);

impl View {
    /// Sets a variable.
    pub fn set(&mut self, name: Oid, value: Value) {
        self.0.insert(name, value);
    }

    /// Get (§7.2.3.1): the value, noSuchInstance under a known object, else noSuchObject.
    pub fn get(&self, name: &Oid) -> VarBind {
        let value = match self.0.get(name) {
            Some(v) => v.clone(),
            None => {
                let parent = Oid(name.0[..name.0.len().saturating_sub(1)].to_vec());
                let known = self
                    .0
                    .range(&parent..)
                    .next()
                    .is_some_and(|(k, _)| !parent.is_null() && k.starts_with(&parent));
                if known {
                    Value::NoSuchInstance
                } else {
                    Value::NoSuchObject
                }
            }
        };
        VarBind {
            name: name.clone(),
            value,
        }
    }

    /// GetNext (§7.2.3.2): the first variable in the range, else endOfMibView at its start.
    pub fn next(&self, r: &SearchRange) -> VarBind {
        let lower = if r.include {
            Bound::Included(&r.start)
        } else {
            Bound::Excluded(&r.start)
        };
        let found = self
            .0
            .range::<Oid, _>((lower, Bound::Unbounded))
            .next()
            .filter(|(k, _)| r.end.is_null() || *k < &r.end);
        match found {
            Some((k, v)) => VarBind {
                name: k.clone(),
                value: v.clone(),
            },
            None => VarBind {
                name: r.start.clone(),
                value: Value::EndOfMibView,
            },
        }
    }

    /// GetBulk (§7.2.3.3): the non-repeaters once, then up to `max_repetitions` rounds of the
    /// others, stopping when every one reached the end of the view (at most [`MAX_BULK`]).
    pub fn bulk(
        &self,
        non_repeaters: u16,
        max_repetitions: u16,
        ranges: &[SearchRange],
    ) -> Vec<VarBind> {
        let n = usize::from(non_repeaters).min(ranges.len());
        let mut out: Vec<VarBind> = ranges[..n].iter().map(|r| self.next(r)).collect();
        let mut cursors: Vec<SearchRange> = ranges[n..].to_vec();
        for _ in 0..max_repetitions {
            if cursors.is_empty() || out.len() + cursors.len() > MAX_BULK {
                break;
            }
            let mut all_ended = true;
            for c in &mut cursors {
                let vb = self.next(c);
                if vb.value != Value::EndOfMibView {
                    all_ended = false;
                    c.start = vb.name.clone();
                    c.include = false;
                }
                out.push(vb);
            }
            if all_ended {
                break;
            }
        }
        out
    }

    /// The Response payload to a request (None for PDUs that get no answer from a subagent).
    pub fn answer(&self, request: &Payload) -> Option<Payload> {
        let (error, index, varbinds) = match request {
            Payload::Get(rs) => (0, 0, rs.iter().map(|r| self.get(&r.start)).collect()),
            Payload::GetNext(rs) => (0, 0, rs.iter().map(|r| self.next(r)).collect()),
            Payload::GetBulk {
                non_repeaters,
                max_repetitions,
                ranges,
            } => (0, 0, self.bulk(*non_repeaters, *max_repetitions, ranges)),
            Payload::TestSet => (NOT_WRITABLE, 1, Vec::new()),
            Payload::CommitSet | Payload::UndoSet => (0, 0, Vec::new()),
            _ => return None,
        };
        Some(Payload::Response {
            uptime: 0,
            error,
            index,
            varbinds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        let mut v = View::default();
        for (k, n) in [
            (&[1, 3, 6, 1, 4, 1, 2, 1][..], 1),
            (&[1, 3, 6, 1, 4, 1, 2, 2][..], 2),
            (&[1, 3, 6, 1, 4, 1, 3, 1][..], 3),
        ] {
            v.set(Oid::new(k), Value::Integer(n));
        }
        v
    }

    fn range(start: &[u32], include: bool, end: &[u32]) -> SearchRange {
        SearchRange {
            start: Oid::new(start),
            include,
            end: Oid::new(end),
        }
    }

    #[test]
    fn get_tells_missing_instances_from_missing_objects() {
        let v = view();
        assert_eq!(
            v.get(&Oid::new(&[1, 3, 6, 1, 4, 1, 2, 2])).value,
            Value::Integer(2)
        );
        assert_eq!(
            v.get(&Oid::new(&[1, 3, 6, 1, 4, 1, 2, 9])).value,
            Value::NoSuchInstance
        );
        assert_eq!(
            v.get(&Oid::new(&[1, 3, 6, 1, 4, 1, 9, 9])).value,
            Value::NoSuchObject
        );
    }

    #[test]
    fn next_honours_include_and_end() {
        let v = view();
        let a = v.next(&range(&[1, 3, 6, 1, 4, 1, 2, 1], false, &[]));
        assert_eq!(a.name, Oid::new(&[1, 3, 6, 1, 4, 1, 2, 2]));
        let b = v.next(&range(&[1, 3, 6, 1, 4, 1, 2, 1], true, &[]));
        assert_eq!(b.value, Value::Integer(1));
        let c = v.next(&range(
            &[1, 3, 6, 1, 4, 1, 2, 2],
            false,
            &[1, 3, 6, 1, 4, 1, 3],
        ));
        assert_eq!(c.value, Value::EndOfMibView);
        assert_eq!(c.name, Oid::new(&[1, 3, 6, 1, 4, 1, 2, 2]));
    }

    #[test]
    fn bulk_repeats_until_the_end_of_the_view() {
        let v = view();
        let out = v.bulk(0, 10, &[range(&[1, 3, 6, 1, 4, 1], false, &[])]);
        let values: Vec<_> = out.iter().map(|b| b.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::Integer(3),
                Value::EndOfMibView
            ]
        );
    }

    #[test]
    fn sets_are_refused_as_not_writable() {
        let r = view().answer(&Payload::TestSet);
        assert!(matches!(
            r,
            Some(Payload::Response {
                error: NOT_WRITABLE,
                index: 1,
                ..
            })
        ));
        assert_eq!(view().answer(&Payload::CleanupSet), None);
    }
}
