//! The VPC service: the state (one copy, in memory), the store it is kept in, the backend that
//! realizes it, and the change feed the console and the data plane follow. Every write goes
//! one way ([`Service::write`]): take the writer's lock, compute the changes on the state,
//! realize them on the backend, store them, then apply and publish them. The HTTP side
//! (`server.rs`, `api.rs`, `console.rs`, `internal.rs`) parses, authenticates, calls this and
//! renders; what it keeps between requests is the [`Front`].

use crate::actions;
use crate::backend::{Backend, Changes, GarpOutcome, Learned, Learner, Learning, UserspaceSwitch};
use crate::cloud::{Change, Cloud, Quotas};
use crate::error::ApiError;
use crate::faults::{Faults, Lag};
use crate::feed::{Catchup, Feed};
use crate::front::{Access, Front};
use crate::listen::ConnectionLimits;
use crate::model::GarpForm;
use crate::store::Store;
use anyhow::{Context, Result};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How a service runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Quotas and the request rate.
    pub quotas: Quotas,
    /// Programmed delay before a GARP moves a binding (the cloud's "may take 10 s").
    pub garp_delay: Duration,
    /// Who may reach what.
    pub access: Access,
    /// Connections held and how long a request may take to arrive.
    pub connections: ConnectionLimits,
    /// The account (AppId) of each SecretId; a key not named here is the default account's.
    pub accounts: BTreeMap<String, String>,
    /// The cloud's bad days switched on at start (`faults.rs`).
    pub faults: Faults,
    /// What the instance metadata service tells (`metadata.rs`).
    pub metadata: crate::front::MetadataSettings,
}

/// What the write path holds: one write at a time.
struct Writer {
    store: Box<dyn Store>,
    backend: Box<dyn Backend>,
}

/// How a write reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Durability {
    /// Acknowledged once durable ([`Store::commit`]).
    Durable,
    /// Soft state its owner refreshes ([`Store::commit_soft`]).
    Soft,
}

/// The running service: state, store, backend, change feed, and the HTTP side's keys.
pub struct Service {
    cloud: RwLock<Cloud>,
    writer: Mutex<Writer>,
    changes: broadcast::Sender<u64>,
    feed: Mutex<Feed>,
    versions: watch::Sender<u64>,
    epoch: String,
    /// Programmed delay before a GARP moves a binding.
    pub garp_delay: Duration,
    /// What the HTTP side keeps between requests.
    pub(crate) front: Front,
    faults: Mutex<Faults>,
    lag: Mutex<Lag>,
    metadata: crate::front::MetadataSettings,
}

/// What brings a data plane up to date.
#[derive(Debug)]
pub enum Update {
    /// The changes since its version, in order.
    Changes(Vec<Change>),
    /// The whole state.
    State(Box<Cloud>),
}

fn poisoned(what: &str) -> ApiError {
    ApiError::internal(format!("{what} lock poisoned"))
}

impl Service {
    /// Loads the store and serves with `keys`, default options otherwise.
    pub fn new(
        store: Box<dyn Store>,
        keys: BTreeMap<String, String>,
        quotas: Quotas,
    ) -> Result<Arc<Self>> {
        let options = Options {
            quotas,
            ..Options::default()
        };
        Self::with_options(store, keys, options)
    }

    /// Loads the store and serves with `keys` and `options`, for the userspace switch.
    pub fn with_options(
        store: Box<dyn Store>,
        keys: BTreeMap<String, String>,
        options: Options,
    ) -> Result<Arc<Self>> {
        Self::with_backend(store, Box::new(UserspaceSwitch), keys, options)
    }

