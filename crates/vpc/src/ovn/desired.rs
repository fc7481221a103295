//! The OVN northbound rows a VPC's state calls for, computed from [`Cloud`] alone:
//! - a VPC is a logical router;
//! - a subnet is a logical switch, joined to its VPC's router by a router port holding the
//!   subnet's gateway address and a switch port of type `router`;
//! - an ENI is a switch port with its MAC and addresses, and port security on them plus the
//!   VIPs of the HAVIPs it may hold (OVN drops what a port sends from any other address);
//! - a HAVIP is a switch port of type `virtual`: `virtual-ip` is its VIP, `virtual-parents`
//!   the ports that may claim it by a GARP: the associated ENIs under CheckAssociate, else
//!   every ENI of the subnet, less the ENIs that already hold as many HAVIPs as the quota
//!   allows (OVN would let them claim one more; the API's `havips_per_eni` says no);
//! - an EIP bound to a HAVIP is a `dnat_and_snat` NAT of its VPC's router, which is then a
//!   gateway router on the [`Layout`]'s gateway chassis, with a port on a public switch of
//!   its own whose `localnet` port reaches the provider network [`PUBLIC_NETWORK`] (without a
//!   gateway chassis, EIPs are the API's records only);
//! - an enabled route of a VPC's route table is a static route of its router to the next
//!   hop's address (a `NORMAL_CVM` route's private address, a `HAVIP` route's VIP, which OVN
//!   resolves to whoever claimed the virtual port), and the routed block joins the port
//!   security of the ports that may receive it (the next hop's ENI, the HAVIP's parents).

use crate::actions::address::GATEWAY_PORT_IP;
use crate::cidr::Cidr;
use crate::cloud::Cloud;
use crate::model::{HaVip, NetworkInterface};
use std::collections::BTreeMap;

/// External id marking the rows havip owns; rows without it are never touched.
pub const OWNER_KEY: &str = "havip:owner";
/// Its value.
pub const OWNER: &str = "havip-vpc";

/// A logical router port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterPort {
    /// `name`.
    pub name: String,
    /// `mac`.
    pub mac: String,
    /// `networks` (`a.b.c.d/n`).
    pub networks: Vec<String>,
}

/// A `dnat_and_snat` NAT rule: an EIP and the HAVIP's VIP behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nat {
    /// `external_ip`: the EIP.
    pub external_ip: String,
    /// `logical_ip`: the VIP.
    pub logical_ip: String,
}

/// A static route of a router: a route table's route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticRoute {
    /// What it is known by: `ROUTER PREFIX` (kept in its external ids, [`ROUTE_KEY`]).
    pub key: String,
    /// `ip_prefix`: the destination block.
    pub ip_prefix: String,
    /// `nexthop`: the next hop's address.
    pub nexthop: String,
}

/// External id holding a static route's [`StaticRoute::key`].
pub const ROUTE_KEY: &str = "havip:route";

/// A logical router: one per VPC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Router {
    /// `name`: the VPC's id.
    pub name: String,
    /// Its ports by name.
    pub ports: BTreeMap<String, RouterPort>,
    /// `options` (`chassis` makes it a gateway router).
    pub options: BTreeMap<String, String>,
    /// Its NAT rules by external IP.
    pub nat: BTreeMap<String, Nat>,
    /// Its static routes by key.
    pub static_routes: BTreeMap<String, StaticRoute>,
}

/// Where the VPCs meet the provider network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The chassis (its `system-id`) the gateway routers run on; none: no EIP is realized.
    pub gateway_chassis: Option<String>,
}

/// The provider network the public switches' `localnet` ports name: a gateway chassis maps it
/// to a bridge with `ovn-bridge-mappings=public:BRIDGE`.
pub const PUBLIC_NETWORK: &str = "public";

/// A logical switch port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwitchPort {
    /// `name`.
    pub name: String,
    /// `type` (`""`, `router` or `virtual`).
    pub kind: String,
    /// `addresses`.
    pub addresses: Vec<String>,
    /// `port_security`.
    pub port_security: Vec<String>,
    /// `options`.
    pub options: BTreeMap<String, String>,
}

