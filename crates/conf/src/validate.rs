//! Cross-checks with keepalived 2.2.7's semantics: what it refuses, resets, ignores or warns
//! about once the whole file is read. Each finding names the line that causes it.

use crate::diag::{Diagnostic, Location, Severity};
use crate::host::{Host, ScriptFile};
use crate::model::{Config, Instance};
use std::collections::HashMap;
use std::net::IpAddr;

pub use crate::family::{is_ipv6, version};

/// Runs every check; `host` adds the checks that depend on this machine.
pub fn validate(cfg: &Config, host: Option<&dyn Host>, diags: &mut Vec<Diagnostic>) {
    let mut seen_vrids: HashMap<VridSpace, Vec<&Instance>> = HashMap::new();
    for i in &cfg.instances {
        instance(cfg, i, diags);
        if let Some(space) = vrid_space(cfg, i) {
            let others = seen_vrids.entry(space).or_default();
            if let Some(first) = others.iter().find(|o| unicast_conflict(o, i)) {
                diags.push(duplicate_vrid(i, first));
            }
            others.push(i);
        }
    }
    crate::mcast_group::check(cfg, diags);
    crate::bfd_refs::validate(cfg, diags);
    crate::dbus::check(cfg, diags);
    for g in &cfg.sync_groups {
        for m in &g.members {
            if !cfg.instances.iter().any(|i| i.name == m.name) {
                diags.push(Diagnostic::new(Severity::Error, "undefined-reference", m.loc.clone(), m.name.clone(), format!("sync group {} lists `{}`, which is not a vrrp_instance; keepalived ignores it", g.name, m.name)));
            }
        }
        if g.members.len() < 2 {
            diags.push(Diagnostic::new(
                Severity::Warning,
                "sync-group-size",
                g.loc.clone(),
                format!("vrrp_sync_group {}", g.name),
                "a sync group of fewer than two instances does nothing",
            ));
        }
        for s in &g.track_scripts {
            undefined_script(cfg, &s.name, &s.loc, diags);
        }
        let process_defined = |n: &str| cfg.track_processes.contains_key(n);
        undefined_refs(
            "track_process",
            &g.name,
            &g.track_processes,
            &process_defined,
            diags,
        );
    }
    script_security(cfg, host, diags);
    if let Some(h) = host {
        host_checks(cfg, h, diags);
    }
}

/// Where a VRID must be unique (keepalived's `check_vrid_conflicts`): interface, family and
/// VRID, and the multicast group for a multicasting instance (`None`: unicast, a space apart).
type VridSpace = (String, bool, u8, Option<IpAddr>);

fn vrid_space(cfg: &Config, i: &Instance) -> Option<VridSpace> {
    let group = i
        .unicast_peers
        .is_empty()
        .then(|| crate::mcast_group::group(cfg, i));
    Some((i.interface()?.to_string(), is_ipv6(i), i.vrid()?, group))
}

/// Whether two instances of one VRID space conflict: multicasting ones always; unicasting ones
/// when their source addresses are the same (both configured alike, or both the interface's)
/// and they share a peer.
fn unicast_conflict(a: &Instance, b: &Instance) -> bool {
    let src = |i: &Instance| {
        i.settings
            .ip("unicast_src_ip")
            .or_else(|| i.settings.ip("mcast_src_ip"))
    };
    a.unicast_peers.is_empty()
        || (src(a) == src(b)
            && a.unicast_peers
                .iter()
                .any(|p| b.unicast_peers.iter().any(|q| q.addr == p.addr)))
}

/// An instance name that is not a plain file name (keepalived runs it; havipd too).
fn unsafe_file_name(i: &Instance) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        "instance-file-name",
        i.loc.clone(),
        format!("vrrp_instance {}", i.name),
        format!(
            "({}) the instance name is not a plain file name (a `/`, `%`, control character or leading `.`): havipd writes its state as `{}` in its state directory; keepalived runs it as it is",
            i.name,
            crate::state_file::state_file_name(&i.name)
        ),
    )
    .hint("name instances with letters, digits, `_`, `-` and `.`")
}