    /// Loads the store, brings `backend` to it, and serves with `keys` and `options`.
    pub fn with_backend(
        mut store: Box<dyn Store>,
        mut backend: Box<dyn Backend>,
        keys: BTreeMap<String, String>,
        options: Options,
    ) -> Result<Arc<Self>> {
        let mut cloud = store.load().context("loading the store")?;
        let tables = crate::routing::missing_main_tables(&cloud);
        if !tables.is_empty() {
            store
                .commit(&tables)
                .context("adding the VPCs' main route tables to the store")?;
            cloud.apply(&tables);
        }
        cloud.quotas = options.quotas;
        backend
            .start(&cloud)
            .context("bringing the backend to the stored state")?;
        let front = Front::new(
            keys,
            options.accounts,
            options.access,
            options.connections,
            options.quotas.requests_per_second,
        );
        Ok(Arc::new(Service {
            cloud: RwLock::new(cloud),
            writer: Mutex::new(Writer { store, backend }),
            changes: broadcast::channel(64).0,
            feed: Mutex::new(Feed::default()),
            versions: watch::channel(0).0,
            epoch: format!("{:016x}", rand::random::<u64>()),
            garp_delay: options.garp_delay,
            front,
            faults: Mutex::new(options.faults),
            lag: Mutex::new(Lag::default()),
            metadata: options.metadata,
        }))
    }

    /// What the instance metadata service tells.
    pub fn metadata_settings(&self) -> &crate::front::MetadataSettings {
        &self.metadata
    }

    /// The temporary key of `role` for `instance` of `account`, valid for `ttl_secs` (the
    /// metadata service's `cam/security-credentials/ROLE`).
    pub fn issue_temporary_key(
        &self,
        instance: &str,
        role: &str,
        account: &str,
        ttl_secs: i64,
    ) -> Option<crate::credentials::TemporaryKey> {
        let now = crate::cloud::unix_now() as i64;
        let mut keys = self.front.temporary.lock().ok()?;
        Some(keys.issue(instance, role, account, now, ttl_secs))
    }

    /// The secret the data plane shows on `/internal/*`.
    pub fn internal_secret(&self) -> &str {
        &self.front.access.internal_secret
    }

    /// The console's start token.
    pub fn console_token(&self) -> &str {
        &self.front.access.console_token
    }

    /// The account a console session acts for: its key's, or `None` for the start token
    /// (the operator, who sees every account).
    pub fn session_account(&self, who: &str) -> Option<String> {
        self.front.session_account(who)
    }

    /// The account (AppId) of a SecretId.
    pub fn account_of(&self, secret_id: &str) -> &str {
        self.front.account_of(secret_id)
    }

