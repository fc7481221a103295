//! The index from a VRID to its instances, for the receive path.

use node::InstanceId;

/// The instances of each VRID, in config order: the receive path looks an advert's instance up
/// among its VRID's only. Built again whenever the instances are (start-up, reload).
#[derive(Default)]
pub struct ByVrid(Vec<Vec<InstanceId>>);

impl ByVrid {
    /// The index of `instances`.
    pub fn new(instances: &node::ById<crate::instance::Instance>) -> Self {
        let mut table = vec![Vec::new(); 256];
        for (id, i) in instances.enumerate() {
            table[usize::from(i.vrid)].push(id);
        }
        ByVrid(table)
    }

    /// The instances of `vrid`, in config order.
    pub fn of(&self, vrid: u8) -> &[InstanceId] {
        self.0.get(usize::from(vrid)).map_or(&[], Vec::as_slice)
    }
}
