//! VPCs, subnets and network interfaces: the minimum around HAVIPs (the lab registers its
//! servers' ports as ENIs with their MACs and addresses).

use super::{Listing, Outcome, describe};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::ids::new_id;
use crate::model::{Attachment, NetworkInterface, PrivateIpAddress, Subnet, Vpc};
use crate::params::Params;
use crate::words::words;
use serde::Deserialize;
use serde_json::json;
use std::net::Ipv4Addr;

words! {
    /// The filters DescribeVpcs knows.
    VpcFilter {
        /// `vpc-id`.
        VpcId = "vpc-id",
        /// `vpc-name`.
        VpcName = "vpc-name",
        /// `cidr-block`.
        CidrBlock = "cidr-block",
    }
}

words! {
    /// The filters DescribeSubnets knows.
    SubnetFilter {
        /// `subnet-id`.
        SubnetId = "subnet-id",
        /// `vpc-id`.
        VpcId = "vpc-id",
        /// `subnet-name`.
        SubnetName = "subnet-name",
        /// `cidr-block`.
        CidrBlock = "cidr-block",
    }
}

words! {
    /// The filters DescribeNetworkInterfaces knows.
    EniFilter {
        /// `vpc-id`.
        VpcId = "vpc-id",
        /// `subnet-id`.
        SubnetId = "subnet-id",
        /// `network-interface-id`.
        NetworkInterfaceId = "network-interface-id",
        /// `attachment.instance-id`: the ENI's instance.
        AttachmentInstanceId = "attachment.instance-id",
    }
}

fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    if name.chars().count() > 60 {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("`{field}` is longer than 60 characters"),
        ));
    }
    Ok(())
}

fn cidr(field: &str, value: &str) -> Result<Cidr, ApiError> {
    Cidr::parse(value).map_err(|e| ApiError::malformed(field, value, &e))
}

/// `CreateVpc`.
pub fn create_vpc(_cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let name = p.req_str("VpcName")?;
    let block = p.req_str("CidrBlock")?;
    let multicast = p.str("EnableMulticast")?.map(|s| s == "true");
    check_name("VpcName", name)?;
    let c = cidr("CidrBlock", block)?;
    if !(16..=28).contains(&c.len) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`CidrBlock` {block}: a VPC is a /16 to /28"),
        ));
    }
    let vpc = Vpc {
        vpc_id: new_id("vpc"),
        vpc_name: name.to_string(),
        cidr_block: block.to_string(),
        enable_multicast: multicast.unwrap_or(false),
        created_time: now_string(),
    };
    let main = crate::routing::main_table(&vpc.vpc_id);
    Ok(Outcome {
        response: json!({ "Vpc": vpc })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes: vec![Change::RouteTable(main), Change::Vpc(vpc)],
    })
}

/// `DescribeVpcs`.
pub fn describe_vpcs(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    describe(
        p,
        &cloud.vpcs,
        &Listing {
            ids_param: "VpcIds",
            prefix: "vpc",
            exclusive: false,
            set: "VpcSet",
            matches: |v: &Vpc, f, x| match f {
                VpcFilter::VpcId => v.vpc_id == x,
                VpcFilter::VpcName => v.vpc_name == x,
                VpcFilter::CidrBlock => v.cidr_block == x,
            },
            token_paging: false,
        },
    )
}

/// `CreateSubnet`.
pub fn create_subnet(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let vpc_id = p.req_str("VpcId")?;
    let name = p.req_str("SubnetName")?;
    let block = p.req_str("CidrBlock")?;
    let zone = p.req_str("Zone")?;
    check_name("SubnetName", name)?;
    let vpc = cloud
        .vpcs
        .get(vpc_id)
        .ok_or_else(|| ApiError::not_found("VPC", vpc_id))?;
    let c = cidr("CidrBlock", block)?;
    let outer = Cidr::parse(&vpc.cidr_block).map_err(ApiError::internal)?;
    if !outer.covers(&c) || c.len > 29 {
        return Err(ApiError::new(
            "InvalidParameterValue.SubnetRange",
            format!(
                "`CidrBlock` {block} must lie inside the VPC's {} and be at most a /29",
                vpc.cidr_block
            ),
        ));
    }
    if let Some(other) = cloud
        .subnets
        .values()
        .find(|s| s.vpc_id == vpc_id && Cidr::parse(&s.cidr_block).is_ok_and(|o| o.overlaps(&c)))
    {
        return Err(ApiError::new(
            "InvalidParameterValue.SubnetConflict",
            format!(
                "`CidrBlock` {block} overlaps subnet {} ({})",
                other.subnet_id, other.cidr_block
            ),
        ));
    }
    let s = Subnet {
        subnet_id: new_id("subnet"),
        subnet_name: name.to_string(),
        vpc_id: vpc_id.to_string(),
        cidr_block: block.to_string(),
        zone: zone.to_string(),
        created_time: now_string(),
    };
    Ok(Outcome {
        response: json!({ "Subnet": s })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes: vec![Change::Subnet(s)],
    })
}

