//! An ENI's secondary private addresses, moved without a HAVIP: `AssignPrivateIpAddresses`,
//! `UnassignPrivateIpAddresses`, `MigratePrivateIpAddress` (vpc 2017-03-12). A secondary
//! address has exactly one owner in its VPC; a migration moves it between two ENIs of one
//! subnet, and the data plane forwards to the new owner once the change is stored (a GARP
//! never moves it). Errors are the ones the cloud's SDK lists for these actions.

use super::Outcome;
use super::network::{PrivateIpSpec, check_eni_addresses};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud};
use crate::error::ApiError;
use crate::model::{NetworkInterface, PrivateIpAddress, Subnet, Task, TaskStatus};
use crate::params::Params;
use serde_json::json;
use std::net::Ipv4Addr;

/// The most private addresses (primary included) one ENI may hold (the cloud's limit depends on
/// the instance type; 10 is that of its common types).
pub const PRIVATE_IPS_PER_ENI: usize = 10;

/// The most addresses one call may assign (the cloud: 10 at a time).
const ASSIGN_AT_ONCE: usize = 10;

fn eni<'c>(cloud: &'c Cloud, field: &str, id: &str) -> Result<&'c NetworkInterface, ApiError> {
    if !crate::ids::is_id("eni", id) {
        return Err(ApiError::malformed(field, id, "ids look like eni-xxxxxxxx"));
    }
    cloud
        .enis
        .get(id)
        .ok_or_else(|| ApiError::not_found("network interface", id))
}

fn address(field: &str, s: &str) -> Result<Ipv4Addr, ApiError> {
    s.parse()
        .map_err(|_| ApiError::malformed(field, s, "an IPv4 address"))
}

fn task(request_id: &str) -> Change {
    Change::Task(Task {
        task_id: request_id.to_string(),
        status: TaskStatus::Success,
        output: String::new(),
    })
}

fn over_quota(e: &NetworkInterface, adding: usize) -> Result<(), ApiError> {
    let total = e.private_ip_address_set.len() + adding;
    if total > PRIVATE_IPS_PER_ENI {
        return Err(ApiError::new(
            "LimitExceeded",
            format!(
                "{} would hold {total} private addresses; at most {PRIVATE_IPS_PER_ENI}",
                e.network_interface_id
            ),
        ));
    }
    Ok(())
}

/// Reads `PrivateIpAddresses` as the cloud's `PrivateIpAddressSpecification`s.
fn specs(p: &Params<'_>) -> Result<Option<Vec<PrivateIpSpec>>, ApiError> {
    p.typed(
        "PrivateIpAddresses",
        "a list of {PrivateIpAddress, Primary, ...}",
    )
}

/// `AssignPrivateIpAddresses`: the addresses given, and/or `SecondaryPrivateIpAddressCount`
/// free ones of the subnet (lowest first), become secondary addresses of the ENI.
pub fn assign(cloud: &Cloud, p: &Params<'_>, request_id: &str) -> Result<Outcome, ApiError> {
    let id = p.req_str("NetworkInterfaceId")?;
    let given = specs(p)?.unwrap_or_default();
    let count = p.int("SecondaryPrivateIpAddressCount")?;
    let _qos = p.str("QosLevel")?;
    let e = eni(cloud, "NetworkInterfaceId", id)?;
    if given.is_empty() && count.is_none() {
        return Err(ApiError::missing(
            "PrivateIpAddresses or SecondaryPrivateIpAddressCount",
        ));
    }
    let count = count.unwrap_or(0);
    if !(0..=ASSIGN_AT_ONCE as i64).contains(&count) || given.len() > ASSIGN_AT_ONCE {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("at most {ASSIGN_AT_ONCE} addresses may be assigned at a time"),
        ));
    }
    for (k, s) in given.iter().enumerate() {
        if s.primary {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!(
                    "{} is given as primary; {id} has its primary address",
                    s.private_ip_address
                ),
            ));
        }
        if given[..k]
            .iter()
            .any(|o| o.private_ip_address == s.private_ip_address)
        {
            return Err(ApiError::new(
                "InvalidParameterValue.DuplicatePara",
                format!("`PrivateIpAddresses` lists {} twice", s.private_ip_address),
            ));
        }
    }
    over_quota(e, given.len() + count as usize)?;
    let subnet = cloud
        .subnets
        .get(&e.subnet_id)
        .ok_or_else(|| ApiError::internal(format!("{id}'s subnet is missing")))?;
    check_eni_addresses(cloud, subnet, &given)?;
    let given: Vec<String> = given.into_iter().map(|s| s.private_ip_address).collect();
    let new = with_free(cloud, subnet, given, count as usize)?;
    let mut e = e.clone();
    let set: Vec<PrivateIpAddress> = new
        .into_iter()
        .map(|a| PrivateIpAddress {
            private_ip_address: a,
            primary: false,
        })
        .collect();
    e.private_ip_address_set.extend(set.iter().cloned());
    Ok(Outcome {
        response: json!({ "PrivateIpAddressSet": set })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes: vec![Change::Eni(e), task(request_id)],
    })
}

