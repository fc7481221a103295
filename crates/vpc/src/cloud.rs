//! The VPC's state in memory, and the changes that move it. An action computes its changes
//! without touching the state; the server writes them to the store in one transaction and only
//! then applies them here, so a failed write leaves nothing half-applied.

use crate::model::{Address, BindingEvent, HaVip, NetworkInterface, Subnet, Task, Vpc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Binding moves kept (the newest); older ones are forgotten, in memory and in the store.
pub const HISTORY_KEPT: usize = 10_000;
/// Task results kept (the newest).
pub const TASKS_KEPT: usize = 10_000;
/// ClientTokens remembered for idempotent creation (the newest).
pub const TOKENS_KEPT: usize = 10_000;

/// Limits.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Quotas {
    /// HAVIPs per VPC.
    pub havips_per_vpc: usize,
    /// HAVIPs an ENI may hold at once (the seeds: 5).
    pub havips_per_eni: usize,
    /// Requests a second one SecretId may make of one action (the cloud: 20); 0: no limit.
    pub requests_per_second: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            havips_per_vpc: 10,
            havips_per_eni: 5,
            requests_per_second: crate::limits::REQUESTS_PER_SECOND,
        }
    }
}

/// One change to the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Create or replace a VPC.
    Vpc(Vpc),
    /// Create or replace a subnet.
    Subnet(Subnet),
    /// Create or replace an ENI.
    Eni(NetworkInterface),
    /// Create or replace an EIP.
    Address(Address),
    /// Create or replace a HAVIP.
    HaVip(HaVip),
    /// Create or replace a route table.
    RouteTable(crate::route_table::RouteTable),
    /// Delete a HAVIP.
    DeleteHaVip(String),
    /// Remember a ClientToken's HAVIP.
    Token {
        /// The token.
        token: String,
        /// The HAVIP it created.
        id: String,
    },
    /// Record a task.
    Task(Task),
    /// Record a binding move.
    History(BindingEvent),
    /// Record the account (AppId) a new resource belongs to.
    Owner {
        /// The resource's id.
        id: String,
        /// Its account.
        account: String,
    },
}

/// Everything the VPC knows.
#[derive(Clone, Debug, Default)]
pub struct Cloud {
    /// VPCs by id.
    pub vpcs: BTreeMap<String, Vpc>,
    /// Subnets by id.
    pub subnets: BTreeMap<String, Subnet>,
    /// ENIs by id.
    pub enis: BTreeMap<String, NetworkInterface>,
    /// EIPs by id.
    pub addresses: BTreeMap<String, Address>,
    /// HAVIPs by id.
    pub havips: BTreeMap<String, HaVip>,
    /// Route tables by id.
    pub route_tables: BTreeMap<String, crate::route_table::RouteTable>,
    /// ClientToken -> HaVipId (the newest [`TOKENS_KEPT`]).
    pub tokens: BTreeMap<String, String>,
    /// Tasks by id (the newest [`TASKS_KEPT`]).
    pub tasks: BTreeMap<String, Task>,
    /// Binding moves, oldest first (the newest [`HISTORY_KEPT`]).
    pub history: VecDeque<BindingEvent>,
    /// Tokens and tasks in the order they came, to forget the oldest.
    token_order: VecDeque<String>,
    task_order: VecDeque<String>,
    /// Limits.
    pub quotas: Quotas,
    /// (subnet, VIP) -> HaVipId, kept by `apply`.
    vip_index: BTreeMap<(String, String), String>,
    /// (VPC, private address) -> NetworkInterfaceId, kept by `apply`.
    eni_ip_index: BTreeMap<(String, String), String>,
    /// Resource id -> account (AppId); a resource without one is the default account's
    /// (`accounts.rs`).
    pub owners: BTreeMap<String, String>,
    /// Resources recorded in `owners`, by account, kept by `apply`.
    pub(crate) owner_counts: BTreeMap<String, usize>,
    /// In an account's view: the public addresses other accounts hold (not to be allocated).
    pub foreign_addresses: std::collections::BTreeSet<String>,
}

