//! Frames into the VPC's data plane: the first byte picks the port they arrive on (two ENIs,
//! an unknown port, the public side), the rest is the Ethernet frame.

use crate::api::base;
use vpc::dataplane::switch::Switch;

const PUBLIC: u32 = 9;

/// A switch with the base VPC's ENIs on ports 1 and 2 and the public side on 9.
fn switch() -> Switch {
    let cloud = base().clone();
    let ports: Vec<(u32, String)> = cloud
        .enis
        .keys()
        .cloned()
        .zip(1..)
        .map(|(id, i)| (i, id))
        .collect();
    let mut s = Switch::new([2, 0xaa, 0, 0, 0, 1]);
    s.attach(&ports, Some(PUBLIC));
    s.load(cloud, 1);
    s
}

/// Hands the frame to a fresh switch, twice (the second sees the first's state).
pub fn run(data: &[u8]) {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let ifindex = [1, 2, 3, PUBLIC][usize::from(sel % 4)];
    let mut s = switch();
    for out in s.handle(u64::from(sel), ifindex, frame) {
        let _ = format!("{out:?}");
    }
    let _ = s.handle(u64::from(sel) + 1000, ifindex, frame);
}