fn duplicate_vrid(i: &Instance, first: &Instance) -> Diagnostic {
    let vrid = i.vrid().unwrap_or(0);
    let ifname = i.interface().unwrap_or("");
    let loc = i
        .settings
        .loc("virtual_router_id")
        .cloned()
        .unwrap_or_else(|| i.loc.clone());
    Diagnostic::new(
        Severity::Error,
        "duplicate-vrid",
        loc,
        format!("virtual_router_id {vrid}"),
        format!(
            "VRID {vrid} is already used on {ifname} by {} ({}); keepalived refuses to run two",
            first.name, first.loc
        ),
    )
    .hint("give every virtual router on a LAN its own virtual_router_id")
}

fn instance(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let s = &i.settings;
    let at = |key: &str| s.loc(key).cloned().unwrap_or_else(|| i.loc.clone());
    if !crate::state_file::is_plain_file_name(&i.name) {
        diags.push(unsafe_file_name(i));
    }
    if i.vrid().is_none() {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "missing-vrid",
                i.loc.clone(),
                format!("vrrp_instance {}", i.name),
                format!(
                    "({}) the virtual router id must be set; keepalived drops this instance",
                    i.name
                ),
            )
            .hint("add `virtual_router_id N` (1-255), unique per cluster in the subnet"),
        );
    }
    if i.interface().is_none() && i.unicast_peers.is_empty() {
        diags.push(Diagnostic::new(
            Severity::Error,
            "missing-interface",
            i.loc.clone(),
            format!("vrrp_instance {}", i.name),
            format!(
                "({}) no `interface` and no unicast peers; keepalived cannot run it",
                i.name
            ),
        ));
    }
    if let Some(st) = s.str("state")
        && st != "MASTER"
        && st != "BACKUP"
    {
        let mut d = Diagnostic::new(
            Severity::Warning,
            "unknown-state",
            at("state"),
            format!("state {st}"),
            format!("({}) unknown state `{st}`, defaulting to BACKUP", i.name),
        );
        d = d.hint(
            if st.eq_ignore_ascii_case("master") || st.eq_ignore_ascii_case("backup") {
                "the value is case-sensitive: MASTER or BACKUP".to_string()
            } else {
                "state takes MASTER or BACKUP; translated guides sometimes translate the value too"
                    .to_string()
            },
        );
        diags.push(d);
    }
    let v = version(cfg, i);
    if v == 3
        && i.settings.int("version").is_none()
        && cfg.global.settings.int("vrrp_version").unwrap_or(2) == 2
        && is_ipv6(i)
    {
        diags.push(Diagnostic::new(
            Severity::Info,
            "ipv6-uses-v3",
            i.loc.clone(),
            format!("vrrp_instance {}", i.name),
            "IPv6 addresses: VRRPv2 has no IPv6, so version 3 is used",
        ));
    }
    advert_int(i, v, diags);
    instance_preemption(cfg, i, diags);
    instance_auth_and_addresses(cfg, i, diags);
    instance_peers_and_tracking(cfg, i, diags);
}

/// An instance's `nopreempt` and `preempt_delay` against its initial state.
fn instance_preemption(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let s = &i.settings;
    let at = |key: &str| s.loc(key).cloned().unwrap_or_else(|| i.loc.clone());
    if s.has("nopreempt")
        && crate::legacy_auth::initial_state(cfg, i) == crate::model::InitialState::Master
    {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "nopreempt-master",
                at("nopreempt"),
                s.text("nopreempt"),
                format!(
                    "({}) nopreempt does not work with initial state MASTER; keepalived clears it",
                    i.name
                ),
            )
            .hint("use `state BACKUP` on both servers with nopreempt"),
        );
    }
    if s.has("nopreempt") && s.micros("preempt_delay").is_some_and(|d| d > 0) {
        diags.push(Diagnostic::new(Severity::Warning, "preempt-delay-nopreempt", at("preempt_delay"), "preempt_delay", format!("({}) preempt_delay is incompatible with nopreempt; keepalived resets it to 0", i.name)).hint("remove preempt_delay, or remove nopreempt if the primary should take back its role"));
    }
}