/// `given` and `count` more addresses of `subnet` that nobody holds (lowest first).
fn with_free(
    cloud: &Cloud,
    subnet: &Subnet,
    mut new: Vec<String>,
    count: usize,
) -> Result<Vec<String>, ApiError> {
    let wanted = new.len() + count;
    let block = Cidr::parse(&subnet.cidr_block).map_err(ApiError::internal)?;
    for a in block.hosts() {
        if new.len() == wanted {
            break;
        }
        let s = a.to_string();
        let taken = new.contains(&s)
            || cloud.eni_with_ip(&subnet.vpc_id, &s).is_some()
            || cloud.havip_with_vip(&subnet.subnet_id, &s).is_some();
        if !taken {
            new.push(s);
        }
    }
    if new.len() < wanted {
        return Err(ApiError::new(
            "ResourceInsufficient",
            format!("subnet {} has no {count} free addresses", subnet.subnet_id),
        ));
    }
    Ok(new)
}

/// `UnassignPrivateIpAddresses`: the ENI gives up the secondary addresses listed.
pub fn unassign(cloud: &Cloud, p: &Params<'_>, request_id: &str) -> Result<Outcome, ApiError> {
    let id = p.req_str("NetworkInterfaceId")?;
    let given = specs(p)?.ok_or_else(|| ApiError::missing("PrivateIpAddresses"))?;
    let _instance = p.str("InstanceId")?;
    let e = eni(cloud, "NetworkInterfaceId", id)?;
    if given.is_empty() {
        return Err(ApiError::missing("PrivateIpAddresses"));
    }
    let mut e = e.clone();
    for s in &given {
        address("PrivateIpAddress", &s.private_ip_address)?;
        let Some(k) = e
            .private_ip_address_set
            .iter()
            .position(|a| a.private_ip_address == s.private_ip_address)
        else {
            return Err(ApiError::new(
                "ResourceNotFound",
                format!("{} is not an address of {id}", s.private_ip_address),
            ));
        };
        if e.private_ip_address_set[k].primary {
            return Err(ApiError::new(
                "UnsupportedOperation.PrimaryIp",
                format!("{} is {id}'s primary address", s.private_ip_address),
            ));
        }
        e.private_ip_address_set.remove(k);
    }
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::Eni(e), task(request_id)],
    })
}

/// `MigratePrivateIpAddress`: a secondary address of the source ENI becomes the destination's
/// (both of one subnet); the source no longer has it.
pub fn migrate(cloud: &Cloud, p: &Params<'_>, request_id: &str) -> Result<Outcome, ApiError> {
    let from_id = p.req_str("SourceNetworkInterfaceId")?;
    let to_id = p.req_str("DestinationNetworkInterfaceId")?;
    let ip = p.req_str("PrivateIpAddress")?;
    let from = eni(cloud, "SourceNetworkInterfaceId", from_id)?;
    let to = eni(cloud, "DestinationNetworkInterfaceId", to_id)?;
    address("PrivateIpAddress", ip)?;
    let Some(k) = from
        .private_ip_address_set
        .iter()
        .position(|a| a.private_ip_address == ip)
    else {
        return Err(ApiError::new(
            "UnauthorizedOperation.AttachmentNotFound",
            format!("{ip} is not an address of {from_id}"),
        ));
    };
    if from.private_ip_address_set[k].primary {
        return Err(ApiError::new(
            "UnsupportedOperation.PrimaryIp",
            format!("{ip} is {from_id}'s primary address; a primary address cannot move"),
        ));
    }
    if from_id == to_id {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!("{ip} is already an address of {to_id}"),
        ));
    }
    if from.subnet_id != to.subnet_id {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!(
                "{from_id} is in {} and {to_id} in {}: an address moves within one subnet",
                from.subnet_id, to.subnet_id
            ),
        ));
    }
    over_quota(to, 1)?;
    let mut from = from.clone();
    let moved = from.private_ip_address_set.remove(k);
    let mut to = to.clone();
    to.private_ip_address_set.push(moved);
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::Eni(from), Change::Eni(to), task(request_id)],
    })
}