    /// A copy of the state (console, data plane, tests).
    pub fn snapshot(&self) -> Cloud {
        self.cloud.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Runs an action as the operator (the console's start token): on the whole state; what
    /// it creates is the default account's.
    pub fn call(&self, action: &str, body: &Value, request_id: &str) -> Result<Value, ApiError> {
        self.call_as(None, action, body, request_id)
    }

    /// Runs an action as the API does (after authentication) for `account` (`None`: the
    /// operator), on its view of the state; a write records the owner of what it creates.
    pub fn call_as(
        &self,
        account: Option<&str>,
        action: &str,
        body: &Value,
        request_id: &str,
    ) -> Result<Value, ApiError> {
        let view = |cloud: &Cloud| -> Result<actions::Outcome, ApiError> {
            let view = account.map_or(Cow::Borrowed(cloud), |a| cloud.view(a));
            actions::dispatch(&view, action, body, request_id)
        };
        if actions::is_read_only(action) {
            // Readers share the state's read lock and never wait for the store.
            let outcome = match self.lagging_state()? {
                Some(old) => view(&old)?,
                None => view(&*self.cloud.read().map_err(|_| poisoned("state"))?)?,
            };
            if !outcome.changes.is_empty() {
                return Err(ApiError::internal(format!("{action} changed the state")));
            }
            return Ok(Value::Object(outcome.response));
        }
        let owner = account.unwrap_or(crate::accounts::DEFAULT_ACCOUNT);
        let (response, _) = self.write(Durability::Durable, |cloud| {
            let outcome = view(cloud)?;
            let changes = crate::accounts::owned_changes(cloud, owner, outcome.changes)
                .map_err(ApiError::internal)?;
            Ok((outcome.response, changes))
        })?;
        Ok(Value::Object(response))
    }

    /// The one write path: under the writer's lock, `compute` the changes on the state,
    /// realize them on the backend, store them (`durability`), then apply and publish them.
    /// Returns what `compute` returned and the state's version afterwards.
    fn write<T>(
        &self,
        durability: Durability,
        compute: impl FnOnce(&Cloud) -> Result<(T, Vec<Change>), ApiError>,
    ) -> Result<(T, u64), ApiError> {
        // One change at a time, computed on the state it will be applied to.
        let mut writer = self.writer.lock().map_err(|_| poisoned("writer"))?;
        let (value, changes) = {
            let cloud = self.cloud.read().map_err(|_| poisoned("state"))?;
            let (value, changes) = compute(&cloud)?;
            if changes.is_empty() {
                return Ok((value, *self.versions.borrow()));
            }
            let planned = Changes {
                before: &cloud,
                list: &changes,
            };
            writer
                .backend
                .realize(&planned)
                .map_err(ApiError::internal)?;
            self.remember_for_lag(&cloud)?;
            (value, changes)
        };
        let stored = match durability {
            Durability::Durable => writer.store.commit(&changes),
            Durability::Soft => writer.store.commit_soft(&changes),
        };
        stored.map_err(ApiError::internal)?;
        Ok((value, self.publish(&changes)?))
    }

    /// Applies stored `changes` to the state and numbers them in the feed (under the state's
    /// lock, so a snapshot and its version always agree); returns their version.
    fn publish(&self, changes: &[Change]) -> Result<u64, ApiError> {
        let version = {
            let mut cloud = self.cloud.write().map_err(|_| poisoned("state"))?;
            cloud.apply(changes);
            self.feed
                .lock()
                .map_err(|_| poisoned("feed"))?
                .record(changes)
        };
        self.versions.send_replace(version);
        let _ = self.changes.send(crate::cloud::unix_now() as u64);
        Ok(version)
    }

    /// The faults switched on now.
    pub fn faults(&self) -> Faults {
        self.faults.lock().map(|f| *f).unwrap_or_default()
    }

    /// Switches faults on or off for the rest of the run (bounds checked).
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        faults.check()?;
        *self.faults.lock().map_err(|_| "faults lock poisoned")? = faults;
        Ok(())
    }

    /// The state a Describe shows while Describe lags (`StaleDescribeMs`), if it differs.
    fn lagging_state(&self) -> Result<Option<Arc<Cloud>>, ApiError> {
        let lag = Duration::from_millis(self.faults().stale_describe_ms);
        if lag.is_zero() {
            return Ok(None);
        }
        let mut l = self.lag.lock().map_err(|_| poisoned("lag"))?;
        Ok(l.seen(std::time::Instant::now(), lag))
    }

    /// Remembers the state before a write while Describe lags.
    fn remember_for_lag(&self, before: &Cloud) -> Result<(), ApiError> {
        let lag = Duration::from_millis(self.faults().stale_describe_ms);
        if !lag.is_zero() {
            let mut l = self.lag.lock().map_err(|_| poisoned("lag"))?;
            l.record(std::time::Instant::now(), before, lag);
        }
        Ok(())
    }

    /// This run's epoch: versions from another run of the server mean nothing here.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// A receiver of the current version, woken at each commit (the data plane's long poll).
    pub fn watch_versions(&self) -> watch::Receiver<u64> {
        self.versions.subscribe()
    }

    /// What a data plane at `after` (of `epoch`) needs to be current, and the version it
    /// then has: the changes since, or the whole state.
    pub fn catch_up(&self, epoch: &str, after: u64) -> Result<(u64, Update)> {
        let cloud = self
            .cloud
            .read()
            .map_err(|_| anyhow::anyhow!("state lock poisoned"))?;
        let feed = self
            .feed
            .lock()
            .map_err(|_| anyhow::anyhow!("feed lock poisoned"))?;
        let catchup = if epoch == self.epoch {
            feed.since(after)
        } else {
            Catchup::Everything
        };
        let update = match catchup {
            Catchup::Changes(c) => Update::Changes(c),
            Catchup::Everything => Update::State(Box::new(cloud.clone())),
        };
        Ok((feed.version(), update))
    }

    /// A GARP for `vip` came from the port of ENI `eni`: move the HAVIP if it may.
    pub fn garp(&self, eni: &str, vip: &str, form: GarpForm) -> Result<GarpOutcome, ApiError> {
        self.garp_versioned(eni, vip, form).map(|(o, _)| o)
    }

    /// As [`Service::garp`], with the version the state then has.
    pub fn garp_versioned(
        &self,
        eni: &str,
        vip: &str,
        form: GarpForm,
    ) -> Result<(GarpOutcome, u64), ApiError> {
        let learned = Learned::Garp {
            eni: eni.to_string(),
            vip: vip.to_string(),
            form,
        };
        let mut learning = self.learn_binding(std::slice::from_ref(&learned))?;
        let outcome = learning.outcomes.pop().unwrap_or(GarpOutcome::Moved);
        Ok((outcome, learning.version))
    }

    /// A receiver of change notifications (the console's live feed).
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }
}