/// An instance's authentication, address family, accept mode and virtual addresses.
fn instance_auth_and_addresses(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let s = &i.settings;
    let v = version(cfg, i);
    if let Some(h) = &i.auth_hmac {
        auth_hmac(cfg, i, h, diags);
    } else {
        crate::legacy_auth::check(cfg, i, diags);
    }
    // The instance's family is that of its first address; excluded addresses may be of either.
    let fam6 = is_ipv6(i);
    if let Some(loc) = s.loc("native_ipv6")
        && !fam6
    {
        diags.push(Diagnostic::new(Severity::Error, "native-ipv6-ignored", loc.clone(), "native_ipv6", format!("({}) native_ipv6 after an IPv4 address: keepalived ignores it and runs the instance over IPv4", i.name)).hint("write native_ipv6 before virtual_ipaddress and unicast_src_ip"));
    }
    if let Some(loc) = s.loc("accept")
        && v == 2
        && !crate::accept_mode::accepts(cfg, i)
        && i.priority() != vrrp::PRIORITY_OWNER
        && s.loc("no_accept").is_none_or(|n| n < loc)
    {
        diags.push(Diagnostic::new(Severity::Warning, "accept-v2-strict", loc.clone(), "accept", format!("({}) accept mode for VRRPv2 does not comply with RFC 3768 in strict mode; keepalived turns it off", i.name)).hint("use VRRPv3 (`version 3`) for accept mode under vrrp_strict"));
    }
    for va in i.vips.iter().filter(|va| va.addr.is_ipv6() != fam6) {
        diags.push(Diagnostic::new(Severity::Error, "mixed-family", va.loc.clone(), va.addr.to_string(), format!("({}) {} is not of the instance's address family; keepalived ignores it", i.name, va.addr)).hint("put IPv4 and IPv6 addresses in separate instances, or the other family in virtual_ipaddress_excluded"));
    }
    if i.vips.is_empty() {
        diags.push(no_vip(cfg, i));
    }
    if let Some(("lo", loc)) = i.interface_at() {
        diags.push(Diagnostic::new(Severity::Warning, "loopback-interface", loc.clone(), "interface lo", format!("({}) keepalived cannot use a loopback interface for VRRP: it ignores it and will not start; havipd runs on it (for tests on one host)", i.name)).hint("name the interface the peers share"));
    }
}

/// An instance's unicast peers and the objects it tracks.
fn instance_peers_and_tracking(cfg: &Config, i: &Instance, diags: &mut Vec<Diagnostic>) {
    let fam6 = is_ipv6(i);
    let s = &i.settings;
    let src = s.ip("unicast_src_ip");
    for p in &i.unicast_peers {
        if Some(p.addr) == src {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "peer-is-self",
                    p.loc.clone(),
                    p.addr.to_string(),
                    "this unicast peer is our own unicast_src_ip",
                )
                .hint("list the other server's address"),
            );
        }
        if p.addr.is_ipv6() != src.map_or(fam6, |a: IpAddr| a.is_ipv6()) {
            diags.push(Diagnostic::new(
                Severity::Error,
                "mixed-family",
                p.loc.clone(),
                p.addr.to_string(),
                "unicast peer of the other address family; keepalived ignores it",
            ));
        }
    }
    for t in &i.track_scripts {
        undefined_script(cfg, &t.name, &t.loc, diags);
    }
    let file_defined = |n: &str| cfg.track_files.contains_key(n);
    let process_defined = |n: &str| cfg.track_processes.contains_key(n);
    undefined_refs("track_file", &i.name, &i.track_files, &file_defined, diags);
    undefined_refs(
        "track_process",
        &i.name,
        &i.track_processes,
        &process_defined,
        diags,
    );
    for (k, t) in i.track_processes.iter().enumerate() {
        if i.track_processes[..k].iter().any(|o| o.name == t.name) {
            diags.push(Diagnostic::new(
                Severity::Warning,
                "duplicate-reference",
                t.loc.clone(),
                t.name.clone(),
                format!(
                    "({}) track_process {} is listed twice; keepalived ignores this one",
                    i.name, t.name
                ),
            ));
        }
    }
}

