//! The route a subnet's packet takes: a VPC's main table serves every subnet not associated
//! with another; its enabled routes are matched longest prefix first. And the main tables
//! every VPC has (created with it; added at start to a store from before route tables).

use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud};
use crate::route_table::{GatewayType, Route, RouteTable, RouteTableAssociation};
use std::net::Ipv4Addr;

/// The name the cloud gives a VPC's main table.
pub const MAIN_TABLE_NAME: &str = "default";

/// A new VPC's main table (the cloud creates one with every VPC).
pub fn main_table(vpc: &str) -> RouteTable {
    RouteTable {
        vpc_id: vpc.to_string(),
        route_table_id: crate::ids::new_id("rtb"),
        route_table_name: MAIN_TABLE_NAME.to_string(),
        main: true,
        created_time: crate::cloud::now_string(),
        ..RouteTable::default()
    }
}

/// The main tables missing from a store written before route tables, with their VPCs'
/// owners: every VPC has one.
pub fn missing_main_tables(cloud: &Cloud) -> Vec<Change> {
    let mut out = Vec::new();
    for v in cloud.vpcs.values() {
        if cloud
            .route_tables
            .values()
            .any(|t| t.vpc_id == v.vpc_id && t.main)
        {
            continue;
        }
        let t = main_table(&v.vpc_id);
        if let Some(account) = cloud.owners.get(&v.vpc_id) {
            out.push(Change::Owner {
                id: t.route_table_id.clone(),
                account: account.clone(),
            });
        }
        out.push(Change::RouteTable(t));
    }
    out
}

/// `t` as the API shows it: the main table lists every subnet of its VPC that no other table
/// serves (the cloud associates each new subnet with it).
pub fn shown(cloud: &Cloud, t: &RouteTable, with_routes: bool) -> RouteTable {
    let mut t = t.clone();
    if t.main {
        let elsewhere = |s: &str| {
            cloud.route_tables.values().any(|o| {
                !o.main
                    && o.vpc_id == t.vpc_id
                    && o.association_set.iter().any(|a| a.subnet_id == s)
            })
        };
        t.association_set = cloud
            .subnets
            .values()
            .filter(|s| s.vpc_id == t.vpc_id && !elsewhere(&s.subnet_id))
            .map(|s| RouteTableAssociation {
                subnet_id: s.subnet_id.clone(),
                route_table_id: t.route_table_id.clone(),
            })
            .collect();
    }
    if !with_routes {
        t.route_set.clear();
    }
    t
}

/// The table that serves `subnet` of `vpc`: the one it is associated with, else the VPC's main.
pub fn table_of<'c>(cloud: &'c Cloud, vpc: &str, subnet: &str) -> Option<&'c RouteTable> {
    let tables = || cloud.route_tables.values().filter(move |t| t.vpc_id == vpc);
    tables()
        .find(|t| t.association_set.iter().any(|a| a.subnet_id == subnet))
        .or_else(|| tables().find(|t| t.main))
}

/// The enabled route of `subnet`'s table with the longest prefix covering `dst`.
pub fn route_for<'c>(
    cloud: &'c Cloud,
    vpc: &str,
    subnet: &str,
    dst: Ipv4Addr,
) -> Option<&'c Route> {
    table_of(cloud, vpc, subnet)?
        .route_set
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| Some((Cidr::parse(&r.destination_cidr_block).ok()?, r)))
        .filter(|(c, _)| c.contains(dst))
        .max_by_key(|(c, _)| c.len)
        .map(|(_, r)| r)
}

/// The routes (with their tables' ids) whose next hop is the HAVIP `havip`.
pub fn routes_via<'c>(
    cloud: &'c Cloud,
    havip: &'c str,
) -> impl Iterator<Item = (&'c str, &'c Route)> {
    cloud.route_tables.values().flat_map(move |t| {
        t.route_set
            .iter()
            .filter(move |r| r.gateway_type == GatewayType::HaVip && r.gateway_id == havip)
            .map(move |r| (t.route_table_id.as_str(), r))
    })
}