/// An ACL of a switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    /// `priority`.
    pub priority: i64,
    /// `direction` (`from-lport` or `to-lport`).
    pub direction: String,
    /// `match`.
    pub matches: String,
    /// `action`.
    pub action: String,
}

/// A logical switch: one per subnet, and one public switch per VPC with EIPs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Switch {
    /// `name`: the subnet's id (`pub-VPC` for a public switch).
    pub name: String,
    /// Its ports by name.
    pub ports: BTreeMap<String, SwitchPort>,
    /// Its ACLs by match.
    pub acls: BTreeMap<String, Acl>,
}

/// Everything havip wants in the northbound database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    /// Routers by name.
    pub routers: BTreeMap<String, Router>,
    /// Switches by name.
    pub switches: BTreeMap<String, Switch>,
}

/// The router port of a subnet.
pub fn router_port_name(subnet_id: &str) -> String {
    format!("lrp-{subnet_id}")
}

/// The switch's port facing the router.
pub fn switch_router_port_name(subnet_id: &str) -> String {
    format!("rp-{subnet_id}")
}

/// A stable, locally administered MAC for a subnet's router port (FNV-1a of its id).
pub fn router_mac(subnet_id: &str) -> String {
    let h = subnet_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let b = h.to_be_bytes();
    format!("0a:58:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3])
}

/// The rows `cloud` calls for, with no gateway chassis.
pub fn desired(cloud: &Cloud) -> Desired {
    desired_in(cloud, &Layout::default())
}

/// The rows `cloud` calls for in `layout`.
pub fn desired_in(cloud: &Cloud, layout: &Layout) -> Desired {
    let mut claims = Claims::of(cloud);
    let mut out = Desired::default();
    for vpc in cloud.vpcs.values() {
        out.routers.insert(
            vpc.vpc_id.clone(),
            Router {
                name: vpc.vpc_id.clone(),
                ..Default::default()
            },
        );
    }
    if let Some(chassis) = &layout.gateway_chassis {
        gateways(cloud, chassis, &mut out);
    }
    static_routes(cloud, &mut claims, &mut out);
    for subnet in cloud.subnets.values() {
        let Ok(cidr) = Cidr::parse(&subnet.cidr_block) else {
            continue;
        };
        let lrp = RouterPort {
            name: router_port_name(&subnet.subnet_id),
            mac: router_mac(&subnet.subnet_id),
            networks: vec![format!("{}/{}", cidr.gateway(), cidr.len)],
        };
        if let Some(r) = out.routers.get_mut(&subnet.vpc_id) {
            r.ports.insert(lrp.name.clone(), lrp.clone());
        }
        let to_router = SwitchPort {
            name: switch_router_port_name(&subnet.subnet_id),
            kind: "router".into(),
            addresses: vec!["router".into()],
            options: [("router-port".to_string(), lrp.name)].into(),
            ..Default::default()
        };
        let enis = cloud
            .enis
            .values()
            .filter(|e| e.subnet_id == subnet.subnet_id);
        let havips = cloud
            .havips
            .values()
            .filter(|h| h.subnet_id == subnet.subnet_id);
        let ports = std::iter::once(to_router)
            .chain(enis.map(|e| claims.eni_port(e)))
            .chain(havips.map(|h| claims.havip_port(h)))
            .map(|p| (p.name.clone(), p))
            .collect();
        out.switches.insert(
            subnet.subnet_id.clone(),
            Switch {
                name: subnet.subnet_id.clone(),
                ports,
                ..Default::default()
            },
        );
    }
    out
}

/// Each enabled route of each route table as a static route of its VPC's router; the routed
/// block is allowed through the port security of the ENIs that may receive it.
fn static_routes<'a>(cloud: &'a Cloud, claims: &mut Claims<'a>, out: &mut Desired) {
    use crate::route_table::GatewayType;
    for t in cloud.route_tables.values() {
        let Some(router) = out.routers.get_mut(&t.vpc_id) else {
            continue;
        };
        for r in t.route_set.iter().filter(|r| r.enabled) {
            let (nexthop, receivers) = match r.gateway_type {
                GatewayType::NormalCvm => {
                    let eni = cloud.eni_with_ip(&t.vpc_id, &r.gateway_id);
                    let ids = eni.map(|e| e.network_interface_id.as_str());
                    (Some(r.gateway_id.as_str()), ids.into_iter().collect())
                }
                GatewayType::HaVip => {
                    let h = cloud.havips.get(&r.gateway_id);
                    let parents = h.and_then(|h| claims.parents.get(h.ha_vip_id.as_str()));
                    (
                        h.map(|h| h.vip.as_str()),
                        parents.cloned().unwrap_or_default(),
                    )
                }
            };
            let Some(nexthop) = nexthop else { continue };
            let key = format!("{} {}", t.vpc_id, r.destination_cidr_block);
            router.static_routes.insert(
                key.clone(),
                StaticRoute {
                    key,
                    ip_prefix: r.destination_cidr_block.clone(),
                    nexthop: nexthop.to_string(),
                },
            );
            for eni in receivers {
                let routed = claims.routed.entry(eni).or_default();
                routed.push(r.destination_cidr_block.as_str());
            }
        }
    }
}