/// References of `owner` (an instance or a sync group) to `kind`s that are not defined.
fn undefined_refs(
    kind: &str,
    owner: &str,
    refs: &[crate::model::TrackRef],
    defined: &dyn Fn(&str) -> bool,
    diags: &mut Vec<Diagnostic>,
) {
    for t in refs.iter().filter(|t| !defined(&t.name)) {
        diags.push(Diagnostic::new(
            Severity::Error,
            "undefined-reference",
            t.loc.clone(),
            t.name.clone(),
            format!(
                "({owner}) {kind} {} is not defined; keepalived ignores it",
                t.name
            ),
        ));
    }
}

fn undefined_script(cfg: &Config, name: &str, loc: &Location, diags: &mut Vec<Diagnostic>) {
    if cfg.scripts.contains_key(name) {
        return;
    }
    let mut d = Diagnostic::new(
        Severity::Error,
        "undefined-reference",
        loc.clone(),
        name.to_string(),
        format!("track script {name} not found; keepalived ignores it and nothing is tracked"),
    );
    d = match crate::build::values::nearest(name, cfg.scripts.keys().map(String::as_str)) {
        Some(n) => d.hint(format!("did you mean `{n}`?")),
        None => d.hint(format!(
            "define it: vrrp_script {name} {{ script \"...\" interval N }}"
        )),
    };
    diags.push(d);
}

fn advert_int(i: &Instance, version: u8, diags: &mut Vec<Diagnostic>) {
    let Some(us) = i.settings.micros("advert_int") else {
        return;
    };
    let loc = i
        .settings
        .loc("advert_int")
        .cloned()
        .unwrap_or_else(|| i.loc.clone());
    let text = i.settings.text("advert_int");
    if version == 2 && us % 1_000_000 != 0 {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "advert-int-rounded",
                loc,
                text,
                format!(
                    "VRRPv2 carries whole seconds: {} s is rounded to {} s",
                    us as f64 / 1e6,
                    (us as f64 / 1e6).round().max(1.0)
                ),
            )
            .hint("use `version 3` for sub-second intervals"),
        );
    } else if version == 3 && (us % 10_000 != 0 || us > 40_950_000) {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "advert-int-rounded",
            loc,
            text,
            "VRRPv3 carries centiseconds up to 40.95 s; the value is rounded/clamped",
        ));
    }
}

/// keepalived's script security: scripts (track, notify, FIFO) without
/// `enable_script_security`. With `host`, only scripts found on it count: keepalived drops a
/// missing one before it looks at security.
fn script_security(cfg: &Config, host: Option<&dyn Host>, diags: &mut Vec<Diagnostic>) {
    if cfg.global.settings.has("enable_script_security") {
        return;
    }
    let found = |command: &str| {
        host.is_none_or(|h| {
            let path = command.split_whitespace().next().unwrap_or("");
            h.script(&resolve_command(path)) != ScriptFile::Missing
        })
    };
    let first = scripts_run(cfg)
        .into_iter()
        .filter(|(command, _)| found(command))
        .map(|(_, loc)| loc)
        .min();
    if let Some(loc) = first {
        diags.push(Diagnostic::new(Severity::Warning, "script-security", loc, "", "scripts are configured but enable_script_security is not set: keepalived runs them as root and `keepalived -t` exits with 6").hint("add `enable_script_security` and `script_user USER` to global_defs, and make the scripts writable by root only"));
    }
}

