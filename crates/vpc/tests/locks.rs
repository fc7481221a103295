//! Readers never wait for the store: while a write is stuck in its commit (a disk that hangs),
//! Describe calls are still answered, and the write completes once the disk does.

mod common;

use common::Api;
use serde_json::json;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vpc::cloud::{Change, Cloud, Quotas};
use vpc::store::Store;

/// A store whose commits wait for the test's go-ahead once `hang` is set.
struct HangingStore {
    hang: Arc<Mutex<Option<mpsc::Receiver<()>>>>,
}

impl Store for HangingStore {
    fn load(&mut self) -> anyhow::Result<Cloud> {
        Ok(Cloud::default())
    }
    fn commit(&mut self, _changes: &[Change]) -> anyhow::Result<()> {
        let gate = self.hang.lock().expect("lock").take();
        if let Some(go) = gate {
            go.recv_timeout(Duration::from_secs(30))?;
        }
        Ok(())
    }
}

#[test]
fn describe_is_answered_while_a_write_waits_for_the_disk() {
    let hang = Arc::new(Mutex::new(None));
    let quotas = Quotas {
        requests_per_second: 0,
        ..Quotas::default()
    };
    let api = Arc::new(Api::start(
        Box::new(HangingStore { hang: hang.clone() }),
        quotas,
    ));
    let s = api.seed();
    let (go, wait) = mpsc::channel();
    *hang.lock().expect("lock") = Some(wait);
    let writer = {
        let (api, s) = (api.clone(), s.vpc.clone());
        std::thread::spawn(move || {
            api.ok(
                "CreateSubnet",
                json!({"VpcId": s, "SubnetName": "late",
                   "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
            )
        })
    };
    // Wait until the writer holds the store (its commit took the gate).
    while hang.lock().expect("lock").is_some() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let vpcs = api.ok("DescribeVpcs", json!({}));
    assert_eq!(vpcs["TotalCount"], 1, "{vpcs}");
    let subnets = api.ok("DescribeSubnets", json!({}));
    assert_eq!(
        subnets["TotalCount"], 1,
        "the stuck write is not visible: {subnets}"
    );
    go.send(()).expect("go");
    writer.join().expect("writer");
    assert_eq!(api.ok("DescribeSubnets", json!({}))["TotalCount"], 2);
}
