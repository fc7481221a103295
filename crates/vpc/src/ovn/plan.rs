//! From what the northbound database holds to what [`Desired`] calls for, in one transaction:
//! rows are matched by name among the rows havip owns (external id [`OWNER_KEY`]); a port that
//! differs is updated in place, a missing one inserted, one no longer wanted left out of its
//! switch or router (OVN then removes it: ports exist only while referenced); routers and
//! switches no longer wanted are deleted. A router's NAT rules are matched by external IP the
//! same way, and its static routes by router and prefix (external id `havip:route`). Equal
//! states give no operation at all.

use super::desired::{
    Acl, Desired, Nat, OWNER, OWNER_KEY, ROUTE_KEY, Router, RouterPort, StaticRoute, Switch,
    SwitchPort,
};
use crate::words::words;
use ovsdb::{Atom, Condition, Datum, Operation, Row};
use std::collections::{BTreeMap, BTreeSet};

words! {
    /// The northbound tables the plan reads and writes.
    Table {
        /// Routers (a VPC).
        LogicalRouter = "Logical_Router",
        /// Router ports.
        LogicalRouterPort = "Logical_Router_Port",
        /// Switches (a subnet, the public network).
        LogicalSwitch = "Logical_Switch",
        /// Switch ports (ENIs, HAVIPs' virtual ports, router and localnet ports).
        LogicalSwitchPort = "Logical_Switch_Port",
        /// NAT rules (EIPs).
        Nat = "NAT",
        /// ACLs.
        Acl = "ACL",
        /// Static routes (route tables' routes).
        StaticRoute = "Logical_Router_Static_Route",
    }
}

/// The tables the plan reads and writes, by name.
pub const TABLES: &[&str] = Table::WORDS;

/// A row havip owns, by UUID, with what its references point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned<T> {
    /// The row's UUID.
    pub uuid: String,
    /// Its contents as havip reads them.
    pub value: T,
}

/// A router as havip reads it: the UUIDs of its ports and NAT rules, its options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterRefs {
    /// `ports`.
    pub ports: BTreeSet<String>,
    /// `nat`.
    pub nat: BTreeSet<String>,
    /// `static_routes`.
    pub static_routes: BTreeSet<String>,
    /// `options`.
    pub options: BTreeMap<String, String>,
}

/// A switch as havip reads it: the UUIDs of its ports and ACLs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwitchRefs {
    /// `ports`.
    pub ports: BTreeSet<String>,
    /// `acls`.
    pub acls: BTreeSet<String>,
}

/// What the northbound database holds of havip's, by name (NAT rules by external IP, ACLs by
/// match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Current {
    /// Routers.
    pub routers: BTreeMap<String, Owned<RouterRefs>>,
    /// Router ports.
    pub router_ports: BTreeMap<String, Owned<RouterPort>>,
    /// Switches.
    pub switches: BTreeMap<String, Owned<SwitchRefs>>,
    /// Switch ports.
    pub switch_ports: BTreeMap<String, Owned<SwitchPort>>,
    /// NAT rules.
    pub nats: BTreeMap<String, Owned<Nat>>,
    /// ACLs.
    pub acls: BTreeMap<String, Owned<Acl>>,
    /// Static routes, by `ROUTER PREFIX`.
    pub static_routes: BTreeMap<String, Owned<StaticRoute>>,
}

/// Rows of [`TABLES`]: table -> UUID -> row (as a monitor's first answer gives them).
pub type Tables = BTreeMap<String, BTreeMap<String, Row>>;