/// Every script keepalived runs, with where it is set: track scripts, notify scripts of
/// instances and sync groups, the notify FIFOs' scripts.
fn scripts_run(cfg: &Config) -> Vec<(String, Location)> {
    let mut out: Vec<(String, Location)> = cfg
        .scripts
        .values()
        .filter_map(|s| {
            let cmd = s.settings.script("script")?;
            Some((cmd.command.clone(), s.loc.clone()))
        })
        .collect();
    let sections = cfg
        .instances
        .iter()
        .map(|i| &i.settings)
        .chain(cfg.sync_groups.iter().map(|g| &g.settings));
    for settings in sections {
        for key in crate::model::NOTIFY_KEYS {
            if let (Some(cmd), Some(loc)) = (settings.script(key), settings.loc(key)) {
                out.push((cmd.command.clone(), loc.clone()));
            }
        }
    }
    let g = &cfg.global.settings;
    for key in ["notify_fifo_script", "vrrp_notify_fifo_script"] {
        if let (Some(cmd), Some(loc)) = (g.script(key), g.loc(key)) {
            out.push((cmd.command.clone(), loc.clone()));
        }
    }
    out
}

/// A command's path: as written when it has a `/`, else found on PATH as keepalived finds it.
fn resolve_command(word: &str) -> String {
    if word.contains('/') {
        return word.to_string();
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(word))
        .find(|p| p.is_file())
        .map_or_else(|| word.to_string(), |p| p.display().to_string())
}

fn host_checks(cfg: &Config, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    script_users(cfg, host, diags);
    for i in &cfg.instances {
        if let Some(ifname) = i.interface()
            && !host.interface_exists(ifname)
        {
            let loc = i
                .settings
                .loc("interface")
                .cloned()
                .unwrap_or_else(|| i.loc.clone());
            let d = if crate::effective::dynamic_interfaces(cfg) {
                Diagnostic::new(
                    Severity::Warning,
                    "no-such-interface",
                    loc,
                    format!("interface {ifname}"),
                    format!(
                        "({}) interface {ifname} does not exist yet; with dynamic_interfaces the instance waits for it",
                        i.name
                    ),
                )
            } else {
                Diagnostic::new(Severity::Error, "no-such-interface", loc, format!("interface {ifname}"), format!("({}) interface {ifname} does not exist on this host; keepalived will not start", i.name)).hint("check `ip link`; pass --no-host-checks when checking a config meant for another machine, or set dynamic_interfaces")
            };
            diags.push(d);
        }
        for t in &i.track_interfaces {
            if Some(t.name.as_str()) != i.interface() && !host.interface_exists(&t.name) {
                diags.push(Diagnostic::new(
                    Severity::Error,
                    "no-such-interface",
                    t.loc.clone(),
                    t.name.clone(),
                    format!(
                        "({}) tracked interface {} does not exist on this host",
                        i.name, t.name
                    ),
                ));
            }
        }
    }
    absent_devices(cfg, host, diags);
    absent_notify_scripts(cfg, host, diags);
    absent_track_scripts(cfg, host, diags);
}

/// `vrrp_script` commands not on this host (keepalived disables them).
fn absent_track_scripts(cfg: &Config, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    for s in cfg.scripts.values() {
        let Some(cmd) = s.settings.script("script") else {
            continue;
        };
        let word = cmd.command.split_whitespace().next().unwrap_or("");
        // keepalived looks a command without a `/` up on PATH.
        let path = &resolve_command(word);
        let found = if path.contains('/') {
            host.script(path)
        } else {
            ScriptFile::Missing
        };
        let problem = match found {
            ScriptFile::Executable => continue,
            ScriptFile::Missing if !path.contains('/') => "is not found on PATH",
            ScriptFile::Missing => "does not exist",
            ScriptFile::NotExecutable => "is not executable",
        };
        let loc = s
            .settings
            .loc("script")
            .cloned()
            .unwrap_or_else(|| s.loc.clone());
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "script-not-found",
                loc,
                cmd.command.clone(),
                format!(
                    "{path} {problem} on this host; keepalived disables track script {}",
                    s.name
                ),
            )
            .hint(format!("install it and `chmod +x {path}`")),
        );
    }
}

