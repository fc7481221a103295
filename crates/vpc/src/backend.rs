//! The seam between the service and the network it runs: a [`Backend`] realizes each write
//! before it is stored (an error refuses the write, so nothing is stored), and every binding
//! the network learns reaches the service as a [`Learned`] through one door,
//! [`Learner::learn_binding`]. Two backends: the userspace switch ([`UserspaceSwitch`], which
//! follows the change feed itself and reports GARPs over `/internal/garp`), and OVN
//! (`ovn::backend::OvnBackend`, whose southbound follower reports virtual bindings).

use crate::cloud::{Change, Cloud};
use crate::error::ApiError;
use crate::model::GarpForm;
use anyhow::Result;

/// Changes about to be stored, and the state they apply to.
#[derive(Clone, Copy, Debug)]
pub struct Changes<'a> {
    /// The state before them (the service's one copy).
    pub before: &'a Cloud,
    /// The changes, in order.
    pub list: &'a [Change],
}

impl Changes<'_> {
    /// The state once they are applied (a copy; `before` is left as it is).
    pub fn after(&self) -> Cloud {
        let mut next = self.before.clone();
        next.apply(self.list);
        next
    }
}

/// The network the state is realized on.
pub trait Backend: Send {
    /// Brings the network to the stored state, at start.
    fn start(&mut self, state: &Cloud) -> Result<()>;
    /// Realizes `changes` before they are stored; an error refuses them.
    fn realize(&mut self, changes: &Changes<'_>) -> Result<()>;
}

/// The userspace switch (`havip vpc dataplane`): it pulls the changes from the feed
/// (`/internal/changes`) once they are stored, so nothing is realized before.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserspaceSwitch;

impl Backend for UserspaceSwitch {
    fn start(&mut self, _state: &Cloud) -> Result<()> {
        Ok(())
    }

    fn realize(&mut self, _changes: &Changes<'_>) -> Result<()> {
        Ok(())
    }
}

/// A binding the network learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Learned {
    /// A GARP for `vip` came from the port of ENI `eni` (the userspace switch): it moves the
    /// HAVIP there if the rules allow (`actions::havip::garp_move`).
    Garp {
        /// The sender's ENI.
        eni: String,
        /// The address announced.
        vip: String,
        /// ARP request or reply.
        form: GarpForm,
    },
    /// OVN's virtual port of HAVIP `havip` is claimed by the port of ENI `parent` (`None`:
    /// by nobody); OVN has decided, so the holder is recorded as it says.
    Claimed {
        /// The HAVIP (its virtual port's name).
        havip: String,
        /// The ENI port named `virtual_parent`, if any.
        parent: Option<String>,
    },
}

/// What a learned binding did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GarpOutcome {
    /// The HAVIP now points at the sender (or already did).
    Moved,
    /// Refused, and why.
    Refused(String),
}

/// What [`Learner::learn_binding`] did with a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learning {
    /// One outcome per learned binding, in order.
    pub outcomes: Vec<GarpOutcome>,
    /// The changes recorded (0: nothing moved).
    pub changes: usize,
    /// The state's version afterwards.
    pub version: u64,
}

/// Where learned bindings go: the service.
pub trait Learner: Send + Sync + 'static {
    /// Records the bindings in `batch` (each judged on the state the ones before it make) in
    /// one soft commit.
    fn learn_binding(&self, batch: &[Learned]) -> Result<Learning, ApiError>;
}
