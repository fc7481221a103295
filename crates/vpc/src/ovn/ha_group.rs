//! The HA chassis groups havip owns, as the northbound database holds them: a group row
//! (`HA_Chassis_Group`, a root row, deleted by the plan when no longer wanted) and its
//! `HA_Chassis` rows (chassis name and priority; referenced by the group only, so OVSDB removes
//! them with it or when the group stops naming them).

use super::desired::{OWNER, OWNER_KEY, owned};
use ovsdb::{Atom, Datum, Row};
use std::collections::BTreeMap;

/// Rows of one table by UUID.
pub type Rows = BTreeMap<String, Row>;

/// The chassis (name -> priority) group row `row` references, read from `rows` (the
/// `HA_Chassis` table).
pub fn chassis_of(rows: Option<&Rows>, row: &Row) -> BTreeMap<String, i64> {
    row.get("ha_chassis")
        .map(Datum::atoms)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| rows?.get(a.as_uuid()?))
        .map(|c| {
            let name = c.get("chassis_name").and_then(Datum::as_str);
            let priority = match c.get("priority").and_then(|d| d.atoms().first()) {
                Some(Atom::Integer(p)) => *p,
                _ => 0,
            };
            (name.unwrap_or_default().to_string(), priority)
        })
        .collect()
}

/// The names of the groups havip owns among `groups` (the `HA_Chassis_Group` table), by UUID
/// (what a gateway port's `ha_chassis_group` reads as).
pub fn names(groups: Option<&Rows>) -> BTreeMap<String, String> {
    groups
        .into_iter()
        .flatten()
        .filter(|(_, r)| owned(r))
        .filter_map(|(u, r)| Some((u.clone(), r.get("name")?.as_str()?.to_string())))
        .collect()
}

/// An `HA_Chassis` row.
pub fn chassis_row(chassis: &str, priority: i64) -> Row {
    Row::from([
        ("chassis_name".into(), Datum::string(chassis)),
        ("priority".into(), Datum::atom(Atom::Integer(priority))),
        (
            "external_ids".into(),
            Datum::string_map([(OWNER_KEY, OWNER)]),
        ),
    ])
}