/// Notify scripts not on this host: a note only, as keepalived's check says nothing of them
/// (it finds out when it runs one).
fn absent_notify_scripts(cfg: &Config, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    for n in notify_scripts(cfg) {
        let path = resolve_command(n.cmd.command.split_whitespace().next().unwrap_or(""));
        if path.contains('/') && host.script(&path) == ScriptFile::Executable {
            continue;
        }
        let (owner, key) = (&n.owner, n.key);
        diags.push(Diagnostic::new(Severity::Info, "notify-not-found", n.loc.clone(), n.text, format!("{owner} {key}: {path} is not an executable file on this host; the notification will fail (keepalived -t does not count it)")).hint(format!("install it and `chmod +x {path}`")));
    }
}

/// A notify script of an instance or a sync group, where it is written.
struct NotifyScript<'a> {
    owner: String,
    key: &'static str,
    cmd: &'a crate::model::ScriptCmd,
    loc: &'a Location,
    text: String,
}

/// Every notify script of the instances and sync groups, in order.
fn notify_scripts(cfg: &Config) -> impl Iterator<Item = NotifyScript<'_>> {
    let instances = cfg
        .instances
        .iter()
        .map(|i| (format!("({})", i.name), &i.settings));
    let groups = cfg
        .sync_groups
        .iter()
        .map(|g| (format!("sync group {}", g.name), &g.settings));
    instances.chain(groups).flat_map(|(owner, settings)| {
        crate::model::NOTIFY_KEYS.iter().filter_map(move |&key| {
            Some(NotifyScript {
                owner: owner.clone(),
                key,
                cmd: settings.script(key)?,
                loc: settings.loc(key)?,
                text: settings.text(key),
            })
        })
    })
}

/// Interfaces of addresses (`dev`) and of `garp_group`s that do not exist: keepalived will not
/// start ("Non-existent interface specified in configuration").
fn absent_devices(cfg: &Config, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    let vips = cfg.instances.iter().flat_map(|i| {
        i.vips.iter().filter_map(move |v| {
            Some((
                v.dev.clone()?,
                v.loc.clone(),
                format!("({}) address {}", i.name, v.addr),
            ))
        })
    });
    let groups = cfg.garp_groups.iter().flat_map(|g| {
        g.garp_interfaces()
            .into_iter()
            .map(move |ifname| (ifname, g.loc.clone(), "garp_group".to_string()))
    });
    for (ifname, loc, what) in vips.chain(groups) {
        if !host.interface_exists(&ifname) {
            diags.push(Diagnostic::new(Severity::Error, "no-such-interface", loc, ifname.clone(), format!("{what}: interface {ifname} does not exist on this host; keepalived will not start")).hint("check `ip link`; pass --no-host-checks when checking a config meant for another machine"));
        }
    }
}

