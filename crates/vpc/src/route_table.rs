//! Route tables, with the cloud's field names, and the route a subnet's packet takes: a VPC's
//! main table serves every subnet not associated with another; its enabled routes are
//! matched longest prefix first, and a route's next hop is a server's private address
//! (`NORMAL_CVM`) or a HAVIP (`HAVIP`).

use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud};
use crate::words::words;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

words! {
    /// A route's next-hop kind (those this VPC forwards by).
    GatewayType {
        /// A server, by its private address (`GatewayId` is the address).
        NormalCvm = "NORMAL_CVM",
        /// A HAVIP, by id: whoever holds it.
        HaVip = "HAVIP",
    }
}

words! {
    /// Who made a route.
    #[derive(Default)]
    RouteType {
        /// The user.
        #[default]
        User = "USER",
    }
}

/// A route of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    /// Destination, an IPv4 CIDR.
    pub destination_cidr_block: String,
    /// Next-hop kind.
    pub gateway_type: GatewayType,
    /// Next hop: an address (`NORMAL_CVM`) or a HAVIP id.
    pub gateway_id: String,
    /// Its number in the table (the cloud's `RouteId`), unique per table.
    pub route_id: u64,
    /// Its unique id (the cloud's `RouteItemId`, `rti-xxxxxxxx`).
    #[serde(default)]
    pub route_item_id: String,
    /// IPv6 destination: always empty here (IPv4 routes only).
    #[serde(default)]
    pub destination_ipv6_cidr_block: String,
    /// Description.
    #[serde(default)]
    pub route_description: String,
    /// Whether it is used.
    pub enabled: bool,
    /// `USER`.
    #[serde(default)]
    pub route_type: RouteType,
    /// Its table.
    pub route_table_id: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    #[serde(default)]
    pub created_time: String,
}

/// A subnet a table serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    /// The subnet.
    pub subnet_id: String,
    /// The table.
    pub route_table_id: String,
}

/// A route table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    /// Its VPC.
    pub vpc_id: String,
    /// `rtb-xxxxxxxx`.
    pub route_table_id: String,
    /// Name.
    pub route_table_name: String,
    /// Subnets associated with it (the main table: none listed serves the rest).
    pub association_set: Vec<RouteTableAssociation>,
    /// Routes.
    pub route_set: Vec<Route>,
    /// Whether it is the VPC's main (default) table.
    pub main: bool,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
    /// Tags.
    #[serde(default)]
    pub tag_set: Vec<crate::model::Tag>,
}

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
