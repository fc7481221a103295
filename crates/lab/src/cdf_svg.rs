//! Repeated drills as a picture: for each measure (outage, takeover), the cumulative
//! distribution of every daemon, side by side on one axis, drawn by hand like `svg.rs`.

use crate::drill::DrillResult;
use crate::svg::esc;
use std::fmt::Write;

const PANEL_W: f64 = 440.0;
const PANEL_H: f64 = 260.0;
const MARGIN: f64 = 50.0;
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/// One measure: its title, unit, and how to read it off a run.
struct Measure {
    title: &'static str,
    unit: &'static str,
    value: fn(&DrillResult) -> Option<f64>,
}

const MEASURES: [Measure; 2] = [
    Measure {
        title: "client outage (worst per run)",
        unit: "ms",
        value: |r| Some(r.worst_outage_ms()),
    },
    Measure {
        title: "first fault to secondary holding the VIP",
        unit: "s",
        value: |r| r.time_to_new_master,
    },
];

/// The CDFs of the runs, one panel per measure, one step line per daemon.
pub fn render(results: &[DrillResult]) -> String {
    let daemons = crate::spread::daemons(results);
    let width = MARGIN + (PANEL_W + MARGIN) * MEASURES.len() as f64;
    let height = PANEL_H + 2.0 * MARGIN + 20.0 * daemons.len() as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let scenario = results.first().map_or("", |r| r.scenario.as_str());
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">havip lab drill {} — {} runs</text>"#,
        esc(scenario),
        results.len()
    );
    for (m, measure) in MEASURES.iter().enumerate() {
        let left = MARGIN + (PANEL_W + MARGIN) * m as f64;
        panel(&mut s, measure, left, results, &daemons);
    }
    for (d, daemon) in daemons.iter().enumerate() {
        let y = PANEL_H + 2.0 * MARGIN + 20.0 * d as f64;
        let colour = COLOURS[d % COLOURS.len()];
        let _ = writeln!(
            s,
            r#"<rect x="{MARGIN}" y="{:.1}" width="14" height="4" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y - 4.0,
            MARGIN + 20.0,
            y,
            esc(daemon)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn panel(s: &mut String, m: &Measure, left: f64, results: &[DrillResult], daemons: &[&str]) {
    let top = MARGIN;
    let per_daemon: Vec<Vec<f64>> = daemons
        .iter()
        .map(|d| {
            let mut v: Vec<f64> = results
                .iter()
                .filter(|r| r.daemon == *d)
                .filter_map(m.value)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let max = per_daemon
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.05;
    let x = |v: f64| left + v / max * PANEL_W;
    let y = |f: f64| top + PANEL_H - f * PANEL_H;
    let _ = writeln!(
        s,
        r##"<g class="cdf" data-measure="{}"><text x="{left}" y="{:.1}" font-weight="bold">{} ({})</text><rect x="{left}" y="{top}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#888"/>"##,
        m.unit,
        top - 8.0,
        esc(m.title),
        m.unit
    );
    for f in [0.5, 0.9, 0.99] {
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">p{}</text>"##,
            left + PANEL_W,
            y(f),
            y(f),
            left - 4.0,
            y(f) + 4.0,
            (f * 100.0).round()
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{:.1}">0</text><text x="{:.1}" y="{:.1}" text-anchor="end">{:.3} {}</text>"#,
        top + PANEL_H + 16.0,
        left + PANEL_W,
        top + PANEL_H + 16.0,
        max,
        m.unit
    );
    for (d, values) in per_daemon.iter().enumerate() {
        let colour = COLOURS[d % COLOURS.len()];
        let n = values.len() as f64;
        let mut points = format!("{:.1},{:.1}", x(0.0), y(0.0));
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                points,
                " {:.1},{:.1} {:.1},{:.1}",
                x(*v),
                y(i as f64 / n),
                x(*v),
                y((i + 1) as f64 / n)
            );
        }
        let _ = writeln!(
            s,
            r#"<polyline class="daemon" data-daemon="{}" data-runs="{}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            esc(daemons[d]),
            values.len()
        );
    }
    s.push_str("</g>\n");
}
