//! The VPC console in headless Chromium (driven over WebDriver by chromedriver): during a
//! drill the page, never reloaded, shows the HAVIP's binding move from the primary's ENI to
//! the secondary's (live updates); its actions work and show the API's validation errors; a
//! screenshot is written to `target/console-drill.png`.

use lab::browser::{Driver, wait};
use lab::daemon::Kind;
use lab::seeds::VIP;
use lab::vpc::{self, Vip, VpcLab};
use serde_json::json;
use std::time::Duration;

#[test]
fn console_shows_the_binding_move_live_and_its_actions_work() {
    if hostcheck::skip_reason("console", &["chromium", "chromedriver"]).is_some() {
        return;
    }
    let l = vpc::up(Vip::HaVip, &[Kind::Havipd, Kind::Havipd], 0.0).expect("VPC lab");
    let client = l.topo.client.ns.clone();
    assert!(wait(Duration::from_secs(20), || VpcLab::ping(
        &client, VIP, 1
    )));
    let d = Driver::start(&[]).expect("browser");
    d.open(&format!("{}/", l.plane.api)).expect("open");
    // Log in with the lab's API key pair.
    let (id, key) = vpc::console_login();
    assert!(wait(Duration::from_secs(10), || d.js(
        "return !document.getElementById('login').classList.contains('hidden');"
    ) == true));
    d.js(&format!(
        "const f = document.getElementById('login'); f.SecretId.value = '{id}'; f.SecretKey.value = '{key}'; f.requestSubmit(); return 1;"
    ));
    let eni_shown = || {
        d.js("const c = document.querySelector('#havips tbody tr .eni'); return c ? c.textContent : '';")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        wait(Duration::from_secs(10), || eni_shown() == l.plane.enis[0]),
        "shown: {}",
        eni_shown()
    );
    // Mark the document: if the page reloads, the mark is gone.
    d.js("window.__drill = 'same page'; return 1;");
    l.topo.cable(&l.topo.servers[0], false).expect("cut");
    assert!(
        wait(Duration::from_secs(20), || eni_shown() == l.plane.enis[1]),
        "the console never showed the move: {}",
        eni_shown()
    );
    assert_eq!(
        d.js("return window.__drill;"),
        json!("same page"),
        "updated live, not reloaded"
    );
    let history = d.js("return document.querySelector('#history').textContent;");
    assert!(
        history
            .as_str()
            .is_some_and(|h| h.contains("GARP (request) from")),
        "{history}"
    );
    let shot =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-drill.png");
    std::fs::write(&shot, d.screenshot().expect("screenshot")).expect("write png");
    let png = std::fs::read(&shot).expect("screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    eprintln!("screenshot: {}", shot.display());
    // Actions: Apply with a reserved VIP shows the API's error; a valid one adds a row.
    let subnet = d.js("return document.querySelector('#subnets tbody td:nth-child(3)').textContent.split(' ')[0];");
    let vpc_id =
        d.js("return document.querySelector('#subnets tbody td').textContent.split(' ')[0];");
    let apply = |vip: &str| {
        d.js(&format!(
            "const f = document.getElementById('apply'); f.VpcId.value = {vpc_id}; f.SubnetId.value = {subnet}; \
             f.HaVipName.value = 'from-console'; f.Vip.value = '{vip}'; f.requestSubmit(); return 1;"
        ));
    };
    apply("172.16.16.255");
    let error = || {
        d.js("return document.getElementById('error').textContent;")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        wait(Duration::from_secs(5), || error()
            .contains("InvalidParameterValue.Reserved")),
        "{}",
        error()
    );
    apply("172.16.16.40");
    let rows = || {
        d.js("return document.querySelectorAll('#havips tbody tr').length;")
            .as_u64()
            .unwrap_or(0)
    };
    assert!(
        wait(Duration::from_secs(5), || rows() == 2),
        "rows: {}",
        rows()
    );
    // Deleting the HAVIP bound to an EIP is refused with the API's error.
    let first = l.plane.havips.first().cloned().expect("havip");
    d.js(&format!(
        "document.querySelector('[data-delete=\"{first}\"]').click(); return 1;"
    ));
    assert!(
        wait(Duration::from_secs(5), || error().contains("ResourceInUse")),
        "{}",
        error()
    );
    // Unbind its EIP, then delete the console's HAVIP.
    d.js(&format!(
        "document.querySelector('[data-unbind=\"{first}\"]').click(); return 1;"
    ));
    let eip_cell = || {
        d.js(&format!(
            "return document.querySelector('#row-{first} td:nth-child(6)').textContent;"
        ))
        .as_str()
        .unwrap_or("?")
        .to_string()
    };
    assert!(
        wait(Duration::from_secs(5), || eip_cell().is_empty()),
        "EIP cell: {}",
        eip_cell()
    );
    d.js("document.querySelectorAll('#havips tbody tr')[1].querySelector('[data-delete]').click(); return 1;");
    assert!(
        wait(Duration::from_secs(5), || rows() == 1),
        "rows: {}",
        rows()
    );
}
