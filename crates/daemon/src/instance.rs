//! One running virtual router as the daemon carries out its effects: interfaces, addresses,
//! destinations, sessions, notify queue. Its state machine lives in the [`node::Node`].

pub use crate::identity::Vmac;
use crate::identity::{self, Identity};
use crate::netlink::Netlink;
use crate::notify::Notifier;
use anyhow::{Context, Result, anyhow};
use conf::effective::Source;
use conf::model::{Config, VirtualAddress};
use conf::routes::{RouteSpec, RuleSpec};
use std::net::{IpAddr, Ipv6Addr};
use vrrp::auth_hmac::HmacSession;
use vrrp::{Family, Router};

/// A configured instance, ready to run.
pub struct Instance {
    /// Name.
    pub name: String,
    /// Its virtual router id.
    pub vrid: u8,
    /// Address family.
    pub family: Family,
    /// Interface name and index.
    pub ifname: String,
    /// Interface index.
    pub ifindex: u32,
    /// Interface MAC, for announcements.
    pub mac: [u8; 6],
    /// Source of our adverts.
    pub primary: IpAddr,
    /// Virtual addresses with their options, and their interface index.
    pub vips: Vec<(VirtualAddress, u32)>,
    /// `virtual_ipaddress_excluded`.
    pub excluded: Vec<(VirtualAddress, u32)>,
    /// `virtual_routes`, with the index of their `dev` (none for blackhole-like routes).
    pub routes: Vec<(RouteSpec, Option<u32>)>,
    /// `virtual_rules`.
    pub rules: Vec<RuleSpec>,
    /// Where adverts go.
    pub destinations: Vec<IpAddr>,
    /// Notify scripts that may run, each with its kind (`notify_master`, ..., `notify`) and user.
    pub scripts: Vec<crate::notify::NotifyScript>,
    /// Script queue.
    pub notifier: Notifier,
    /// The VMAC interface (`use_vmac`), if any.
    pub vmac: Option<Vmac>,
    /// Interface adverts are sent from (the VMAC unless `vmac_xmit_base`).
    pub xmit_index: u32,
    /// What must stay equal across a reload for the instance to keep running untouched.
    pub identity: Identity,
    /// `auth_hmac` signing and verification (outside the fingerprint: a reload changes keys
    /// and modes in place, without a flap).
    pub auth: Option<HmacSession>,
    /// When each kind of rejected advert was last logged.
    pub auth_log: crate::rejection_log::RejectionLog,
    /// `auth_type AH`: key, sequence counter, rejections (kept by a reload, as keepalived
    /// keeps `ipsecah_counter`).
    pub ah: Option<vrrp::ah::AhSession>,
    /// When the last advert reached the router.
    pub last_advert: Option<tokio::time::Instant>,
    /// The last transition.
    pub last_transition: Option<ctl::EventRecord>,
    /// Packets the kernel refused to send.
    pub send_errors: crate::send_errors::SendErrors,
    /// Its last advert's copies, sent again while the advert stays the same.
    pub encoded: crate::encoded::Encoded,
    /// The options KEEPALIVED-MIB shows.
    pub mib_options: conf::snmp::InstanceOptions,
}

/// The VRRP virtual MAC of a VRID (RFC 5798 §7.3).
pub fn virtual_mac(family: Family, vrid: u8) -> [u8; 6] {
    let kind = if family == Family::Ipv4 { 1 } else { 2 };
    [0x00, 0x00, 0x5e, 0x00, kind, vrid]
}

impl Instance {
    /// The channel (and so the socket) its adverts go and come by.
    pub fn channel(&self) -> crate::sockets::Channel {
        crate::sockets::Channel::of(self.family, self.ah.is_some())
    }

    /// Takes the `auth_hmac` settings of the same instance from a new configuration, keeping
    /// the sequence sent so far and the replay marks.
    pub fn adopt_auth(&mut self, new: Option<HmacSession>) {
        let peers = unicast_peers(&self.identity.router);
        self.auth = match (self.auth.take(), new) {
            (Some(mut old), Some(new)) => {
                old.reconfigure(new.config().clone(), &peers);
                Some(old)
            }
            (_, new) => new,
        };
    }