/// The public switch of a VPC with EIPs.
pub fn public_switch_name(vpc_id: &str) -> String {
    format!("pub-{vpc_id}")
}

/// Makes each VPC with an EIP bound to one of its HAVIPs a gateway router on `chassis`: its
/// NAT rules, its port on its public switch, that switch with its `localnet` port.
fn gateways(cloud: &Cloud, chassis: &str, out: &mut Desired) {
    for h in cloud.havips.values().filter(|h| !h.address_ip.is_empty()) {
        let Some(router) = out.routers.get_mut(&h.vpc_id) else {
            continue;
        };
        router.nat.insert(
            h.address_ip.clone(),
            Nat {
                external_ip: h.address_ip.clone(),
                logical_ip: h.vip.clone(),
            },
        );
    }
    for router in out.routers.values_mut().filter(|r| !r.nat.is_empty()) {
        let switch = public_switch_name(&router.name);
        router.options.insert("chassis".into(), chassis.to_string());
        let lrp = RouterPort {
            name: router_port_name(&switch),
            mac: router_mac(&switch),
            networks: vec![format!("{GATEWAY_PORT_IP}/24")],
        };
        let to_router = SwitchPort {
            name: switch_router_port_name(&switch),
            kind: "router".into(),
            addresses: vec!["router".into()],
            options: [("router-port".to_string(), lrp.name.clone())].into(),
            ..Default::default()
        };
        let localnet = SwitchPort {
            name: localnet_port_name(&router.name),
            kind: "localnet".into(),
            addresses: vec!["unknown".into()],
            options: [("network_name".to_string(), PUBLIC_NETWORK.to_string())].into(),
            ..Default::default()
        };
        router.ports.insert(lrp.name.clone(), lrp);
        let ports = [to_router, localnet]
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect();
        let acl = only_eips_inbound(&router.name, router.nat.keys());
        out.switches.insert(
            switch.clone(),
            Switch {
                name: switch,
                ports,
                acls: [(acl.matches.clone(), acl)].into(),
            },
        );
    }
}

/// The `localnet` port of a VPC's public switch.
pub fn localnet_port_name(vpc_id: &str) -> String {
    format!("ln-{vpc_id}")
}

