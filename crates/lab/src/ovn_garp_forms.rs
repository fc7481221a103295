//! Both forms of a gratuitous ARP claim a HAVIP's OVN virtual port. OVN 23.03's northd puts,
//! for each virtual parent, a priority-100 flow in the logical switch's ARP/ND responder stage
//! (`ls_in_arp_rsp`) matching a request-form GARP (`arp.op == 1 && arp.spa == VIP && arp.tpa
//! == VIP`) and any ARP reply from the VIP (`arp.op == 2 && arp.spa == VIP`), whose action is
//! `bind_vport(...); next;`: it runs above the responder's own flows (priority 50), which
//! could answer a request for the VIP, so the ARP responder swallows neither form before
//! ovn-controller's pinctrl claims the port. [`claims_by_form`] sends each form from each
//! server in turn on a real fabric and times the southbound record.

use crate::vpc::{Backend, GarpForm, Vip, claim_seen, send_garp_form, up_on};
use anyhow::{Result, anyhow};

/// For each of four GARPs (secondary request, primary reply, secondary reply, primary
/// request: each moves the HAVIP), the form and the milliseconds from the frame leaving the
/// server to the southbound binding naming the sender's ENI. Fails if one is not claimed
/// within 5 s.
pub fn claims_by_form() -> Result<Vec<(GarpForm, f64)>> {
    let lab = up_on(Vip::HaVip, &[], 0.0, Backend::Ovn)?;
    let fabric = lab
        .fabric
        .as_ref()
        .ok_or_else(|| anyhow!("no OVN fabric"))?;
    let vip: std::net::Ipv4Addr = crate::seeds::VIP.parse()?;
    let port = lab
        .plane
        .havips
        .first()
        .ok_or_else(|| anyhow!("no HAVIP"))?
        .clone();
    let plan = [
        (1, GarpForm::Request),
        (0, GarpForm::Reply),
        (1, GarpForm::Reply),
        (0, GarpForm::Request),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let sb = ovsdb::Client::connect(&fabric.sb()).await?;
        let req = ovsdb::MonitorRequest::columns("Port_Binding", &vpc::ovn::binding::COLUMNS);
        let mut m = sb.monitor("OVN_Southbound", &[req]).await?;
        let mut out = Vec::new();
        for (k, form) in plan {
            let server = &lab.topo.servers[k];
            let mac =
                vpc::dataplane::switch::parse_mac(&server.mac).ok_or_else(|| anyhow!("mac"))?;
            let sent = send_garp_form(server, mac, vip, form)?;
            let seen = claim_seen(&mut m, &port, &lab.plane.enis[k])
                .await
                .map_err(|e| anyhow!("{form:?}-form GARP from {}: {e}", server.label))?;
            out.push((form, (seen - sent) * 1000.0));
        }
        Ok(out)
    })
}