    /// Takes the AH state of the same instance before a reload: its sequence counter and IP
    /// identification go on (keepalived copies `ipsecah_counter`), with the new key.
    pub fn adopt_ah(&mut self, old: Option<&vrrp::ah::AhSession>) {
        if let (Some(new), Some(old)) = (&mut self.ah, old) {
            new.carry_over(old);
        }
    }

    /// MAC that announcements carry and the interface they leave by.
    pub fn announce_from(&self) -> ([u8; 6], u32) {
        match &self.vmac {
            Some(v) => (v.mac, v.index),
            None => (self.mac, self.ifindex),
        }
    }
}

impl Instance {
    /// Whether the instance runs on interface `name` (its own, or its VMAC's base) under an
    /// index other than `index`: the interface was re-created.
    pub fn uses_other_index(&self, name: &str, index: u32) -> bool {
        self.ifname == name && self.ifindex != index
    }
}

/// What [`build`] makes of a config: the instances as the daemon runs them, their routers as
/// the node's members (in the same order), and the notify workers.
pub struct Built {
    /// The instances.
    pub instances: Vec<Instance>,
    /// Their routers.
    pub members: Vec<node::Member>,
    /// Their notify workers.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Builds the runnable instances of a checked config, looking interfaces and addresses up.
pub async fn build(cfg: &Config, nl: &Netlink) -> Result<Built> {
    let mut built = Built {
        instances: Vec::with_capacity(cfg.instances.len()),
        members: Vec::with_capacity(cfg.instances.len()),
        tasks: Vec::new(),
    };
    for ci in &cfg.instances {
        let (instance, member) = build_one(cfg, ci, nl, &mut built.tasks).await?;
        built.instances.push(instance);
        built.members.push(member);
    }
    Ok(built)
}

/// The instance's interface, with its resolved settings and the address it advertises from.
async fn resolve(
    cfg: &Config,
    ci: &conf::model::Instance,
    nl: &Netlink,
) -> Result<(conf::effective::Effective, crate::netlink::Link, IpAddr)> {
    let ifname = ci
        .interface()
        .ok_or_else(|| anyhow!("({}) no interface", ci.name))?;
    let link = nl
        .link(ifname)
        .await
        .with_context(|| format!("({}) interface", ci.name))?;
    let primary = match conf::effective::advertises_from(ci) {
        Source::Configured(a) => a,
        Source::Interface(family) => interface_address(nl, link.index, family).await?,
    };
    let e = conf::effective::resolve(cfg, ci, Some(primary)).map_err(|e| anyhow!(e))?;
    Ok((e, link, primary))
}

/// Where the instance's adverts go: its unicast peers, else its multicast group.
fn destinations(cfg: &Config, ci: &conf::model::Instance, r: &vrrp::RouterConfig) -> Vec<IpAddr> {
    if r.unicast_peers.is_empty() {
        vec![conf::mcast_group::group(cfg, ci)]
    } else {
        r.unicast_peers.iter().map(|p| p.addr).collect()
    }
}

/// The instance's `auth_hmac` session, if it has one.
fn hmac_session(e: &conf::effective::Effective) -> Option<HmacSession> {
    let r = &e.router;
    let peers = unicast_peers(r);
    (e.auth_hmac.clone()).map(|h| HmacSession::new(h, r.version, r.vrid, &peers))
}

/// One instance of a checked config, with its router (its notify worker, if it has notify
/// scripts, joins `tasks`).
async fn build_one(
    cfg: &Config,
    ci: &conf::model::Instance,
    nl: &Netlink,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Result<(Instance, node::Member)> {
    let (e, link, primary) = resolve(cfg, ci, nl).await?;
    let ifname = ci.interface().unwrap_or_default().to_string();
    let family = Family::of(&primary);
    let router = Router::new(e.router.clone()).map_err(|err| anyhow!("({}) {err}", ci.name))?;
    let destinations = destinations(cfg, ci, &e.router);
    let vmac = vmac_of(nl, ci, link.index, primary, e.router.vrid).await?;
    let vip_index = vmac.as_ref().map_or(link.index, |v| v.index);
    let xmit_index = match &vmac {
        Some(v) if !ci.vmac_xmit_base() => v.index,
        _ => link.index,
    };
    let vips = addresses_with_index(nl, &ci.vips, vip_index, Some(family)).await?;
    let excluded = addresses_with_index(nl, &ci.excluded_vips, vip_index, None).await?;
    let vroutes = virtual_routes(nl, ci, vip_index).await?;
    let vrules: Vec<RuleSpec> = ci.rules.iter().map(|r| r.value.clone()).collect();
    let identity = Identity {
        router: e.router.clone(),
        ifname: ifname.clone(),
        addresses: identity::installed(vips.iter().chain(&excluded)),
        destinations: destinations.clone(),
        notify: e.notify.clone(),
        vmac: vmac.clone(),
        xmit_index,
        routes: vroutes.clone(),
        rules: vrules.clone(),
    };
    let auth = hmac_session(&e);
    let scripts = crate::notify::resolve(&ci.name, &e.notify, &cfg.global);
    let notifier = notifier_for(&ci.name, &scripts, tasks);
    let member = node::Member::new(ci.name.clone(), router);
    let instance = Instance {
        name: ci.name.clone(),
        vrid: e.router.vrid,
        family,
        mac: link
            .mac
            .get(..6)
            .and_then(|m| m.try_into().ok())
            .unwrap_or([0; 6]),
        ifindex: link.index,
        ifname,
        primary,
        vips,
        excluded,
        routes: vroutes,
        rules: vrules,
        destinations,
        scripts,
        notifier,
        vmac,
        xmit_index,
        identity,
        auth,
        auth_log: Default::default(),
        ah: e
            .ah_key
            .clone()
            .map(|k| vrrp::ah::AhSession::new(k, !e.router.unicast_peers.is_empty())),
        last_advert: None,
        last_transition: None,
        mib_options: conf::snmp::instance_options(cfg, ci),
        send_errors: Default::default(),
        encoded: Default::default(),
    };
    Ok((instance, member))
}

/// The instance's VMAC (`use_vmac`), found or created on its interface `base`.
async fn vmac_of(
    nl: &Netlink,
    ci: &conf::model::Instance,
    base: u32,
    source: IpAddr,
    vrid: u8,
) -> Result<Option<Vmac>> {
    let Some(name) = ci.vmac() else {
        return Ok(None);
    };
    let v = vmac(nl, ci, name, base, source, vrid)
        .await
        .with_context(|| format!("({}) use_vmac", ci.name))?;
    Ok(Some(v))
}

/// The notify queue of instance `name`: idle without `scripts`, else a worker of its own
/// (which joins `tasks`).
fn notifier_for(
    name: &str,
    scripts: &[crate::notify::NotifyScript],
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Notifier {
    if scripts.is_empty() {
        return Notifier::idle();
    }
    let (notifier, task) = Notifier::spawn(name.to_string());
    tasks.push(task);
    notifier
}

/// The instance's `virtual_routes`, each with the index of its `dev` (the VIPs' interface,
/// `vip_index`, when it names none; none for blackhole-like routes).
async fn virtual_routes(
    nl: &Netlink,
    ci: &conf::model::Instance,
    vip_index: u32,
) -> Result<Vec<(RouteSpec, Option<u32>)>> {
    let mut out = Vec::with_capacity(ci.routes.len());
    for entry in &ci.routes {
        let r = entry.value.clone();
        let index = match (&r.dev, &r.kind) {
            (_, Some(_)) => None,
            (Some(dev), None) => Some(
                nl.link(dev)
                    .await
                    .with_context(|| format!("{}: ({}) virtual_routes", entry.loc, ci.name))?
                    .index,
            ),
            (None, None) => Some(vip_index),
        };
        out.push((r, index));
    }
    Ok(out)
}

/// The unicast peers' addresses (empty for multicast).
fn unicast_peers(cfg: &vrrp::RouterConfig) -> Vec<IpAddr> {
    cfg.unicast_peers.iter().map(|p| p.addr).collect()
}

/// Finds or creates the instance's VMAC interface on `base`.
async fn vmac(
    nl: &Netlink,
    ci: &conf::model::Instance,
    name: String,
    base: u32,
    source: IpAddr,
    vrid: u8,
) -> Result<Vmac> {
    let family = Family::of(&source);
    let mac = virtual_mac(family, vrid);
    let index = match nl.find_link(&name).await? {
        Some(l) if l.mac == mac => l.index,
        Some(_) => {
            return Err(anyhow!(
                "({}) interface {name} exists with another MAC address",
                ci.name
            ));
        }
        None => {
            let index = nl.add_macvlan(&name, base, mac).await?;
            if let IpAddr::V6(source) = source {
                ipv6_source_on(nl, &name, index, source).await?;
            }
            nl.set_up(index).await?;
            index
        }
    };
    // As keepalived: only the VMAC answers ARP for the VIPs it holds, with its virtual MAC; it
    // hears adverts and traffic for addresses it holds (accept_local, no reverse-path
    // filter); the base answers for its own addresses only. Beyond keepalived: the base asks
    // for neighbours from its own address (arp_announce 2), so a reply leaving it from a VIP
    // does not teach the neighbour the base's MAC for the VIP.
    let base_name = ci.interface().unwrap_or_default();
    let mut own = vec![("arp_ignore", "1")];
    if family == Family::Ipv4 {
        own.extend([
            ("accept_local", "1"),
            ("rp_filter", "0"),
            ("promote_secondaries", "1"),
        ]);
        // The base's settings are put back when no VMAC needs them (base_sysctls.rs).
        for (key, value) in [
            ("arp_ignore", "1"),
            ("arp_filter", "1"),
            ("arp_announce", "2"),
        ] {
            if let Err(e) = crate::base_sysctls::set(base_name, key, value) {
                tracing::warn!(interface = %base_name, key, error = %e, "sysctl not set");
            }
        }
    }
    // The VMAC's own settings go with it.
    for (key, value) in own {
        let path = format!("/proc/sys/net/ipv4/conf/{name}/{key}");
        if let Err(e) = std::fs::write(&path, value) {
            tracing::warn!(%path, error = %e, "sysctl not set");
        }
    }
    Ok(Vmac { name, index, mac })
}

/// As keepalived: an IPv6 VMAC gets no address of its own making (addr_gen_mode none, set
/// before it is up) but the link-local address the instance advertises from, so adverts leave
/// it from that address with the virtual MAC.
async fn ipv6_source_on(nl: &Netlink, name: &str, index: u32, source: Ipv6Addr) -> Result<()> {
    let path = format!("/proc/sys/net/ipv6/conf/{name}/addr_gen_mode");
    std::fs::write(&path, "1").with_context(|| format!("setting {path}"))?;
    nl.add_link_local(index, source).await
}

/// The addresses (of `only` this family, if given; mixed ones were diagnosed by the check)
/// with the index of their `dev`, or of the instance's interface.
async fn addresses_with_index(
    nl: &Netlink,
    list: &[VirtualAddress],
    default: u32,
    only: Option<Family>,
) -> Result<Vec<(VirtualAddress, u32)>> {
    let wanted = |v: &&VirtualAddress| only.is_none_or(|f| Family::of(&v.addr) == f);
    let mut out = Vec::with_capacity(list.iter().filter(wanted).count());
    for v in list.iter().filter(wanted) {
        let index = match &v.dev {
            Some(dev) => {
                nl.link(dev)
                    .await
                    .with_context(|| format!("dev {dev} of {}", v.addr))?
                    .index
            }
            None => default,
        };
        out.push((v.clone(), index));
    }
    Ok(out)
}

/// The address keepalived would advertise from: the interface's first IPv4 address, or its
/// IPv6 link-local address.
async fn interface_address(nl: &Netlink, index: u32, family: Family) -> Result<IpAddr> {
    let addrs: Vec<IpAddr> = nl.addresses(index).await?.iter().map(|(a, _)| *a).collect();
    conf::effective::interface_source(family, &addrs)
        .ok_or_else(|| anyhow!("interface {index} has no {family:?} address to advertise from"))
}