fn strings(row: &Row, col: &str) -> Vec<String> {
    row.get(col)
        .map(|d| {
            d.atoms()
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn uuids(row: &Row, col: &str) -> BTreeSet<String> {
    row.get(col)
        .map(|d| {
            d.atoms()
                .iter()
                .filter_map(|a| a.as_uuid().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn string_map(row: &Row, col: &str) -> BTreeMap<String, String> {
    match row.get(col) {
        Some(Datum::Map(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn owned(row: &Row) -> bool {
    row.get("external_ids").and_then(|d| d.map_get(OWNER_KEY)) == Some(OWNER)
}

fn string(row: &Row, col: &str) -> String {
    row.get(col)
        .and_then(Datum::as_str)
        .unwrap_or_default()
        .to_string()
}

/// What a row of `table` is known by: its name, a NAT rule's external IP, an ACL's match, a
/// static route's key (in its external ids: prefixes repeat across routers).
fn key_of(table: Table, row: &Row) -> Option<String> {
    let column = match table {
        Table::Nat => "external_ip",
        Table::Acl => "match",
        Table::StaticRoute => {
            let key = row.get("external_ids").and_then(|d| d.map_get(ROUTE_KEY));
            return key.map(str::to_string);
        }
        Table::LogicalRouter
        | Table::LogicalRouterPort
        | Table::LogicalSwitch
        | Table::LogicalSwitchPort => "name",
    };
    row.get(column).and_then(Datum::as_str).map(str::to_string)
}

fn integer(row: &Row, col: &str) -> i64 {
    match row.get(col).and_then(|d| d.atoms().first()) {
        Some(Atom::Integer(i)) => *i,
        _ => 0,
    }
}

/// The rows of `table` havip owns, by [`key_column`], read by `read`.
fn owned_rows<T>(
    tables: &Tables,
    table: Table,
    read: impl Fn(&Row) -> T,
) -> BTreeMap<String, Owned<T>> {
    tables
        .get(table.as_str())
        .into_iter()
        .flatten()
        .filter(|(_, r)| owned(r))
        .map(|(uuid, r)| {
            let value = read(r);
            (
                key_of(table, r).unwrap_or_default(),
                Owned {
                    uuid: uuid.clone(),
                    value,
                },
            )
        })
        .collect()
}

impl Current {
    /// Reads the rows havip owns.
    pub fn from_tables(tables: &Tables) -> Current {
        Current {
            routers: owned_rows(tables, Table::LogicalRouter, |r| RouterRefs {
                ports: uuids(r, "ports"),
                nat: uuids(r, "nat"),
                static_routes: uuids(r, "static_routes"),
                options: string_map(r, "options"),
            }),
            static_routes: owned_rows(tables, Table::StaticRoute, |r| StaticRoute {
                key: key_of(Table::StaticRoute, r).unwrap_or_default(),
                ip_prefix: string(r, "ip_prefix"),
                nexthop: string(r, "nexthop"),
            }),
            nats: owned_rows(tables, Table::Nat, |r| Nat {
                external_ip: string(r, "external_ip"),
                logical_ip: string(r, "logical_ip"),
            }),
            switches: owned_rows(tables, Table::LogicalSwitch, |r| SwitchRefs {
                ports: uuids(r, "ports"),
                acls: uuids(r, "acls"),
            }),
            acls: owned_rows(tables, Table::Acl, |r| Acl {
                priority: integer(r, "priority"),
                direction: string(r, "direction"),
                matches: string(r, "match"),
                action: string(r, "action"),
            }),
            router_ports: owned_rows(tables, Table::LogicalRouterPort, |r| RouterPort {
                name: string(r, "name"),
                mac: string(r, "mac"),
                networks: strings(r, "networks"),
            }),
            switch_ports: owned_rows(tables, Table::LogicalSwitchPort, |r| SwitchPort {
                name: string(r, "name"),
                kind: string(r, "type"),
                addresses: strings(r, "addresses"),
                port_security: strings(r, "port_security"),
                options: string_map(r, "options"),
            }),
        }
    }
}

fn owner() -> Datum {
    Datum::string_map([(OWNER_KEY, OWNER)])
}

fn router_port_row(p: &RouterPort) -> Row {
    Row::from([
        ("name".into(), Datum::string(&p.name)),
        ("mac".into(), Datum::string(&p.mac)),
        (
            "networks".into(),
            Datum::strings(p.networks.iter().cloned()),
        ),
        ("external_ids".into(), owner()),
    ])
}

fn nat_row(n: &Nat) -> Row {
    Row::from([
        ("type".into(), Datum::string("dnat_and_snat")),
        ("external_ip".into(), Datum::string(&n.external_ip)),
        ("logical_ip".into(), Datum::string(&n.logical_ip)),
        ("external_ids".into(), owner()),
    ])
}

fn static_route_row(r: &StaticRoute) -> Row {
    Row::from([
        ("ip_prefix".into(), Datum::string(&r.ip_prefix)),
        ("nexthop".into(), Datum::string(&r.nexthop)),
        (
            "external_ids".into(),
            Datum::string_map([(OWNER_KEY, OWNER), (ROUTE_KEY, r.key.as_str())]),
        ),
    ])
}

fn acl_row(a: &Acl) -> Row {
    Row::from([
        ("priority".into(), Datum::atom(Atom::Integer(a.priority))),
        ("direction".into(), Datum::string(&a.direction)),
        ("match".into(), Datum::string(&a.matches)),
        ("action".into(), Datum::string(&a.action)),
        ("external_ids".into(), owner()),
    ])
}

fn switch_port_row(p: &SwitchPort) -> Row {
    Row::from([
        ("name".into(), Datum::string(&p.name)),
        ("type".into(), Datum::string(&p.kind)),
        (
            "addresses".into(),
            Datum::strings(p.addresses.iter().cloned()),
        ),
        (
            "port_security".into(),
            Datum::strings(p.port_security.iter().cloned()),
        ),
        ("options".into(), Datum::string_map(p.options.clone())),
        ("external_ids".into(), owner()),
    ])
}

/// Builds the operations; names rows inserted in the transaction `rowN`.
#[derive(Default)]
struct Planner {
    ops: Vec<Operation>,
    inserted: usize,
}

impl Planner {
    fn insert(&mut self, table: Table, row: Row) -> Atom {
        let name = format!("row{}", self.inserted);
        self.inserted += 1;
        self.ops.push(Operation::Insert {
            table: table.as_str().into(),
            row,
            uuid_name: Some(name.clone()),
        });
        Atom::NamedUuid(name)
    }

    fn update(&mut self, table: Table, uuid: &str, row: Row) {
        self.ops.push(Operation::Update {
            table: table.as_str().into(),
            conditions: vec![Condition::uuid(uuid)],
            row,
        });
    }

    /// The references to `wanted` rows (ports, NAT rules): existing ones (updated if they
    /// differ) and inserted ones. `None` when the set is exactly `had`, unchanged.
    fn members<T: PartialEq>(
        &mut self,
        table: Table,
        wanted: &BTreeMap<String, T>,
        current: &BTreeMap<String, Owned<T>>,
        had: Option<&BTreeSet<String>>,
        row: impl Fn(&T) -> Row,
    ) -> Option<Datum> {
        let mut refs = Vec::new();
        let mut same = true;
        for (name, port) in wanted {
            match current.get(name) {
                Some(c) => {
                    if c.value != *port {
                        self.update(table, &c.uuid, row(port));
                    }
                    same &= had.is_some_and(|h| h.contains(&c.uuid));
                    refs.push(Atom::Uuid(c.uuid.clone()));
                }
                None => {
                    same = false;
                    refs.push(self.insert(table, row(port)));
                }
            }
        }
        same &= had.is_some_and(|h| h.len() == refs.len());
        (!same).then_some(Datum::Set(refs))
    }

    /// A router: inserted, or its ports, NAT rules and options updated where they changed.
    fn router(&mut self, r: &Router, current: &Current) {
        let existing = current.routers.get(&r.name);
        let ports = self.members(
            Table::LogicalRouterPort,
            &r.ports,
            &current.router_ports,
            existing.map(|e| &e.value.ports),
            router_port_row,
        );
        let nat = self.members(
            Table::Nat,
            &r.nat,
            &current.nats,
            existing.map(|e| &e.value.nat),
            nat_row,
        );
        let static_routes = self.members(
            Table::StaticRoute,
            &r.static_routes,
            &current.static_routes,
            existing.map(|e| &e.value.static_routes),
            static_route_row,
        );
        let options = (existing.map(|e| &e.value.options) != Some(&r.options))
            .then(|| Datum::string_map(r.options.clone()));
        let columns = [
            ("ports", ports),
            ("nat", nat),
            ("static_routes", static_routes),
            ("options", options),
        ];
        let mut row: Row = columns
            .into_iter()
            .filter_map(|(col, d)| Some((col.to_string(), d?)))
            .collect();
        match existing {
            Some(_) if row.is_empty() => {}
            Some(e) => self.update(Table::LogicalRouter, &e.uuid, row),
            None => {
                row.insert("name".into(), Datum::string(&r.name));
                row.insert("external_ids".into(), owner());
                self.insert(Table::LogicalRouter, row);
            }
        }
    }

    /// A switch: inserted, or its ports and ACLs updated where they changed.
    fn switch(&mut self, sw: &Switch, current: &Current) {
        let existing = current.switches.get(&sw.name);
        let ports = self.members(
            Table::LogicalSwitchPort,
            &sw.ports,
            &current.switch_ports,
            existing.map(|e| &e.value.ports),
            switch_port_row,
        );
        let acls = self.members(
            Table::Acl,
            &sw.acls,
            &current.acls,
            existing.map(|e| &e.value.acls),
            acl_row,
        );
        let mut row: Row = [("ports", ports), ("acls", acls)]
            .into_iter()
            .filter_map(|(col, d)| Some((col.to_string(), d?)))
            .collect();
        match existing {
            Some(_) if row.is_empty() => {}
            Some(e) => self.update(Table::LogicalSwitch, &e.uuid, row),
            None => {
                row.insert("name".into(), Datum::string(&sw.name));
                row.insert("external_ids".into(), owner());
                self.insert(Table::LogicalSwitch, row);
            }
        }
    }
}

/// The operations that turn `current` into `desired` (none when they are equal).
pub fn plan(desired: &Desired, current: &Current) -> Vec<Operation> {
    let mut p = Planner::default();
    for r in desired.routers.values() {
        p.router(r, current);
    }
    for sw in desired.switches.values() {
        p.switch(sw, current);
    }
    let routers_gone = current
        .routers
        .iter()
        .filter(|(n, _)| !desired.routers.contains_key(*n))
        .map(|(_, r)| (Table::LogicalRouter, &r.uuid));
    let switches_gone = current
        .switches
        .iter()
        .filter(|(n, _)| !desired.switches.contains_key(*n))
        .map(|(_, r)| (Table::LogicalSwitch, &r.uuid));
    for (table, uuid) in routers_gone.chain(switches_gone) {
        p.ops.push(Operation::Delete {
            table: table.as_str().into(),
            conditions: vec![Condition::uuid(uuid)],
        });
    }
    p.ops
}

/// The rows havip owns once `ops` (planned from `before` to `desired`) have committed with
/// `results`: what `desired` says, each row with its UUID (kept, or the one its insert got).
/// `None` if a row's UUID cannot be told (then read the database again).
pub fn after(
    desired: &Desired,
    before: &Current,
    ops: &[Operation],
    results: &[serde_json::Value],
) -> Option<Current> {
    let mut got = Inserted::default();
    for (op, result) in ops.iter().zip(results) {
        if let Operation::Insert { table, row, .. } = op {
            let table = Table::from_word(table)?;
            let name = key_of(table, row)?;
            let uuid = result["uuid"][1].as_str()?.to_string();
            got.0.insert((table, name), uuid);
        }
    }
    let mut c = Current::default();
    for (name, r) in &desired.routers {
        router_after(&mut c, before, &got, name, r)?;
    }
    for (name, s) in &desired.switches {
        switch_after(&mut c, before, &got, name, s)?;
    }
    Some(c)
}

/// The UUIDs a transaction's inserts got, by (table, key).
#[derive(Default)]
struct Inserted(BTreeMap<(Table, String), String>);

impl Inserted {
    /// The UUID of `table`'s row `name`: `known` (it was there before), else the one its
    /// insert got.
    fn uuid(&self, table: Table, name: &str, known: Option<&Owned<impl Sized>>) -> Option<String> {
        known
            .map(|o| o.uuid.clone())
            .or_else(|| self.0.get(&(table, name.to_string())).cloned())
    }
}

/// Records in `c` router `name` as `r` wants it, with its ports and NAT rules.
fn router_after(
    c: &mut Current,
    before: &Current,
    got: &Inserted,
    name: &str,
    r: &Router,
) -> Option<()> {
    let mut ports = BTreeSet::new();
    for (pname, port) in &r.ports {
        let u = got.uuid(
            Table::LogicalRouterPort,
            pname,
            before.router_ports.get(pname),
        )?;
        ports.insert(u.clone());
        let value = port.clone();
        c.router_ports
            .insert(pname.clone(), Owned { uuid: u, value });
    }
    let mut nat = BTreeSet::new();
    for (ip, rule) in &r.nat {
        let u = got.uuid(Table::Nat, ip, before.nats.get(ip))?;
        nat.insert(u.clone());
        let value = rule.clone();
        c.nats.insert(ip.clone(), Owned { uuid: u, value });
    }
    let mut static_routes = BTreeSet::new();
    for (key, route) in &r.static_routes {
        let u = got.uuid(Table::StaticRoute, key, before.static_routes.get(key))?;
        static_routes.insert(u.clone());
        let value = route.clone();
        c.static_routes
            .insert(key.clone(), Owned { uuid: u, value });
    }
    let uuid = got.uuid(Table::LogicalRouter, name, before.routers.get(name))?;
    let options = r.options.clone();
    let value = RouterRefs {
        ports,
        nat,
        static_routes,
        options,
    };
    c.routers.insert(name.to_string(), Owned { uuid, value });
    Some(())
}

/// Records in `c` switch `name` as `s` wants it, with its ports and ACLs.
fn switch_after(
    c: &mut Current,
    before: &Current,
    got: &Inserted,
    name: &str,
    s: &Switch,
) -> Option<()> {
    let mut ports = BTreeSet::new();
    for (pname, port) in &s.ports {
        let u = got.uuid(
            Table::LogicalSwitchPort,
            pname,
            before.switch_ports.get(pname),
        )?;
        ports.insert(u.clone());
        let value = port.clone();
        c.switch_ports
            .insert(pname.clone(), Owned { uuid: u, value });
    }
    let mut acls = BTreeSet::new();
    for (m, acl) in &s.acls {
        let u = got.uuid(Table::Acl, m, before.acls.get(m))?;
        acls.insert(u.clone());
        let value = acl.clone();
        c.acls.insert(m.clone(), Owned { uuid: u, value });
    }
    let uuid = got.uuid(Table::LogicalSwitch, name, before.switches.get(name))?;
    let value = SwitchRefs { ports, acls };
    c.switches.insert(name.to_string(), Owned { uuid, value });
    Some(())
}
