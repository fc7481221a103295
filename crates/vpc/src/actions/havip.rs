//! HAVIP actions: create (validated against the subnet, reservations, use, quota, ClientToken),
//! describe (ids or filters, paged), modify, delete, EIP bind/unbind, allowed instances, and
//! the asynchronous tasks' results.

use super::{Listing, Outcome};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::ids::{is_id, new_id};
use crate::model::{
    AddressStatus, BindingEvent, HaVip, HaVipAssociation, HavipState, InstanceType, NEVER, Subnet,
    Tag, Task, TaskStatus,
};
use crate::params::Params;
use crate::words::words;
use serde_json::json;
use std::net::Ipv4Addr;

/// Longest HAVIP name.
pub const MAX_NAME: usize = 60;
/// Most instances a HAVIP may be associated with.
pub const MAX_ASSOCIATIONS: usize = 10;

words! {
    /// The filters DescribeHaVips knows.
    HavipFilter {
        /// `havip-id`.
        HavipId = "havip-id",
        /// `havip-name`.
        HavipName = "havip-name",
        /// `vpc-id`.
        VpcId = "vpc-id",
        /// `subnet-id`.
        SubnetId = "subnet-id",
        /// `vip`.
        Vip = "vip",
        /// `address-ip`.
        AddressIp = "address-ip",
        /// `havip-association.instance-id`.
        HavipAssociationInstanceId = "havip-association.instance-id",
        /// `havip-association.instance-type`.
        HavipAssociationInstanceType = "havip-association.instance-type",
        /// `check-associate`.
        CheckAssociate = "check-associate",
        /// `cdc-id`.
        CdcId = "cdc-id",
        /// `type`.
        Type = "type",
        /// `termination-protection`.
        TerminationProtection = "termination-protection",
        /// `traffic-protection`.
        TrafficProtection = "traffic-protection",
    }
}

/// The filters DescribeHaVips knows.
pub const FILTERS: &[&str] = HavipFilter::WORDS;

fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if n > MAX_NAME {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("`HaVipName` has {n} characters; at most {MAX_NAME}"),
        ));
    }
    Ok(())
}

fn havip<'a>(cloud: &'a Cloud, p: &Params<'_>) -> Result<&'a HaVip, ApiError> {
    let id = p.req_str("HaVipId")?;
    if !is_id("havip", id) {
        return Err(ApiError::malformed(
            "HaVipId",
            id,
            "ids look like havip-xxxxxxxx",
        ));
    }
    cloud
        .havips
        .get(id)
        .ok_or_else(|| ApiError::not_found("HAVIP", id))
}

/// Checks an association list: instances exist, one type, at most 10, no repeats.
fn check_associations(
    cloud: &Cloud,
    list: &[HaVipAssociation],
    havip_vpc: &str,
) -> Result<(), ApiError> {
    if list.len() > MAX_ASSOCIATIONS {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!(
                "{} instances in `HaVipAssociationSet`; at most {MAX_ASSOCIATIONS}",
                list.len()
            ),
        ));
    }
    for (k, a) in list.iter().enumerate() {
        let known = match &a.instance_type {
            InstanceType::Eni => cloud
                .enis
                .get(&a.instance_id)
                .map(|e| e.vpc_id == havip_vpc),
            InstanceType::Cvm => cloud
                .enis
                .values()
                .find(|e| e.instance_id() == a.instance_id)
                .map(|e| e.vpc_id == havip_vpc),
            InstanceType::Other(other) => {
                return Err(ApiError::new(
                    "InvalidParameterValue.Range",
                    format!("`InstanceType` = `{other}`: it must be CVM or ENI"),
                ));
            }
        };
        match known {
            None => {
                return Err(ApiError::not_found(
                    a.instance_type.as_str(),
                    &a.instance_id,
                ));
            }
            Some(false) => {
                return Err(ApiError::new(
                    "UnsupportedOperation",
                    format!("{} is in another VPC than the HAVIP", a.instance_id),
                ));
            }
            Some(true) => {}
        }
        if list[..k].iter().any(|b| b.instance_id == a.instance_id) {
            return Err(ApiError::new(
                "InvalidParameterValue.DuplicatedHaVipAssociations",
                format!("{} is listed twice", a.instance_id),
            ));
        }
        if list[0].instance_type != a.instance_type {
            return Err(ApiError::new(
                "UnsupportedOperation",
                "`HaVipAssociationSet` mixes CVM and ENI; use one type",
            ));
        }
    }
    Ok(())
}

