//! Elastic IPs: allocated from the VPC's public pool (198.51.100.0/24, a documentation range,
//! routed only inside the lab).

use super::{Listing, Outcome};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::ids::new_id;
use crate::model::{Address, AddressStatus};
use crate::params::Params;
use crate::words::words;
use serde_json::json;

/// The public pool.
pub const POOL: &str = "198.51.100.0/24";

/// The pool's address never allocated: on OVN, every VPC's gateway port on its own public
/// switch (the address is never shared on one switch, and nothing is sent to it).
pub const GATEWAY_PORT_IP: &str = "198.51.100.254";

/// Address types this VPC allocates (the cloud also has Anycast, high-quality and other EIPs).
const ADDRESS_TYPES: &[&str] = &["EIP"];

/// Reads what `AllocateAddresses` may carry that only matters to the cloud's billing and
/// network (ISP, charge type, bandwidth, packages, clusters, CLB use): checked for type, kept
/// nowhere.
fn billing_and_network(p: &Params<'_>) -> Result<(), ApiError> {
    for name in [
        "InternetServiceProvider",
        "InternetChargeType",
        "IPChargeType",
        "AnycastZone",
        "BandwidthPackageId",
        "DedicatedClusterId",
        "Egress",
        "AntiDDoSPackageId",
    ] {
        p.str(name)?;
    }
    if p.int("InternetMaxBandwidthOut")?.is_some_and(|b| b < 1) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            "`InternetMaxBandwidthOut` must be 1 Mbps or more",
        ));
    }
    p.bool("ApplicableForCLB")?;
    p.bool("IsDedicatedAddressPool")?;
    p.strings("VipCluster")?;
    p.typed::<serde_json::Map<String, serde_json::Value>>(
        "AddressChargePrepaid",
        "an object {Period, AutoRenewFlag}",
    )?;
    p.typed::<Vec<crate::model::Tag>>("Tags", "a list of {Key, Value}")?;
    Ok(())
}

/// `count` public addresses of the pool no account holds (never the gateway port's).
fn free_addresses(cloud: &Cloud, count: usize) -> Result<Vec<String>, ApiError> {
    let pool = Cidr::parse(POOL).map_err(ApiError::internal)?;
    let taken: Vec<&str> = cloud
        .addresses
        .values()
        .map(|a| a.address_ip.as_str())
        .collect();
    let free: Vec<String> = pool
        .hosts()
        .map(|a| a.to_string())
        .filter(|a| {
            a != GATEWAY_PORT_IP
                && !taken.contains(&a.as_str())
                && !cloud.foreign_addresses.contains(a)
        })
        .take(count)
        .collect();
    if free.len() < count {
        return Err(ApiError::new(
            "AddressQuotaLimitExceeded",
            format!("only {} public addresses are left in {POOL}", free.len()),
        ));
    }
    Ok(free)
}

/// `AllocateAddresses`.
pub fn allocate(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    billing_and_network(p)?;
    let kind = p.str("AddressType")?.unwrap_or("EIP");
    if !ADDRESS_TYPES.contains(&kind) {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!("`AddressType` = {kind}: this VPC allocates only EIP"),
        ));
    }
    let name = p.str("AddressName")?.unwrap_or_default();
    if name.chars().count() > 128 {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            "`AddressName` must be at most 128 characters",
        ));
    }
    let count = p.int("AddressCount")?.unwrap_or(1);
    let token = super::client_token(p)?.map(|t| format!("eip:{t}"));
    if let Some(ids) = token.as_ref().and_then(|t| cloud.tokens.get(t)) {
        // The same token again: the same addresses, nothing new.
        return Ok(Outcome::read(
            json!({ "AddressSet": ids.split(',').collect::<Vec<_>>() }),
        ));
    }
    if !(1..=100).contains(&count) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`AddressCount` = {count}: it must be 1-100"),
        ));
    }
    let free = free_addresses(cloud, count as usize)?;
    let now = now_string();
    let created: Vec<Address> = free
        .into_iter()
        .map(|ip| Address {
            address_id: new_id("eip"),
            address_ip: ip,
            address_status: AddressStatus::Unbind,
            instance_id: String::new(),
            created_time: now.clone(),
            address_name: name.to_string(),
        })
        .collect();
    let ids: Vec<&str> = created.iter().map(|a| a.address_id.as_str()).collect();
    let mut changes: Vec<Change> = created.iter().cloned().map(Change::Address).collect();
    if let Some(token) = token {
        changes.push(Change::Token {
            token,
            id: ids.join(","),
        });
    }
    Ok(Outcome {
        response: json!({ "AddressSet": ids })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes,
    })
}

words! {
    /// The filters DescribeAddresses knows.
    AddressFilter {
        /// `address-id`.
        AddressId = "address-id",
        /// `address-ip`.
        AddressIp = "address-ip",
        /// `address-status`.
        AddressStatus = "address-status",
        /// `address-name`.
        AddressName = "address-name",
    }
}

/// `DescribeAddresses`.
pub fn describe(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    super::describe(
        p,
        &cloud.addresses,
        &Listing {
            ids_param: "AddressIds",
            prefix: "eip",
            exclusive: false,
            set: "AddressSet",
            matches: |a: &Address, f, x| match f {
                AddressFilter::AddressId => a.address_id == x,
                AddressFilter::AddressIp => a.address_ip == x,
                AddressFilter::AddressName => a.address_name == x,
                AddressFilter::AddressStatus => a.address_status.as_str() == x,
            },
            token_paging: false,
        },
    )
}
