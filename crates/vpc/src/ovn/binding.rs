//! Who holds a HAVIP, as OVN says it: the southbound `Port_Binding` of the HAVIP's virtual
//! port names, in `virtual_parent`, the ENI port that claimed it with a GARP (ovn-controller
//! on that ENI's chassis writes it). [`learned`] turns a binding row into the binding the
//! service learns ([`Learned::Claimed`]); the API reports no binding OVN does not have, so a
//! virtual port without a parent is a HAVIP held by nobody.

use crate::actions::learn::claimed;
use crate::backend::Learned;
use crate::cloud::{Change, Cloud};
use ovsdb::{Datum, Row};

/// The columns of `Port_Binding` [`learned`] reads.
pub const COLUMNS: [&str; 3] = ["logical_port", "type", "virtual_parent"];

/// The binding a southbound `Port_Binding` row tells: none unless it is a virtual port.
pub fn learned(row: &Row) -> Option<Learned> {
    let text = |col: &str| row.get(col).and_then(Datum::as_str).unwrap_or_default();
    if text("type") != "virtual" {
        return None;
    }
    let parent = text("virtual_parent");
    Some(Learned::Claimed {
        havip: text("logical_port").to_string(),
        parent: (!parent.is_empty()).then(|| parent.to_string()),
    })
}

/// The changes a southbound `Port_Binding` row calls for: none unless it is the virtual port
/// of a HAVIP whose holder differs from the one recorded.
pub fn follow(cloud: &Cloud, row: &Row) -> Vec<Change> {
    match learned(row) {
        Some(Learned::Claimed { havip, parent }) => claimed(cloud, &havip, parent.as_deref()),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn cloud() -> Cloud {
        let mut c = Cloud::default();
        let eni = NetworkInterface {
            network_interface_id: "eni-a".into(),
            subnet_id: "subnet-1".into(),
            attachment: Some(Attachment {
                instance_id: "ins-a".into(),
            }),
            ..Default::default()
        };
        let h = HaVip {
            ha_vip_id: "havip-1".into(),
            vip: "10.0.1.100".into(),
            subnet_id: "subnet-1".into(),
            ..Default::default()
        };
        c.apply(&[Change::Eni(eni), Change::HaVip(h)]);
        c
    }

    fn row(port: &str, kind: &str, parent: &str) -> Row {
        Row::from([
            ("logical_port".into(), Datum::string(port)),
            ("type".into(), Datum::string(kind)),
            (
                "virtual_parent".into(),
                Datum::strings([parent].into_iter().filter(|p| !p.is_empty())),
            ),
        ])
    }

    fn holder(changes: &[Change]) -> Option<(String, String)> {
        changes.iter().find_map(|c| match c {
            Change::HaVip(h) => Some((h.network_interface_id.clone(), h.instance_id.clone())),
            _ => None,
        })
    }

    #[test]
    fn a_claimed_virtual_port_binds_its_havip_to_the_parent_eni() {
        let mut c = cloud();
        let claimed = follow(&c, &row("havip-1", "virtual", "eni-a"));
        assert_eq!(holder(&claimed), Some(("eni-a".into(), "ins-a".into())));
        assert!(
            claimed
                .iter()
                .any(|x| matches!(x, Change::History(e) if e.reason.contains("eni-a")))
        );
        c.apply(&claimed);
        assert!(
            follow(&c, &row("havip-1", "virtual", "eni-a")).is_empty(),
            "already recorded"
        );
        let released = follow(&c, &row("havip-1", "virtual", ""));
        assert_eq!(holder(&released), Some((String::new(), String::new())));
    }

    #[test]
    fn other_ports_and_unknown_parents_change_nothing() {
        let c = cloud();
        assert!(follow(&c, &row("eni-a", "", "")).is_empty());
        assert!(follow(&c, &row("havip-9", "virtual", "eni-a")).is_empty());
        assert!(follow(&c, &row("havip-1", "virtual", "lsp-foreign")).is_empty());
    }
}