/// `CreateHaVip`.
pub fn create(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let vpc_id = p.req_str("VpcId")?;
    let subnet_id = p.req_str("SubnetId")?;
    let name = p.req_str("HaVipName")?;
    let vip = p.str("Vip")?;
    let eni = p.str("NetworkInterfaceId")?;
    let check_associate = p.bool("CheckAssociate")?.unwrap_or(false);
    let tags: Vec<Tag> = p
        .typed("Tags", "a list of {Key, Value}")?
        .unwrap_or_default();
    let associations: Vec<HaVipAssociation> = p
        .typed(
            "HaVipAssociationSet",
            "a list of {InstanceId, InstanceType}",
        )?
        .unwrap_or_default();
    let token = super::client_token(p)?;
    if let Some(t) = token {
        // The same token again: the same HAVIP, nothing new.
        if let Some(h) = cloud.tokens.get(t).and_then(|id| cloud.havips.get(id)) {
            return Ok(Outcome::read(json!({ "HaVip": h })));
        }
    }
    check_name(name)?;
    let subnet = subnet_in_vpc(cloud, vpc_id, subnet_id)?;
    let vip = choose_vip(cloud, subnet, vip)?;
    let (eni_id, instance_id) = holder_at_creation(cloud, subnet_id, eni)?;
    let id = new_id("havip");
    let associations: Vec<HaVipAssociation> = associations
        .into_iter()
        .map(|a| HaVipAssociation {
            ha_vip_id: id.clone(),
            ..a
        })
        .collect();
    check_associations(cloud, &associations, vpc_id)?;
    let now = now_string();
    let h = HaVip {
        ha_vip_id: id.clone(),
        ha_vip_name: name.to_string(),
        vip: vip.to_string(),
        vpc_id: vpc_id.to_string(),
        subnet_id: subnet_id.to_string(),
        state: if eni_id.is_empty() {
            HavipState::Unbind
        } else {
            HavipState::Available
        },
        network_interface_id: eni_id,
        instance_id,
        address_ip: String::new(),
        created_time: now,
        business: String::new(),
        ha_vip_association_set: associations,
        check_associate,
        flushed_time: NEVER.into(),
        tag_set: tags,
    };
    Ok(created(h, token))
}

/// The subnet `subnet_id` of VPC `vpc_id`, if both exist and the VPC has room for a HAVIP.
fn subnet_in_vpc<'a>(
    cloud: &'a Cloud,
    vpc_id: &str,
    subnet_id: &str,
) -> Result<&'a Subnet, ApiError> {
    let vpc = cloud
        .vpcs
        .get(vpc_id)
        .ok_or_else(|| ApiError::not_found("VPC", vpc_id))?;
    let subnet = cloud
        .subnets
        .get(subnet_id)
        .ok_or_else(|| ApiError::not_found("subnet", subnet_id))?;
    if subnet.vpc_id != vpc.vpc_id {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("subnet {subnet_id} is not in VPC {vpc_id}"),
        ));
    }
    let in_vpc = cloud.havips.values().filter(|h| h.vpc_id == vpc_id).count();
    if in_vpc >= cloud.quotas.havips_per_vpc {
        return Err(ApiError::new(
            "LimitExceeded",
            format!(
                "VPC {vpc_id} has {in_vpc} HAVIPs, its quota is {}",
                cloud.quotas.havips_per_vpc
            ),
        ));
    }
    Ok(subnet)
}

