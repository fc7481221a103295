//! Putting the daemon together from a checked config: the instances and their node, the
//! sockets they need, the FIFOs, the watchers, and the executors around them.

use crate::configure;
use crate::instance::Instance;
use crate::observe::Reports;
use crate::run::{Daemon, Setup};
use crate::sockets::VrrpSocket;
use crate::state_files::StateFiles;
use anyhow::{Context, Result};
use conf::model::Config;
use conf::reader::MemoryFiles;
use tracing::info;
use vrrp::Family;

/// The daemon of `config` (the runnable part of the files in `source`), writing into `state`,
/// its watchers reporting to `reports`.
pub async fn assemble(
    config: Config,
    source: MemoryFiles,
    setup: Setup,
    state: StateFiles,
    reports: Reports,
) -> Result<Daemon> {
    let netlink = crate::netlink::Netlink::connect()?;
    let (config, awaited) = configure::without_awaited(config);
    let mut configured = configure::configure(&config, &netlink).await?;
    let mut sockets = [None, None, None];
    open_needed(&configured.instances, &mut sockets)?;
    let [sock4, sock6, sock_ah] = sockets;
    let fifo = crate::notify_fifo::NotifyFifos::open(&config);
    let startup_delay = conf::effective::startup_delay(&config, crate::clock::since_boot());
    if startup_delay > vrrp::Micros::ZERO {
        info!(seconds = startup_delay.0 as f64 / 1e6, "delaying startup");
    }
    configure::read_track_files(&config, &mut configured.tracker).await;
    let watchers = configure::spawn_watchers(&config, &mut configured.tracker, &reports, &awaited)?;
    let node = node::Node::new(
        configured.members,
        configured.tracker,
        node::pacing::Pacer::new(&config),
        vrrp::Timestamp(startup_delay.0),
    );
    // The model is rebuilt from `source` when needed; it does not stay resident meanwhile.
    let instances: node::ById<Instance> = configured.instances.into();
    Ok(Daemon {
        node,
        by_vrid: crate::by_vrid::ByVrid::new(&instances),
        instances,
        effects: Vec::new(),
        netlink,
        packets: crate::packet_socket::PacketSender::new()
            .context("packet socket for announcements")?,
        state,
        clock: crate::clock::Clock::new(),
        sock4,
        sock6,
        sock_ah,
        dropped: Default::default(),
        backlog: Default::default(),
        outbox: None,
        fifo,
        mail: crate::mail::Mailer::new(&config),
        accept_mode: crate::accept_mode::AcceptMode::new(&config),
        awaited,
        dumps: conf::dump_files::dump_files(&config, &conf::dump_files::tmp_dir()),
        source,
        setup,
        watchers,
        notify_tasks: configured.notify_tasks,
        reports,
        events: Default::default(),
        started: hostsys::clock::unix_secs(),
        systemd: crate::systemd::Systemd::from_env(),
        recorder: Default::default(),
        reloads: tokio::sync::watch::Sender::new(0),
        dbus: Default::default(),
        movers: Default::default(),
    })
}

/// Opens the IPv4, IPv6 and AH sockets (in this order in `sockets`) that `instances` need and
/// that are not open yet.
pub fn open_needed(instances: &[Instance], sockets: &mut [Option<VrrpSocket>; 3]) -> Result<()> {
    let needs = |f: Family| instances.iter().any(|i| i.family == f);
    let [sock4, sock6, sock_ah] = sockets;
    if needs(Family::Ipv4) && sock4.is_none() {
        *sock4 = Some(VrrpSocket::open(Family::Ipv4).context("IPv4 VRRP socket")?);
    }
    if needs(Family::Ipv6) && sock6.is_none() {
        *sock6 = Some(VrrpSocket::open(Family::Ipv6).context("IPv6 VRRP socket")?);
    }
    if instances.iter().any(|i| i.ah.is_some()) && sock_ah.is_none() {
        *sock_ah = Some(VrrpSocket::open_ah().context("AH socket")?);
    }
    Ok(())
}
