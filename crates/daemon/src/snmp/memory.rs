//! What the subagent remembers of the instances across requests and sessions: why each last
//! became master (VRRPV3-MIB's newMasterReason), and the TTL errors already reported (its
//! protoError notification and protoErrReason).

use super::snapshot::master_reason;
use agentx::rows::InstanceRow;
use ctl::EventRecord;
use std::collections::HashMap;

/// `vrrpv3StatisticsProtoErrReason`: ipTtlError.
pub const IP_TTL_ERROR: u8 = 1;

/// The subagent's memory of the instances.
#[derive(Default)]
pub struct Memory {
    master_reasons: HashMap<String, u8>,
    ttl_errors: HashMap<String, u64>,
    proto_reasons: HashMap<String, u8>,
}

impl Memory {
    /// Notes why an instance became master.
    pub fn transition(&mut self, record: &EventRecord) {
        if record.to == "MASTER" {
            self.master_reasons
                .insert(record.instance.clone(), master_reason(&record.reason));
        }
    }

    /// Fills the rows' remembered fields.
    pub fn annotate(&self, rows: &mut [InstanceRow]) {
        for r in rows {
            r.master_reason = self.master_reasons.get(&r.name).copied().unwrap_or(0);
            r.proto_err_reason = self.proto_reasons.get(&r.name).copied().unwrap_or(0);
        }
    }

    /// The instances whose TTL errors grew since last seen (the first sight is the baseline).
    pub fn new_ttl_errors(&mut self, rows: &[InstanceRow]) -> Vec<String> {
        let mut grew = Vec::new();
        for r in rows {
            let now = r.counter("ip_ttl_err");
            let before = self.ttl_errors.insert(r.name.clone(), now);
            if before.is_some_and(|b| now > b) {
                self.proto_reasons.insert(r.name.clone(), IP_TTL_ERROR);
                grew.push(r.name.clone());
            }
        }
        grew
    }
}