/// The HAVIP's address: `vip` if it is a free, unreserved host of the subnet, else (none
/// given) the subnet's first free host.
fn choose_vip(cloud: &Cloud, subnet: &Subnet, vip: Option<&str>) -> Result<Ipv4Addr, ApiError> {
    let block = Cidr::parse(&subnet.cidr_block).map_err(ApiError::internal)?;
    let subnet_id = &subnet.subnet_id;
    let used = |a: Ipv4Addr| {
        let s = a.to_string();
        cloud.eni_with_ip(&subnet.vpc_id, &s).is_some()
            || cloud.havip_with_vip(subnet_id, &s).is_some()
    };
    let Some(v) = vip else {
        return block.hosts().find(|a| !used(*a)).ok_or_else(|| {
            ApiError::new(
                "ResourceInsufficient",
                format!("subnet {subnet_id} has no free address left"),
            )
        });
    };
    if v.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!(
                "`Vip` {v} is an IPv6 address: subnet {subnet_id} ({}) is IPv4, and this VPC \
                 offers no IPv6 subnets, so a HAVIP's address is IPv4",
                subnet.cidr_block
            ),
        ));
    }
    let a: Ipv4Addr = v
        .parse()
        .map_err(|_| ApiError::malformed("Vip", v, "an IPv4 address"))?;
    if !block.contains(a) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!(
                "`Vip` {v} is outside subnet {subnet_id} ({})",
                subnet.cidr_block
            ),
        ));
    }
    if let Some(why) = block.reserved(a) {
        return Err(ApiError::new(
            "InvalidParameterValue.Reserved",
            format!("`Vip` {v} is {why}, reserved by the VPC"),
        ));
    }
    if used(a) {
        return Err(ApiError::new(
            "ResourceInUse",
            format!("`Vip` {v} is already in use in subnet {subnet_id}"),
        ));
    }
    Ok(a)
}

/// The ENI (and its instance) a new HAVIP starts bound to: `eni`, which must be in the
/// subnet, or none.
fn holder_at_creation(
    cloud: &Cloud,
    subnet_id: &str,
    eni: Option<&str>,
) -> Result<(String, String), ApiError> {
    let Some(e) = eni else {
        return Ok((String::new(), String::new()));
    };
    let n = cloud
        .enis
        .get(e)
        .ok_or_else(|| ApiError::not_found("network interface", e))?;
    if n.subnet_id != subnet_id {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!("network interface {e} is not in subnet {subnet_id}"),
        ));
    }
    Ok((e.to_string(), n.instance_id().to_string()))
}

/// The answer and changes of a HAVIP created: it, its first history line, its ClientToken.
fn created(h: HaVip, token: Option<&str>) -> Outcome {
    let mut changes = vec![
        Change::HaVip(h.clone()),
        Change::History(BindingEvent {
            ha_vip_id: h.ha_vip_id.clone(),
            time: h.created_time.clone(),
            network_interface_id: h.network_interface_id.clone(),
            instance_id: h.instance_id.clone(),
            reason: "created".into(),
            unix_time: crate::cloud::unix_now(),
        }),
    ];
    if let Some(t) = token {
        changes.push(Change::Token {
            token: t.to_string(),
            id: h.ha_vip_id.clone(),
        });
    }
    Outcome {
        response: json!({ "HaVip": h })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes,
    }
}

