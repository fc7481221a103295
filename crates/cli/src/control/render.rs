//! Replies as text.

use ctl::{EventRecord, InstanceStatus, Reply, Status};

/// Prints one reply for people.
pub fn reply(r: &Reply) {
    match r {
        Reply::Status(s) => print!("{}", status(s)),
        Reply::Event(e) => println!("{}", event(e)),
        Reply::Reload(o) => {
            for d in &o.diagnostics {
                println!("{d}");
            }
            println!("{}", o.message);
        }
        Reply::Done { message } => println!("{message}"),
        Reply::Error { message } => eprintln!("havip: havipd refused: {message}"),
    }
}

fn clock(unix: f64) -> String {
    let secs = unix as i64;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!(
        "{h:02}:{m:02}:{s:02}.{:03} UTC",
        ((unix.fract()) * 1000.0) as u32
    )
}

fn event(e: &EventRecord) -> String {
    format!(
        "{} {} {} -> {} (priority {}): {}",
        clock(e.time),
        e.instance,
        e.from,
        e.to,
        e.priority,
        e.reason
    )
}

/// The whole status as text.
pub fn status(s: &Status) -> String {
    let mut out = format!(
        "havipd pid {} running {} since {}\n",
        s.pid,
        s.config,
        clock(s.started)
    );
    for i in &s.instances {
        out.push_str(&instance(i));
    }
    let dropped: Vec<String> = s
        .dropped
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if !dropped.is_empty() {
        out.push_str(&format!(
            "dropped before any instance: {}\n",
            dropped.join(", ")
        ));
    }
    out
}

fn instance(i: &InstanceStatus) -> String {
    let mut out = format!(
        "\n{}  {}{}  {} vrid {} VRRPv{} {}\n",
        i.name,
        i.state,
        if i.wanted_state != i.state {
            format!(" (wants {})", i.wanted_state)
        } else {
            String::new()
        },
        i.interface,
        i.vrid,
        i.version,
        i.family
    );
    let mut flags = Vec::new();
    if i.maintenance {
        flags.push("maintenance".to_string());
    }
    if i.handing_over {
        flags.push("handing over: addresses kept until the successor advertises".into());
    }
    if !flags.is_empty() {
        out.push_str(&format!("  {}\n", flags.join("; ")));
    }
    let master = i.master.as_ref().map_or("none seen".to_string(), |m| {
        format!("{} (priority {})", m.address, m.priority)
    });
    out.push_str(&format!(
        "  priority {} (base {}), master {master}\n",
        i.effective_priority, i.base_priority
    ));
    let last = i
        .since_last_advert_ms
        .map_or("none yet".into(), |ms| format!("{:.1} s ago", ms / 1000.0));
    out.push_str(&format!(
        "  advert {} ms, master's {} ms, skew {:.1} ms, master down interval {:.1} ms, last advert {last}\n",
        i.advert_int_ms, i.master_adver_int_ms, i.skew_ms, i.master_down_interval_ms
    ));
    if let Some(t) = &i.last_transition {
        out.push_str(&format!("  last transition {}\n", event(t)));
    }
    for v in &i.vips {
        let mark = match (v.present, v.expected) {
            (true, true) | (false, false) => "",
            (true, false) => "  <- present but not expected",
            (false, true) => "  <- MISSING",
        };
        out.push_str(&format!(
            "  vip {} on {}: {}{mark}\n",
            v.address,
            v.interface,
            if v.present { "present" } else { "absent" }
        ));
    }
    for t in &i.trackers {
        out.push_str(&format!(
            "  track {} {}: {} (weight {}, effect {:+})\n",
            t.kind,
            t.name,
            if t.ok { "OK" } else { "FAILED" },
            t.weight,
            t.effect
        ));
    }
    let counters: Vec<String> = i
        .counters
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    out.push_str(&format!("  counters: {}\n", counters.join(", ")));
    out
}