/// The users scripts run as exist: havipd cannot start without `script_user`'s, and leaves
/// out (as keepalived does) a script whose own user is unknown.
fn script_users(cfg: &Config, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    let g = &cfg.global.settings;
    if let (Some(words), Some(loc)) = (g.words("script_user"), g.loc("script_user"))
        && let Some(user) = words.first()
        && !host.user_exists(user, words.get(1).map(String::as_str))
    {
        diags.push(
            Diagnostic::new(Severity::Error, "no-such-user", loc.clone(), g.text("script_user"), format!("script_user {}: no such user or group on this host; havipd will not start", words.join(" ")))
                .hint("create the user (keepalived's convention is `keepalived_script`) or name an existing one"),
        );
    }
    let mut unknown = |user: &str, group: Option<&str>, at: (&Location, String), what: String| {
        if !host.user_exists(user, group) {
            let who = group.map_or(user.to_string(), |g| format!("{user} {g}"));
            diags.push(Diagnostic::new(Severity::Warning, "no-such-user", at.0.clone(), at.1, format!("{what} runs as {who}, which does not exist on this host: it is not run (keepalived disables it)")));
        }
    };
    for s in cfg.scripts.values() {
        if let (Some(words), Some(loc)) = (s.settings.words("user"), s.settings.loc("user"))
            && let Some(user) = words.first()
        {
            let what = format!("vrrp_script {} (failing from the start)", s.name);
            let at = (loc, s.settings.text("user"));
            unknown(user, words.get(1).map(String::as_str), at, what);
        }
    }
    for n in notify_scripts(cfg) {
        if let Some(user) = &n.cmd.user {
            let what = format!("{} {}", n.owner, n.key);
            unknown(user, n.cmd.group.as_deref(), (n.loc, n.text), what);
        }
    }
}

/// An instance without addresses: keepalived 2.2.7 runs a VRRPv2 one (and says it is not
/// sensible), but stops on a VRRPv3, IPv6 or strict-mode one ("No VIP specified; at least one
/// is required", `vrrp_complete_instance`), and so does havipd.
fn no_vip(cfg: &Config, i: &Instance) -> Diagnostic {
    let required = version(cfg, i) == 3 || is_ipv6(i) || i.strict(&cfg.global);
    let (severity, message) = if required {
        (
            Severity::Error,
            format!(
                "({}) no virtual_ipaddress: a VRRPv3, IPv6 or strict-mode instance needs one; keepalived will not start",
                i.name
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "({}) no virtual_ipaddress: the instance elects a master but moves no address",
                i.name
            ),
        )
    };
    Diagnostic::new(
        severity,
        "no-vip",
        i.loc.clone(),
        format!("vrrp_instance {}", i.name),
        message,
    )
}

/// keepalived 2.4's cross-checks of `auth_hmac`: the legacy block is dropped, the active key
/// must exist (keepalived would run unauthenticated), and strict mode wants `enforce`.
fn auth_hmac(cfg: &Config, i: &Instance, h: &crate::model::AuthHmac, diags: &mut Vec<Diagnostic>) {
    if let Some(a) = &i.auth {
        diags.push(Diagnostic::new(Severity::Warning, "auth-hmac-legacy-dropped", a.loc.clone(), "authentication", format!("({}) auth_hmac cannot be combined with authentication; the authentication block is dropped", i.name)).hint("remove the authentication block: auth_hmac replaces it"));
    }
    match h.active_key {
        None => diags.push(Diagnostic::new(Severity::Error, "auth-hmac-active-key", h.loc.clone(), "auth_hmac", format!("({}) auth_hmac has no active_key; keepalived disables the extension and runs unauthenticated", i.name)).hint("add `active_key ID` naming one of the keys")),
        Some(id) if !h.keys.iter().any(|k| k.id == id) => diags.push(Diagnostic::new(Severity::Error, "auth-hmac-active-key", h.loc.clone(), "auth_hmac", format!("({}) auth_hmac active_key {id} is not defined; keepalived disables the extension and runs unauthenticated", i.name)).hint("define `key {id} ...` or point active_key at a defined key")),
        Some(_) => {}
    }
    if i.strict(&cfg.global) && h.mode != vrrp::auth_hmac::Mode::Enforce {
        diags.push(Diagnostic::new(Severity::Error, "auth-hmac-strict", h.loc.clone(), "auth_hmac", format!("({}) strict mode requires auth_hmac mode enforce, not {}; keepalived forces enforce", i.name, h.mode.as_str())).hint("set `mode enforce`, or turn strict mode off while migrating"));
    }
}
