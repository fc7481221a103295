//! Accounts: each API key belongs to one account (the cloud's AppId), and every VPC, subnet,
//! ENI, EIP and HAVIP to the account whose key created it. An action runs on its account's view
//! of the state ([`Cloud::view`]): another account's resources are absent there, so a read or a
//! write of one answers `ResourceNotFound` as the cloud does, Describe lists only the
//! account's own, and quotas count only them. Resources from before accounts (no owner
//! recorded) and keys without an account are the default account's.

use crate::cloud::{Change, Cloud};
use std::borrow::Cow;

/// The account of keys and resources that name none.
pub const DEFAULT_ACCOUNT: &str = "1250000000";

impl Cloud {
    /// The account resource `id` belongs to.
    pub fn owner_of(&self, id: &str) -> &str {
        self.owners.get(id).map_or(DEFAULT_ACCOUNT, String::as_str)
    }

    pub(crate) fn own(&mut self, id: String, account: String) {
        self.disown(&id);
        *self.owner_counts.entry(account.clone()).or_default() += 1;
        self.owners.insert(id, account);
    }

    pub(crate) fn disown(&mut self, id: &str) {
        if let Some(old) = self.owners.remove(id)
            && let Some(n) = self.owner_counts.get_mut(&old)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.owner_counts.remove(&old);
            }
        }
    }

    /// Whether every resource is `account`'s (then its view is the whole state).
    fn owned_entirely_by(&self, account: &str) -> bool {
        let total = self.vpcs.len()
            + self.subnets.len()
            + self.enis.len()
            + self.addresses.len()
            + self.havips.len()
            + self.route_tables.len();
        let recorded = self.owners.len();
        let mine = self.owner_counts.get(account).copied().unwrap_or(0);
        mine == recorded && (recorded >= total || account == DEFAULT_ACCOUNT)
    }

    /// What `account` sees: its own resources, the HAVIP history and ClientTokens of its own
    /// HAVIPs and EIPs, every task (task ids are random and name no resource), the quotas;
    /// and, for allocation only, the public addresses other accounts hold.
    pub fn view(&self, account: &str) -> Cow<'_, Cloud> {
        if self.owned_entirely_by(account) {
            return Cow::Borrowed(self);
        }
        let mine = |id: &str| self.owner_of(id) == account;
        let mut changes = self.resources_of(account);
        changes.extend(self.tasks.values().cloned().map(Change::Task));
        changes.extend(
            self.tokens
                .iter()
                .filter(|(_, ids)| {
                    ids.split(',')
                        .next()
                        .is_some_and(|id| self.exists(id) && mine(id))
                })
                .map(|(token, id)| Change::Token {
                    token: token.clone(),
                    id: id.clone(),
                }),
        );
        changes.extend(
            self.history
                .iter()
                .filter(|e| mine(&e.ha_vip_id))
                .cloned()
                .map(Change::History),
        );
        changes.extend(
            self.owners
                .iter()
                .filter(|(_, a)| *a == account)
                .map(|(id, a)| Change::Owner {
                    id: id.clone(),
                    account: a.clone(),
                }),
        );
        let mut view = Cloud::default();
        view.quotas = self.quotas;
        view.apply(&changes);
        view.foreign_addresses = self
            .addresses
            .values()
            .filter(|a| !mine(&a.address_id))
            .map(|a| a.address_ip.clone())
            .collect();
        Cow::Owned(view)
    }

    /// `account`'s VPCs, subnets, ENIs, EIPs and HAVIPs, as the changes that create them.
    fn resources_of(&self, account: &str) -> Vec<Change> {
        let mine = |id: &str| self.owner_of(id) == account;
        let vpcs = self.vpcs.values().filter(|v| mine(&v.vpc_id));
        let subnets = self.subnets.values().filter(|s| mine(&s.subnet_id));
        let enis = self.enis.values().filter(|e| mine(&e.network_interface_id));
        let addresses = self.addresses.values().filter(|a| mine(&a.address_id));
        let havips = self.havips.values().filter(|h| mine(&h.ha_vip_id));
        let tables = self
            .route_tables
            .values()
            .filter(|t| mine(&t.route_table_id));
        (vpcs.cloned().map(Change::Vpc))
            .chain(subnets.cloned().map(Change::Subnet))
            .chain(enis.cloned().map(Change::Eni))
            .chain(addresses.cloned().map(Change::Address))
            .chain(havips.cloned().map(Change::HaVip))
            .chain(tables.cloned().map(Change::RouteTable))
            .collect()
    }

    /// Whether a resource with this id exists (any kind, any account).
    pub fn exists(&self, id: &str) -> bool {
        self.vpcs.contains_key(id)
            || self.subnets.contains_key(id)
            || self.enis.contains_key(id)
            || self.addresses.contains_key(id)
            || self.havips.contains_key(id)
            || self.route_tables.contains_key(id)
    }
}

/// The id of the resource a change creates or replaces, if it is one accounts own.
pub fn resource_id(c: &Change) -> Option<&str> {
    match c {
        Change::Vpc(v) => Some(&v.vpc_id),
        Change::Subnet(s) => Some(&s.subnet_id),
        Change::Eni(e) => Some(&e.network_interface_id),
        Change::Address(a) => Some(&a.address_id),
        Change::HaVip(h) => Some(&h.ha_vip_id),
        Change::RouteTable(t) => Some(&t.route_table_id),
        _ => None,
    }
}

/// `changes` computed on `account`'s view, checked against the whole state and completed
/// with the owner of each new resource. An id another account holds (a random id drawn twice)
/// is refused rather than overwritten.
pub fn owned_changes(
    cloud: &Cloud,
    account: &str,
    mut changes: Vec<Change>,
) -> Result<Vec<Change>, String> {
    let mut owners = Vec::new();
    for c in &changes {
        let Some(id) = resource_id(c) else { continue };
        if !cloud.exists(id) {
            owners.push(Change::Owner {
                id: id.to_string(),
                account: account.to_string(),
            });
        } else if cloud.owner_of(id) != account {
            return Err(format!("the id {id} is another account's; retry"));
        }
    }
    changes.extend(owners);
    Ok(changes)
}
