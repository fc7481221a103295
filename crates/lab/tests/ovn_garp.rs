//! GARP to claim, OVN against the userspace VPC, in one run: 40 GARPs alternating between the
//! two servers on each, the OVN figure from OVN's own record (the southbound binding), the
//! userspace one from the control plane's answer that it stored the move. Prints p50/p99;
//! asserts only that every GARP was claimed by its sender.

use lab::vpc::{garp_bench, ovn_garp_bench};

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn garp_to_claim_on_ovn_and_on_the_userspace_vpc() {
    if let Some(why) = hostcheck::skip_reason("ovn garp bench", &lab::ovn::TOOLS) {
        eprintln!("{why}");
        return;
    }
    let ovn = ovn_garp_bench(40).expect("OVN");
    let userspace = garp_bench(40).expect("userspace").to_control_plane_ms;
    assert_eq!((ovn.len(), userspace.len()), (40, 40));
    eprintln!(
        "GARP to claim, ms: OVN p50 {:.2} p99 {:.2}; userspace p50 {:.2} p99 {:.2}",
        percentile(&ovn, 0.5),
        percentile(&ovn, 0.99),
        percentile(&userspace, 0.5),
        percentile(&userspace, 0.99)
    );
}

/// A GARP the ARP responder could answer (request form) and the reply form both claim the
/// virtual port: each form, from each server in turn, moves OVN's southbound binding to its
/// sender (`claims_by_form` fails otherwise).
#[test]
fn both_garp_forms_claim_the_virtual_port_on_ovn() {
    if let Some(why) = hostcheck::skip_reason("ovn garp forms", &lab::ovn::TOOLS) {
        eprintln!("{why}");
        return;
    }
    let claims = lab::ovn_garp_forms::claims_by_form().expect("every GARP claimed");
    assert_eq!(claims.len(), 4);
    eprintln!("GARP to claim by form, ms: {claims:?}");
}
