//! Object identifiers. `Vec<u32>`'s ordering is SNMP's lexicographic ordering: a prefix sorts
//! before its extensions.

use std::fmt;

/// An object identifier.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Oid(pub Vec<u32>);

impl Oid {
    /// The OID made of `subids`.
    pub fn new(subids: &[u32]) -> Oid {
        Oid(subids.to_vec())
    }

    /// This OID followed by `more`.
    pub fn child(&self, more: &[u32]) -> Oid {
        let mut v = self.0.clone();
        v.extend_from_slice(more);
        Oid(v)
    }

    /// Whether `self` starts with `prefix`.
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// Whether this is the null OID (no sub-identifiers).
    pub fn is_null(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.0 {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_sorts_first_then_by_subid_value() {
        let a = Oid::new(&[1, 3, 6]);
        let b = Oid::new(&[1, 3, 6, 1]);
        let c = Oid::new(&[1, 3, 10]);
        assert!(a < b && b < c);
        assert_eq!(b.to_string(), ".1.3.6.1");
    }
}
