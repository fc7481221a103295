//! Typed instance ids and a vector indexed by them.

use std::ops::{Deref, DerefMut, Index, IndexMut};

/// One instance of a [`crate::Node`]: its position among the node's instances, in config
/// order. Stable until a reload, which numbers the instances of the new config afresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(u32);

impl InstanceId {
    /// The id of the instance at `index` (in config order).
    pub fn new(index: usize) -> Self {
        InstanceId(u32::try_from(index).unwrap_or(u32::MAX))
    }

    /// As [`InstanceId::new`], in constants.
    pub const fn new_const(index: u32) -> Self {
        InstanceId(index)
    }

    /// Its position among the node's instances.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One `T` per instance, indexed by [`InstanceId`] (and, as a slice, by position).
#[derive(Clone, Debug)]
pub struct ById<T>(Vec<T>);

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById(Vec::new())
    }
}

impl<T> ById<T> {
    /// The ids of every entry, in order.
    pub fn ids(&self) -> impl Iterator<Item = InstanceId> + use<T> {
        (0..self.0.len()).map(InstanceId::new)
    }

    /// The first entry `pred` accepts.
    pub fn find(&self, pred: impl Fn(&T) -> bool) -> Option<InstanceId> {
        self.0.iter().position(pred).map(InstanceId::new)
    }

    /// Entries with their ids.
    pub fn enumerate(&self) -> impl Iterator<Item = (InstanceId, &T)> {
        self.0
            .iter()
            .enumerate()
            .map(|(k, t)| (InstanceId::new(k), t))
    }

    /// The entries, in order.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> From<Vec<T>> for ById<T> {
    fn from(v: Vec<T>) -> Self {
        ById(v)
    }
}

impl<T> Deref for ById<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for ById<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T> Index<InstanceId> for ById<T> {
    type Output = T;
    fn index(&self, id: InstanceId) -> &T {
        &self.0[id.index()]
    }
}

impl<T> IndexMut<InstanceId> for ById<T> {
    fn index_mut(&mut self, id: InstanceId) -> &mut T {
        &mut self.0[id.index()]
    }
}

impl<'a, T> IntoIterator for &'a ById<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut ById<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}
