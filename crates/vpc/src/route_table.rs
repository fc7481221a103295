//! Route tables, with the cloud's field names: a route's next hop is a server's private address
//! (`NORMAL_CVM`) or a HAVIP (`HAVIP`). What they mean for a packet is `routing.rs`'s.

use crate::words::words;
use serde::{Deserialize, Serialize};

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
