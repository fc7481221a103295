//! The SVG timeline parses as XML and shows what the drill saw: a block per daemon, a lane per
//! server with its holding spans, the outage, the fault. Built from simulator runs (no root).

use lab::drill;

#[test]
fn svg_timeline_parses_and_shows_holders_outages_and_faults() {
    let sc = drill::scenario("crash").expect("crash");
    let run = lab::sim::run(&sc).expect("sim run");
    let text = lab::svg::render(&[run.clone(), run]);
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let with_class = |c: &str| {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(c))
            .count()
    };
    assert_eq!(with_class("run"), 2, "one block per run");
    assert_eq!(with_class("lane"), 8, "four lanes per run");
    assert_eq!(with_class("outage"), 2, "the crash's one outage, twice");
    assert_eq!(with_class("fault"), 2);
    let holds: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("hold"))
        .map(|n| n.attribute("data-node").unwrap_or_default().to_string())
        .collect();
    assert!(holds.contains(&"a".to_string()) && holds.contains(&"b".to_string()));
    // The outage's width matches its length on the time axis.
    let outage = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("outage"))
        .expect("outage rect");
    let w: f64 = outage
        .attribute("width")
        .and_then(|w| w.parse().ok())
        .expect("width");
    assert!(w > 100.0, "a ~3 s outage in 8 s spans many pixels: {w}");
    assert!(text.contains("worst outage"));
}
