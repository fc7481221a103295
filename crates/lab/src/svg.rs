//! The drill's picture: one SVG timeline per run, drawn by hand (a few rects, lines and text,
//! no dependency): who held the VIP (a lane per server, red where both did), the client's ICMP
//! outages, lost TCP requests, and the faults as dashed lines with their labels.

use crate::drill::DrillResult;
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 30.0;
const LANE: f64 = 34.0;

/// `s` safe inside SVG text and attributes.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the runs (one block each, e.g. havipd above keepalived) as one SVG document.
pub fn render(runs: &[DrillResult]) -> String {
    let block = LANE * 4.0 + 70.0;
    let height = 40.0 + block * runs.len() as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    if let Some(first) = runs.first() {
        let _ = writeln!(
            s,
            r#"<text x="10" y="22" font-size="15" font-weight="bold">havip lab drill {} ({})</text>"#,
            esc(&first.scenario),
            esc(&first.backend)
        );
    }
    for (i, r) in runs.iter().enumerate() {
        block_of(&mut s, r, 40.0 + block * i as f64);
    }
    s.push_str("</svg>\n");
    s
}

fn block_of(s: &mut String, r: &DrillResult, top: f64) {
    let span = (r.end - r.start).max(1e-3);
    let x = |t: f64| LEFT + (t - r.start).clamp(0.0, span) / span * (WIDTH - LEFT - RIGHT);
    let _ = writeln!(
        s,
        r#"<g class="run" data-daemon="{}"><text x="10" y="{:.1}" font-weight="bold">{}: worst outage {:.0} ms, {} lost requests, split brain {:.0} ms</text>"#,
        r.daemon,
        top + 14.0,
        r.daemon,
        r.worst_outage_ms(),
        r.lost_requests(),
        r.dual_master_ms()
    );
    let lanes = ["a holds VIP", "b holds VIP", "ICMP to VIP", "TCP to VIP"];
    for (k, name) in lanes.iter().enumerate() {
        let y = top + 24.0 + LANE * k as f64;
        let _ = writeln!(
            s,
            r##"<text x="10" y="{:.1}">{name}</text><rect class="lane" x="{LEFT}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#f3f3f3"/>"##,
            y + 18.0,
            WIDTH - LEFT - RIGHT,
            LANE - 8.0
        );
    }
    for h in &r.holders {
        let both = h.holders.len() > 1;
        for (k, node) in ["a", "b"].iter().enumerate() {
            if h.holders.iter().any(|x| x == node) {
                let y = top + 24.0 + LANE * k as f64;
                let color = if both { "#d9534f" } else { "#5cb85c" };
                let _ = writeln!(
                    s,
                    r#"<rect class="hold" data-node="{node}" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                    x(h.from),
                    (x(h.to) - x(h.from)).max(0.5),
                    LANE - 8.0
                );
            }
        }
    }
    let icmp_y = top + 24.0 + LANE * 2.0;
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{icmp_y:.1}" width="{:.1}" height="{:.1}" fill="#5bc0de"/>"##,
        WIDTH - LEFT - RIGHT,
        LANE - 8.0
    );
    for o in &r.outages {
        let _ = writeln!(
            s,
            r##"<rect class="outage" x="{:.1}" y="{icmp_y:.1}" width="{:.1}" height="{:.1}" fill="#d9534f"><title>{:.0} ms</title></rect><text x="{:.1}" y="{:.1}" font-size="10">{:.0} ms</text>"##,
            x(o.start),
            (x(o.end) - x(o.start)).max(1.0),
            LANE - 8.0,
            o.ms(),
            x(o.start) + 2.0,
            icmp_y + 38.0,
            o.ms()
        );
    }
    let tcp_y = top + 24.0 + LANE * 3.0;
    for q in r.requests.iter().filter(|q| q.answered_by.is_none()) {
        let _ = writeln!(
            s,
            r##"<rect class="lost" x="{:.1}" y="{tcp_y:.1}" width="2" height="{:.1}" fill="#d9534f"/>"##,
            x(q.time),
            LANE - 8.0
        );
    }
    for f in &r.faults {
        let fx = x(f.time);
        let _ = writeln!(
            s,
            r##"<line class="fault" x1="{fx:.1}" y1="{:.1}" x2="{fx:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            top + 20.0,
            top + 24.0 + LANE * 4.0,
            fx + 3.0,
            top + 24.0 + LANE * 4.0 + 12.0,
            esc(&f.label)
        );
    }
    let axis_y = top + 24.0 + LANE * 4.0 + 26.0;
    let whole = span.floor() as u64;
    let step = (whole / 10).max(1);
    for t in (0..=whole).step_by(step as usize) {
        let tx = x(r.start + t as f64);
        let _ = writeln!(
            s,
            r#"<text class="tick" x="{tx:.1}" y="{axis_y:.1}" font-size="10" text-anchor="middle">{t} s</text>"#
        );
    }
    s.push_str("</g>\n");
}