impl Cloud {
    /// Applies changes (already stored).
    pub fn apply(&mut self, changes: &[Change]) {
        for c in changes {
            match c.clone() {
                Change::Vpc(v) => {
                    self.vpcs.insert(v.vpc_id.clone(), v);
                }
                Change::Subnet(s) => {
                    self.subnets.insert(s.subnet_id.clone(), s);
                }
                Change::Eni(e) => {
                    if let Some(old) = self.enis.get(&e.network_interface_id) {
                        for ip in &old.private_ip_address_set {
                            self.eni_ip_index
                                .remove(&(old.vpc_id.clone(), ip.private_ip_address.clone()));
                        }
                    }
                    for ip in &e.private_ip_address_set {
                        self.eni_ip_index.insert(
                            (e.vpc_id.clone(), ip.private_ip_address.clone()),
                            e.network_interface_id.clone(),
                        );
                    }
                    self.enis.insert(e.network_interface_id.clone(), e);
                }
                Change::Address(a) => {
                    self.addresses.insert(a.address_id.clone(), a);
                }
                Change::HaVip(h) => {
                    self.vip_index
                        .insert((h.subnet_id.clone(), h.vip.clone()), h.ha_vip_id.clone());
                    self.havips.insert(h.ha_vip_id.clone(), h);
                }
                Change::RouteTable(t) => {
                    self.route_tables.insert(t.route_table_id.clone(), t);
                }
                Change::DeleteHaVip(id) => {
                    if let Some(h) = self.havips.remove(&id) {
                        self.vip_index.remove(&(h.subnet_id, h.vip));
                    }
                    self.disown(&id);
                }
                Change::Owner { id, account } => self.own(id, account),
                Change::Token { token, id } => {
                    if self.tokens.insert(token.clone(), id).is_none() {
                        self.token_order.push_back(token);
                    }
                    forget_oldest(&mut self.token_order, &mut self.tokens, TOKENS_KEPT);
                }
                Change::Task(t) => {
                    let id = t.task_id.clone();
                    if self.tasks.insert(id.clone(), t).is_none() {
                        self.task_order.push_back(id);
                    }
                    forget_oldest(&mut self.task_order, &mut self.tasks, TASKS_KEPT);
                }
                Change::History(e) => {
                    self.history.push_back(e);
                    if self.history.len() > HISTORY_KEPT {
                        self.history.pop_front();
                    }
                }
            }
        }
    }

    /// The ENI of VPC `vpc` that has `ip` as one of its private addresses (addresses are
    /// unique per VPC: another VPC may use the same one).
    pub fn eni_with_ip(&self, vpc: &str, ip: &str) -> Option<&NetworkInterface> {
        self.eni_ip_index
            .get(&(vpc.to_string(), ip.to_string()))
            .and_then(|id| self.enis.get(id))
    }

    /// The HAVIP with this address in this subnet.
    pub fn havip_with_vip(&self, subnet: &str, ip: &str) -> Option<&HaVip> {
        self.vip_index
            .get(&(subnet.to_string(), ip.to_string()))
            .and_then(|id| self.havips.get(id))
    }
}

/// Drops the oldest keys of `map` (in `order`) beyond `kept`.
fn forget_oldest<V>(order: &mut VecDeque<String>, map: &mut BTreeMap<String, V>, kept: usize) {
    while order.len() > kept {
        if let Some(old) = order.pop_front() {
            map.remove(&old);
        }
    }
}

/// Now in Unix seconds.
pub fn unix_now() -> f64 {
    hostsys::clock::unix_secs()
}

/// Now as the cloud prints times: `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn now_string() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_tasks_and_tokens_keep_only_the_newest() {
        let mut c = Cloud::default();
        let n = HISTORY_KEPT.max(TASKS_KEPT).max(TOKENS_KEPT) + 5;
        let mut changes = Vec::new();
        for k in 0..n {
            changes.push(Change::History(BindingEvent {
                reason: k.to_string(),
                ..BindingEvent::default()
            }));
            changes.push(Change::Task(Task {
                task_id: k.to_string(),
                ..Task::default()
            }));
            changes.push(Change::Token {
                token: k.to_string(),
                id: String::new(),
            });
        }
        c.apply(&changes);
        assert_eq!(c.history.len(), HISTORY_KEPT);
        assert_eq!(c.tasks.len(), TASKS_KEPT);
        assert_eq!(c.tokens.len(), TOKENS_KEPT);
        let newest = (n - 1).to_string();
        assert_eq!(
            c.history.back().map(|e| e.reason.as_str()),
            Some(newest.as_str())
        );
        assert!(c.tasks.contains_key(&newest) && c.tokens.contains_key(&newest));
        assert!(!c.tasks.contains_key("0") && !c.tokens.contains_key("0"));
        // A task updated in place keeps its place.
        c.apply(&[Change::Task(Task {
            task_id: newest.clone(),
            ..Task::default()
        })]);
        assert_eq!(c.tasks.len(), TASKS_KEPT);
    }
}