/// The public side reaches a VPC only through its EIPs: IPv4 from the provider network to any
/// other address (a server's private one, say, routed via the gateway port) is dropped as it
/// enters the public switch. ARP and replies to the VPC's own traffic are untouched.
fn only_eips_inbound<'a>(vpc_id: &str, eips: impl Iterator<Item = &'a String>) -> Acl {
    let eips: Vec<&str> = eips.map(String::as_str).collect();
    Acl {
        priority: 1000,
        direction: "from-lport".into(),
        matches: format!(
            "inport == \"{}\" && ip4 && !(ip4.dst == {{{}}})",
            localnet_port_name(vpc_id),
            eips.join(", ")
        ),
        action: "drop".into(),
    }
}

/// Which ENIs may claim which HAVIP, computed once for the whole state.
struct Claims<'a> {
    /// HaVipId -> the ENIs (ids) that may claim it.
    parents: BTreeMap<&'a str, Vec<&'a str>>,
    /// NetworkInterfaceId -> the VIPs it may claim.
    vips: BTreeMap<&'a str, Vec<&'a str>>,
    /// NetworkInterfaceId -> the blocks routes send to it (directly or by a HAVIP it may claim).
    routed: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Claims<'a> {
    fn of(cloud: &'a Cloud) -> Self {
        let mut held: BTreeMap<&str, usize> = BTreeMap::new();
        for h in cloud.havips.values() {
            *held.entry(h.network_interface_id.as_str()).or_default() += 1;
        }
        let mut enis_of_subnet: BTreeMap<&str, Vec<&NetworkInterface>> = BTreeMap::new();
        for e in cloud.enis.values() {
            enis_of_subnet
                .entry(e.subnet_id.as_str())
                .or_default()
                .push(e);
        }
        let mut claims = Claims {
            parents: BTreeMap::new(),
            vips: BTreeMap::new(),
            routed: BTreeMap::new(),
        };
        for h in cloud.havips.values() {
            let candidates = enis_of_subnet
                .get(h.subnet_id.as_str())
                .map_or(&[][..], Vec::as_slice);
            let parents: Vec<&str> = candidates
                .iter()
                .filter(|e| {
                    may_claim(
                        cloud,
                        h,
                        e,
                        held.get(e.network_interface_id.as_str())
                            .copied()
                            .unwrap_or(0),
                    )
                })
                .map(|e| e.network_interface_id.as_str())
                .collect();
            for p in &parents {
                claims.vips.entry(p).or_default().push(h.vip.as_str());
            }
            claims.parents.insert(h.ha_vip_id.as_str(), parents);
        }
        claims
    }

    fn eni_port(&self, eni: &NetworkInterface) -> SwitchPort {
        let own = std::iter::once(eni.mac_address.as_str())
            .chain(
                eni.private_ip_address_set
                    .iter()
                    .map(|p| p.private_ip_address.as_str()),
            )
            .collect::<Vec<_>>()
            .join(" ");
        let vips = self
            .vips
            .get(eni.network_interface_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let routed = self
            .routed
            .get(eni.network_interface_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let security = std::iter::once(own.as_str())
            .chain(vips.iter().copied())
            .chain(routed.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        SwitchPort {
            name: eni.network_interface_id.clone(),
            addresses: vec![own],
            port_security: vec![security],
            ..Default::default()
        }
    }

    fn havip_port(&self, h: &HaVip) -> SwitchPort {
        let mut options = BTreeMap::from([("virtual-ip".to_string(), h.vip.clone())]);
        match self.parents.get(h.ha_vip_id.as_str()) {
            Some(p) if !p.is_empty() => {
                options.insert("virtual-parents".into(), p.join(","));
            }
            _ => {}
        }
        SwitchPort {
            name: h.ha_vip_id.clone(),
            kind: "virtual".into(),
            options,
            ..Default::default()
        }
    }
}

/// Whether `eni` (holding `held` HAVIPs) may claim `h`: associated under CheckAssociate, and
/// under the per-ENI quota unless it holds `h` already.
fn may_claim(cloud: &Cloud, h: &HaVip, eni: &NetworkInterface, held: usize) -> bool {
    h.admits(eni)
        && (eni.network_interface_id == h.network_interface_id
            || held < cloud.quotas.havips_per_eni)
}