/// `DescribeSubnets`.
pub fn describe_subnets(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    describe(
        p,
        &cloud.subnets,
        &Listing {
            ids_param: "SubnetIds",
            prefix: "subnet",
            exclusive: false,
            set: "SubnetSet",
            matches: |s: &Subnet, f, x| match f {
                SubnetFilter::SubnetId => s.subnet_id == x,
                SubnetFilter::VpcId => s.vpc_id == x,
                SubnetFilter::SubnetName => s.subnet_name == x,
                SubnetFilter::CidrBlock => s.cidr_block == x,
            },
            token_paging: true,
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PrivateIpSpec {
    /// The address.
    pub(super) private_ip_address: String,
    /// Whether it is to be the primary address.
    #[serde(default)]
    pub(super) primary: bool,
}

/// `CreateNetworkInterface` (with `MacAddress`, a local extension: the lab's port MAC).
pub fn create_eni(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let vpc_id = p.req_str("VpcId")?;
    let subnet_id = p.req_str("SubnetId")?;
    let name = p.req_str("NetworkInterfaceName")?;
    let ips: Vec<PrivateIpSpec> = p
        .typed(
            "PrivateIpAddresses",
            "a list of {PrivateIpAddress, Primary}",
        )?
        .ok_or_else(|| ApiError::missing("PrivateIpAddresses"))?;
    let mac = p.str("MacAddress")?;
    check_name("NetworkInterfaceName", name)?;
    let subnet = cloud
        .subnets
        .get(subnet_id)
        .filter(|s| s.vpc_id == vpc_id)
        .ok_or_else(|| ApiError::not_found("subnet", subnet_id))?;
    if ips.is_empty() {
        return Err(ApiError::missing("PrivateIpAddresses"));
    }
    check_eni_addresses(cloud, subnet, &ips)?;
    let mac = match mac {
        Some(m) => checked_mac(m)?,
        None => {
            let b: [u8; 3] = rand::random();
            format!("52:54:00:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
        }
    };
    let has_primary = ips.iter().any(|i| i.primary);
    let eni = NetworkInterface {
        network_interface_id: new_id("eni"),
        network_interface_name: name.to_string(),
        vpc_id: vpc_id.to_string(),
        subnet_id: subnet_id.to_string(),
        mac_address: mac,
        private_ip_address_set: ips
            .iter()
            .enumerate()
            .map(|(k, i)| PrivateIpAddress {
                private_ip_address: i.private_ip_address.clone(),
                primary: i.primary || (!has_primary && k == 0),
            })
            .collect(),
        attachment: None,
        state: crate::model::EniState::Available,
        created_time: now_string(),
    };
    Ok(Outcome {
        response: json!({ "NetworkInterface": eni })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        changes: vec![Change::Eni(eni)],
    })
}

/// Checks a new ENI's addresses: IPv4, hosts of its subnet that are neither reserved nor in
/// use in the VPC.
pub(super) fn check_eni_addresses(
    cloud: &Cloud,
    subnet: &Subnet,
    ips: &[PrivateIpSpec],
) -> Result<(), ApiError> {
    let block = Cidr::parse(&subnet.cidr_block).map_err(ApiError::internal)?;
    let subnet_id = &subnet.subnet_id;
    for ip in ips {
        let a: Ipv4Addr = ip.private_ip_address.parse().map_err(|_| {
            ApiError::malformed(
                "PrivateIpAddress",
                &ip.private_ip_address,
                "an IPv4 address",
            )
        })?;
        if !block.contains(a) {
            return Err(ApiError::new(
                "InvalidParameterValue.Range",
                format!("{a} is outside subnet {subnet_id} ({})", subnet.cidr_block),
            ));
        }
        if let Some(why) = block.reserved(a) {
            return Err(ApiError::new(
                "InvalidParameterValue.Reserved",
                format!("{a} is {why}"),
            ));
        }
        let s = a.to_string();
        if cloud.eni_with_ip(&subnet.vpc_id, &s).is_some()
            || cloud.havip_with_vip(subnet_id, &s).is_some()
        {
            return Err(ApiError::new(
                "ResourceInUse",
                format!("{a} is already in use in subnet {subnet_id}"),
            ));
        }
    }
    Ok(())
}

/// A MAC given as `MacAddress`: six hex bytes with colons, lowercased.
fn checked_mac(m: &str) -> Result<String, ApiError> {
    let ok = m.split(':').count() == 6
        && m.split(':')
            .all(|b| b.len() == 2 && u8::from_str_radix(b, 16).is_ok());
    if !ok {
        return Err(ApiError::malformed(
            "MacAddress",
            m,
            "six hex bytes, 52:54:00:12:34:56",
        ));
    }
    Ok(m.to_lowercase())
}

/// `AttachNetworkInterface`: the ENI belongs to instance `InstanceId` from now on.
pub fn attach_eni(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let id = p.req_str("NetworkInterfaceId")?;
    let instance = p.req_str("InstanceId")?;
    if !crate::ids::is_id("ins", instance) {
        return Err(ApiError::malformed(
            "InstanceId",
            instance,
            "ids look like ins-xxxxxxxx",
        ));
    }
    let eni = cloud
        .enis
        .get(id)
        .ok_or_else(|| ApiError::not_found("network interface", id))?;
    if let Some(a) = &eni.attachment {
        return Err(ApiError::new(
            "ResourceInUse",
            format!("{id} is already attached to {}", a.instance_id),
        ));
    }
    let mut eni = eni.clone();
    eni.attachment = Some(Attachment {
        instance_id: instance.to_string(),
    });
    Ok(Outcome {
        response: Default::default(),
        changes: vec![Change::Eni(eni)],
    })
}

/// `DescribeNetworkInterfaces`.
pub fn describe_enis(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    describe(
        p,
        &cloud.enis,
        &Listing {
            ids_param: "NetworkInterfaceIds",
            prefix: "eni",
            exclusive: false,
            set: "NetworkInterfaceSet",
            matches: |e: &NetworkInterface, f, x| match f {
                EniFilter::VpcId => e.vpc_id == x,
                EniFilter::SubnetId => e.subnet_id == x,
                EniFilter::NetworkInterfaceId => e.network_interface_id == x,
                EniFilter::AttachmentInstanceId => e.instance_id() == x,
            },
            token_paging: false,
        },
    )
}