fn matches(h: &HaVip, name: HavipFilter, value: &str) -> bool {
    let associations = h.ha_vip_association_set.iter();
    match name {
        HavipFilter::HavipId => h.ha_vip_id == value,
        HavipFilter::HavipName => h.ha_vip_name == value,
        HavipFilter::VpcId => h.vpc_id == value,
        HavipFilter::SubnetId => h.subnet_id == value,
        HavipFilter::Vip => h.vip == value,
        HavipFilter::AddressIp => h.address_ip == value,
        HavipFilter::HavipAssociationInstanceId => {
            associations.clone().any(|a| a.instance_id == value)
        }
        HavipFilter::HavipAssociationInstanceType => associations
            .clone()
            .any(|a| a.instance_type.as_str() == value),
        HavipFilter::CheckAssociate => h.check_associate.to_string() == value.to_lowercase(),
        // Every HAVIP here is an ordinary one: in no CDC, of type NORMAL, without deletion or
        // traffic protection.
        HavipFilter::CdcId => false,
        HavipFilter::Type => value == "NORMAL",
        HavipFilter::TerminationProtection | HavipFilter::TrafficProtection => {
            value.eq_ignore_ascii_case("false")
        }
    }
}

/// `DescribeHaVips`.
pub fn describe(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    super::describe(
        p,
        &cloud.havips,
        &Listing {
            ids_param: "HaVipIds",
            prefix: "havip",
            exclusive: true,
            set: "HaVipSet",
            matches,
            token_paging: false,
        },
    )
}

/// `ModifyHaVipAttribute`.
pub fn modify(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let h = havip(cloud, p)?;
    let name = p.req_str("HaVipName")?;
    check_name(name)?;
    let mut h = h.clone();
    h.ha_vip_name = name.to_string();
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::HaVip(h)],
    })
}

fn task(request_id: &str) -> Change {
    Change::Task(Task {
        task_id: request_id.to_string(),
        status: TaskStatus::Success,
        output: String::new(),
    })
}

/// `DeleteHaVip` (asynchronous: its task is the RequestId).
pub fn delete(cloud: &Cloud, p: &Params<'_>, request_id: &str) -> Result<Outcome, ApiError> {
    let h = havip(cloud, p)?;
    if !h.address_ip.is_empty() {
        return Err(ApiError::new(
            "ResourceInUse",
            format!(
                "HAVIP {} is bound to EIP {}; unbind it first (HaVipDisassociateAddressIp)",
                h.ha_vip_id, h.address_ip
            ),
        ));
    }
    if let Some((table, route)) = crate::routing::routes_via(cloud, &h.ha_vip_id).next() {
        return Err(ApiError::new(
            "ResourceInUse",
            format!(
                "HAVIP {} is the next hop of route {} of {table}; delete or replace the route \
                 first (DeleteRoutes, ReplaceRoutes)",
                h.ha_vip_id, route.route_id
            ),
        ));
    }
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::DeleteHaVip(h.ha_vip_id.clone()), task(request_id)],
    })
}

/// `HaVipAssociateAddressIp`.
pub fn associate_address(
    cloud: &Cloud,
    p: &Params<'_>,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let h = havip(cloud, p)?;
    let ip = p.req_str("AddressIp")?;
    if ip.parse::<Ipv4Addr>().is_err() {
        return Err(ApiError::malformed("AddressIp", ip, "an IPv4 address"));
    }
    let eip = cloud
        .addresses
        .values()
        .find(|a| a.address_ip == ip)
        .ok_or_else(|| {
            ApiError::new(
                "InvalidParameterValue.AddressNotFound",
                format!("no EIP {ip} in this account"),
            )
        })?;
    if !h.address_ip.is_empty() {
        return Err(ApiError::new(
            "UnsupportedOperation.BindEIP",
            format!(
                "HAVIP {} is already bound to EIP {}",
                h.ha_vip_id, h.address_ip
            ),
        ));
    }
    if eip.address_status != AddressStatus::Unbind {
        return Err(ApiError::new(
            "UnsupportedOperation.BindEIP",
            format!("EIP {ip} is already bound to {}", eip.instance_id),
        ));
    }
    let mut h = h.clone();
    h.address_ip = ip.to_string();
    let mut eip = eip.clone();
    eip.address_status = AddressStatus::Bind;
    eip.instance_id = h.ha_vip_id.clone();
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::HaVip(h), Change::Address(eip), task(request_id)],
    })
}