impl Learner for Service {
    /// Records learned bindings (GARPs the userspace switch saw, virtual ports OVN says are
    /// claimed), each judged on the state the ones before it make, in one soft commit.
    fn learn_binding(&self, batch: &[Learned]) -> Result<Learning, ApiError> {
        let ((outcomes, count), version) = self.write(Durability::Soft, |cloud| {
            let mut after: Option<Cloud> = None;
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut all = Vec::new();
            for (k, learned) in batch.iter().enumerate() {
                let now = after.as_ref().unwrap_or(cloud);
                match actions::learn::changes_for(now, learned)? {
                    Ok(changes) => {
                        if !changes.is_empty() && k + 1 < batch.len() {
                            after.get_or_insert_with(|| cloud.clone()).apply(&changes);
                        }
                        all.extend(changes);
                        outcomes.push(GarpOutcome::Moved);
                    }
                    Err(why) => outcomes.push(GarpOutcome::Refused(why)),
                }
            }
            let count = all.len();
            Ok(((outcomes, count), all))
        })?;
        Ok(Learning {
            outcomes,
            changes: count,
            version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A backend that refuses while `refuse` is set and counts the VPCs of each state it
    /// realizes.
    #[derive(Clone, Default)]
    struct Probe {
        refuse: Arc<AtomicBool>,
        vpcs_realized: Arc<AtomicUsize>,
    }

    impl Backend for Probe {
        fn start(&mut self, _state: &Cloud) -> Result<()> {
            Ok(())
        }

        fn realize(&mut self, changes: &Changes<'_>) -> Result<()> {
            if self.refuse.load(Ordering::SeqCst) {
                anyhow::bail!("the network refuses");
            }
            let vpcs = changes.after().vpcs.len();
            self.vpcs_realized.store(vpcs, Ordering::SeqCst);
            Ok(())
        }
    }

    fn service(probe: &Probe) -> Arc<Service> {
        let keys = BTreeMap::from([("AKID".to_string(), "key".to_string())]);
        let options = Options {
            quotas: Quotas {
                requests_per_second: 0,
                ..Quotas::default()
            },
            ..Options::default()
        };
        let store = Box::new(crate::store::Memory);
        Service::with_backend(store, Box::new(probe.clone()), keys, options).expect("service")
    }

    fn vpc(s: &Service, name: &str) -> Result<Value, ApiError> {
        let body = json!({"VpcName": name, "CidrBlock": "10.0.0.0/16"});
        s.call("CreateVpc", &body, "r")
    }

    fn field(v: &Value, outer: &str, inner: &str) -> String {
        v[outer][inner].as_str().expect("id").to_string()
    }

    #[test]
    fn a_write_the_backend_refuses_is_neither_stored_nor_applied_nor_published() {
        let probe = Probe::default();
        let s = service(&probe);
        vpc(&s, "a").expect("first");
        assert_eq!(
            probe.vpcs_realized.load(Ordering::SeqCst),
            1,
            "realized before applied"
        );
        let version = *s.watch_versions().borrow();
        probe.refuse.store(true, Ordering::SeqCst);
        let e = vpc(&s, "b").expect_err("refused");
        assert_eq!(e.code, "InternalError");
        assert!(e.message.contains("the network refuses"), "{}", e.message);
        assert_eq!(s.snapshot().vpcs.len(), 1);
        assert_eq!(*s.watch_versions().borrow(), version);
        // Reads never reach the backend.
        let read = s.call("DescribeVpcs", &json!({}), "r").expect("describe");
        assert_eq!(read["TotalCount"], 1);
    }

    #[test]
    fn both_backends_bindings_go_through_one_door() {
        let probe = Probe::default();
        let s = service(&probe);
        let vpc_id = field(&vpc(&s, "a").expect("vpc"), "Vpc", "VpcId");
        let subnet =
            json!({"VpcId": vpc_id, "SubnetName": "s", "CidrBlock": "10.0.1.0/24", "Zone": "z"});
        let subnet_id = field(
            &s.call("CreateSubnet", &subnet, "r").expect("subnet"),
            "Subnet",
            "SubnetId",
        );
        let eni = json!({"VpcId": vpc_id, "SubnetId": subnet_id, "NetworkInterfaceName": "e",
            "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10", "Primary": true}]});
        let eni_id = field(
            &s.call("CreateNetworkInterface", &eni, "r").expect("eni"),
            "NetworkInterface",
            "NetworkInterfaceId",
        );
        let havip =
            json!({"VpcId": vpc_id, "SubnetId": subnet_id, "HaVipName": "h", "Vip": "10.0.1.100"});
        let havip_id = field(
            &s.call("CreateHaVip", &havip, "r").expect("havip"),
            "HaVip",
            "HaVipId",
        );
        // OVN says the ENI claimed the virtual port; the switch then reports the holder's GARP
        // (nothing left to move) and another address's (refused).
        let batch = [
            Learned::Claimed {
                havip: havip_id.clone(),
                parent: Some(eni_id.clone()),
            },
            Learned::Garp {
                eni: eni_id.clone(),
                vip: "10.0.1.100".into(),
                form: GarpForm::Request,
            },
            Learned::Garp {
                eni: eni_id.clone(),
                vip: "10.0.1.200".into(),
                form: GarpForm::Reply,
            },
        ];
        let learning = s.learn_binding(&batch).expect("learned");
        assert_eq!(
            learning.outcomes[..2],
            [GarpOutcome::Moved, GarpOutcome::Moved]
        );
        assert!(
            matches!(&learning.outcomes[2], GarpOutcome::Refused(why) if why.contains("not a HAVIP"))
        );
        assert_eq!(learning.changes, 2, "the binding and its history line");
        assert_eq!(learning.version, *s.watch_versions().borrow());
        assert_eq!(s.snapshot().havips[&havip_id].network_interface_id, eni_id);
        // A port OVN says nobody holds is released.
        let released = [Learned::Claimed {
            havip: havip_id.clone(),
            parent: None,
        }];
        s.learn_binding(&released).expect("released");
        assert_eq!(s.snapshot().havips[&havip_id].network_interface_id, "");
        let unknown = Learned::Garp {
            eni: "eni-00000000".into(),
            vip: "10.0.1.100".into(),
            form: GarpForm::Request,
        };
        let e = s.learn_binding(&[unknown]).expect_err("no such ENI");
        assert_eq!(e.code, "ResourceNotFound");
    }
}
