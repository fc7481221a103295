//! A VPC service on a loopback port, and a client that signs like the cloud's SDK.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use vpc::cloud::Quotas;
use vpc::service::{Options, Service};
use vpc::store::Store;

pub mod frames;
pub mod netns;
pub mod ovn;

pub const ID: &str = "AKIDtest0000000000000000000000000000";
pub const KEY: &str = "test-secret-key";

/// A running service.
pub struct Api {
    pub url: String,
    pub host: String,
    pub service: Arc<Service>,
    _rt: tokio::runtime::Runtime,
}

impl Api {
    pub fn start(store: Box<dyn Store>, quotas: Quotas) -> Api {
        Self::start_with_delay(store, quotas, std::time::Duration::ZERO)
    }

    pub fn start_with_delay(
        store: Box<dyn Store>,
        quotas: Quotas,
        delay: std::time::Duration,
    ) -> Api {
        let options = Options {
            quotas,
            garp_delay: delay,
            ..Options::default()
        };
        Self::start_with(store, options)
    }

    pub fn start_with(store: Box<dyn Store>, options: Options) -> Api {
        let keys = BTreeMap::from([(ID.to_string(), KEY.to_string())]);
        Self::start_with_keys(store, options, keys)
    }

    /// With these keys (`SecretId` -> `SecretKey`).
    pub fn start_with_keys(
        store: Box<dyn Store>,
        options: Options,
        keys: BTreeMap<String, String>,
    ) -> Api {
        let service = Service::with_options(store, keys, options).expect("service");
        let (host, rt) = vpc::server::serve_in_background(service.clone()).expect("server");
        Api {
            url: format!("http://{host}/"),
            host,
            service,
            _rt: rt,
        }
    }

    /// On `backend` (OVN), storing in `store`, with `quotas`.
    pub fn start_on(
        store: Box<dyn Store>,
        backend: Box<dyn vpc::backend::Backend>,
        quotas: Quotas,
    ) -> Api {
        let keys = BTreeMap::from([(ID.to_string(), KEY.to_string())]);
        let options = Options {
            quotas,
            ..Options::default()
        };
        let service = Service::with_backend(store, backend, keys, options).expect("service");
        let (host, rt) = vpc::server::serve_in_background(service.clone()).expect("server");
        Api {
            url: format!("http://{host}/"),
            host,
            service,
            _rt: rt,
        }
    }

    /// In memory, without the request-rate limit (tests call faster than 20 a second).
    pub fn memory() -> Api {
        let quotas = Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        };
        Self::start(Box::new(vpc::store::Memory), quotas)
    }

    /// Sends a signed request; returns `Response`.
    pub fn raw(
        &self,
        action: &str,
        body: &Value,
        key: &str,
        ts_offset: i64,
        version: &str,
    ) -> Value {
        let text = body.to_string();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
            + ts_offset;
        let headers = vpc::auth::sign_request(&self.host, action, text.as_bytes(), ID, key, ts);
        let mut req = ureq::post(&self.url);
        for (k, v) in &headers {
            if k == "x-tc-version" {
                req = req.set(k, version);
            } else {
                req = req.set(k, v);
            }
        }
        let resp = req.send_string(&text).expect("HTTP 200");
        assert_eq!(resp.header("content-type"), Some("application/json"));
        let v: Value = serde_json::from_str(&resp.into_string().expect("body")).expect("JSON");
        let r = v["Response"].clone();
        assert!(
            r["RequestId"].as_str().is_some_and(|s| s.len() == 36),
            "{v}"
        );
        r
    }

    pub fn call(&self, action: &str, body: Value) -> Value {
        self.raw(action, &body, KEY, 0, "2017-03-12")
    }

    /// Calls and expects success.
    pub fn ok(&self, action: &str, body: Value) -> Value {
        let r = self.call(action, body);
        assert!(r.get("Error").is_none(), "{action}: {r}");
        r
    }

    /// Calls and returns the error code (panics on success).
    pub fn err(&self, action: &str, body: Value) -> String {
        let r = self.call(action, body);
        r["Error"]["Code"]
            .as_str()
            .unwrap_or_else(|| panic!("{action} succeeded: {r}"))
            .to_string()
    }

    /// Creates a HAVIP in the seed's subnet with `extra` parameters; returns its id.
    pub fn havip(&self, s: &Seed, name: &str, extra: Value) -> String {
        let mut body = json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.ok("CreateHaVip", body)["HaVip"]["HaVipId"]
            .as_str()
            .expect("HaVipId")
            .to_string()
    }

    /// A VPC named `name`, 172.16.0.0/16, with subnet 172.16.16.0/24; returns their ids.
    pub fn vpc_and_subnet(&self, name: &str) -> (String, String) {
        let vpc = self.ok(
            "CreateVpc",
            json!({"VpcName": name, "CidrBlock": "172.16.0.0/16"}),
        )["Vpc"]["VpcId"]
            .as_str()
            .expect("vpc")
            .to_string();
        let subnet = self.ok(
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "172.16.16.0/24", "Zone": "ap-guangzhou-3"}),
        )["Subnet"]["SubnetId"]
            .as_str()
            .expect("subnet")
            .to_string();
        (vpc, subnet)
    }

    /// A VPC 172.16.0.0/16 with subnet 172.16.16.0/24 and two ENIs (.5, .6) on two instances.
    pub fn seed(&self) -> Seed {
        let (vpc, subnet) = self.vpc_and_subnet("lab");
        let mut enis = Vec::new();
        for (k, ip) in ["172.16.16.5", "172.16.16.6"].iter().enumerate() {
            let eni = self.ok(
                "CreateNetworkInterface",
                json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": format!("eth0-{k}"),
                       "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}],
                       "MacAddress": format!("02:00:00:00:00:0{k}")}),
            )["NetworkInterface"]["NetworkInterfaceId"]
                .as_str()
                .expect("eni")
                .to_string();
            self.ok(
                "AttachNetworkInterface",
                json!({"NetworkInterfaceId": eni, "InstanceId": format!("ins-0000000{k}")}),
            );
            enis.push(eni);
        }
        Seed { vpc, subnet, enis }
    }
}

pub struct Seed {
    pub vpc: String,
    pub subnet: String,
    pub enis: Vec<String>,
}
