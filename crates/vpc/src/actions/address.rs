//! Elastic IPs: allocated from the VPC's public pool (198.51.100.0/24, a documentation range,
//! routed only inside the lab).

use super::{Listing, Outcome};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::ids::new_id;
use crate::model::Address;
use crate::params::Params;
use serde_json::json;

/// The public pool.
pub const POOL: &str = "198.51.100.0/24";

/// `AllocateAddresses`.
pub fn allocate(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let count = p.int("AddressCount")?.unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`AddressCount` = {count}: it must be 1-100"),
        ));
    }
    let pool = Cidr::parse(POOL).map_err(ApiError::internal)?;
    let taken: Vec<&str> = cloud
        .addresses
        .values()
        .map(|a| a.address_ip.as_str())
        .collect();
    let free: Vec<String> = pool
        .hosts()
        .map(|a| a.to_string())
        .filter(|a| !taken.contains(&a.as_str()))
        .take(count as usize)
        .collect();
    if free.len() < count as usize {
        return Err(ApiError::new(
            "AddressQuotaLimitExceeded",
            format!("only {} public addresses are left in {POOL}", free.len()),
        ));
    }
    let now = now_string();
    let created: Vec<Address> = free
        .into_iter()
        .map(|ip| Address {
            address_id: new_id("eip"),
            address_ip: ip,
            address_status: "UNBIND".into(),
            instance_id: String::new(),
            created_time: now.clone(),
        })
        .collect();
    let ids: Vec<&str> = created.iter().map(|a| a.address_id.as_str()).collect();
    Ok(Outcome {
        response: json!({ "AddressSet": ids })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes: created.iter().cloned().map(Change::Address).collect(),
    })
}

/// `DescribeAddresses`.
pub fn describe(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    super::describe(
        p,
        &cloud.addresses,
        &Listing {
            ids_param: "AddressIds",
            prefix: "eip",
            filters: &["address-id", "address-ip", "address-status"],
            exclusive: false,
            set: "AddressSet",
            matches: |a: &Address, f, x| match f {
                "address-id" => a.address_id == x,
                "address-ip" => a.address_ip == x,
                _ => a.address_status == x,
            },
        },
    )
}