/// `HaVipDisassociateAddressIp`.
pub fn disassociate_address(
    cloud: &Cloud,
    p: &Params<'_>,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let h = havip(cloud, p)?;
    if h.address_ip.is_empty() {
        return Err(ApiError::new(
            "UnsupportedOperation.UnbindEIP",
            format!("HAVIP {} has no EIP to unbind", h.ha_vip_id),
        ));
    }
    let mut changes = Vec::new();
    if let Some(eip) = cloud
        .addresses
        .values()
        .find(|a| a.address_ip == h.address_ip)
    {
        let mut eip = eip.clone();
        eip.address_status = AddressStatus::Unbind;
        eip.instance_id = String::new();
        changes.push(Change::Address(eip));
    }
    let mut h = h.clone();
    h.address_ip = String::new();
    changes.push(Change::HaVip(h));
    changes.push(task(request_id));
    Ok(Outcome {
        response: Default::default(),
        changes,
    })
}

/// `AssociateHaVipInstance` (`add`) and `DisassociateHaVipInstance`.
pub fn associate_instances(cloud: &Cloud, p: &Params<'_>, add: bool) -> Result<Outcome, ApiError> {
    let list: Vec<HaVipAssociation> = p
        .typed(
            "HaVipAssociationSet",
            "a list of {HaVipId, InstanceId, InstanceType}",
        )?
        .ok_or_else(|| ApiError::missing("HaVipAssociationSet"))?;
    if list.is_empty() || list.len() > MAX_ASSOCIATIONS {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!(
                "`HaVipAssociationSet` must list 1-{MAX_ASSOCIATIONS} entries, not {}",
                list.len()
            ),
        ));
    }
    let mut changed: Vec<HaVip> = Vec::new();
    for a in &list {
        if !is_id("havip", &a.ha_vip_id) {
            return Err(ApiError::malformed(
                "HaVipId",
                &a.ha_vip_id,
                "ids look like havip-xxxxxxxx",
            ));
        }
        let current = match changed.iter().position(|h| h.ha_vip_id == a.ha_vip_id) {
            Some(k) => changed.remove(k),
            None => cloud
                .havips
                .get(&a.ha_vip_id)
                .cloned()
                .ok_or_else(|| ApiError::not_found("HAVIP", &a.ha_vip_id))?,
        };
        let mut h = current;
        let present = h
            .ha_vip_association_set
            .iter()
            .any(|x| x.instance_id == a.instance_id);
        if add {
            if present {
                return Err(ApiError::new(
                    "InvalidParameterValue.DuplicatedHaVipAssociations",
                    format!(
                        "{} is already associated with {}",
                        a.instance_id, h.ha_vip_id
                    ),
                ));
            }
            h.ha_vip_association_set.push(a.clone());
            check_associations(cloud, &h.ha_vip_association_set, &h.vpc_id)?;
        } else {
            if !present {
                return Err(ApiError::new(
                    "ResourceNotFound",
                    format!("{} is not associated with {}", a.instance_id, h.ha_vip_id),
                ));
            }
            h.ha_vip_association_set
                .retain(|x| x.instance_id != a.instance_id);
        }
        changed.push(h);
    }
    Ok(Outcome {
        response: Default::default(),
        changes: changed.into_iter().map(Change::HaVip).collect(),
    })
}

/// `DescribeVpcTaskResult`.
pub fn task_result(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let id = p.req_str("TaskId")?;
    let t = cloud
        .tasks
        .get(id)
        .ok_or_else(|| ApiError::not_found("task", id))?;
    Ok(Outcome::read(json!({
        "Status": t.status,
        "Output": t.output,
        "Result": [],
    })))
}
