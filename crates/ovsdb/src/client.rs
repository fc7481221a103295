//! The connection: one task reads and dispatches (replies to their callers, `update`
//! notifications to their monitors, the server's `echo` probes answered at once), one writes.
//! When the connection ends every waiting call fails with [`Error::Closed`] and every monitor's
//! stream ends, so the owner can connect again and monitor afresh. Dropping the client closes
//! the connection (its monitors end with it).

use crate::endpoint::Endpoint;
use crate::framing::{Framer, FramingError};
use crate::monitor::{Monitor, MonitorRequest, TableUpdates, parse_table_updates};
use crate::ops::Operation;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// The longest message accepted from a server (a monitor's first answer carries whole tables).
pub const MESSAGE_LIMIT: usize = 64 << 20;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting or the connection.
    #[error("{endpoint}: {source}")]
    Io {
        /// The server.
        endpoint: String,
        /// The error.
        source: std::io::Error,
    },
    /// The connection ended before the answer.
    #[error("the connection to the OVSDB server closed")]
    Closed,
    /// The server refused the request.
    #[error("the OVSDB server refused {method}: {error}")]
    Rpc {
        /// The request's method.
        method: String,
        /// The server's error.
        error: Value,
    },
    /// An operation of a transaction failed (the transaction did nothing).
    #[error("{} failed: {error}{}", index.map_or("the commit".to_string(), |i| format!("operation {i}")), details.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Operation {
        /// Which operation (`None`: the commit itself).
        index: Option<usize>,
        /// OVSDB's error name (`constraint violation`, `referential integrity violation`, ...).
        error: String,
        /// Its details.
        details: Option<String>,
    },
    /// The server sent something this client cannot read.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// An `ssl:` address without its files, or files that do not make a TLS client.
    #[error("{endpoint}: {why}")]
    Tls {
        /// The server.
        endpoint: String,
        /// What is wrong.
        why: String,
    },
}

/// Calls waiting for their answers; `None` once the connection has ended.
type Pending = Arc<Mutex<Option<HashMap<u64, (String, oneshot::Sender<Result<Value, Error>>)>>>>;
type Monitors = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<TableUpdates>>>>;

/// A connection to an OVSDB server.
pub struct Client {
    endpoint: String,
    outgoing: mpsc::UnboundedSender<Value>,
    pending: Pending,
    monitors: Monitors,
    next_id: AtomicU64,
}

impl Client {
    /// Connects to `endpoint`.
    pub async fn connect(endpoint: &Endpoint) -> Result<Client, Error> {
        let io = |source| Error::Io {
            endpoint: endpoint.to_string(),
            source,
        };
        let (read, write): (
            Box<dyn AsyncRead + Unpin + Send>,
            Box<dyn AsyncWrite + Unpin + Send>,
        ) = match endpoint {
            Endpoint::Tcp(addr) => {
                let s = tokio::net::TcpStream::connect(addr).await.map_err(io)?;
                s.set_nodelay(true).map_err(io)?;
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
            Endpoint::Ssl(addr, files) => {
                let tls = |why: String| Error::Tls {
                    endpoint: endpoint.to_string(),
                    why,
                };
                let files = files.as_ref().ok_or_else(|| {
                    tls("ssl: needs a private key, a certificate and a CA certificate".into())
                })?;
                let config = files.client_config().map_err(tls)?;
                let s = tokio::net::TcpStream::connect(addr).await.map_err(io)?;
                s.set_nodelay(true).map_err(io)?;
                let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
                let s = tokio_rustls::TlsConnector::from(config)
                    .connect(name, s)
                    .await
                    .map_err(io)?;
                let (r, w) = tokio::io::split(s);
                (Box::new(r), Box::new(w))
            }
            Endpoint::Unix(path) => {
                let (r, w) = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(io)?
                    .into_split();
                (Box::new(r), Box::new(w))
            }
        };
        let (outgoing, queue) = mpsc::unbounded_channel();
        let pending = Pending::new(Mutex::new(Some(HashMap::new())));
        let monitors = Monitors::default();
        tokio::spawn(write_loop(write, queue));
        tokio::spawn(read_loop(
            read,
            outgoing.downgrade(),
            pending.clone(),
            monitors.clone(),
        ));
        Ok(Client {
            endpoint: endpoint.to_string(),
            outgoing,
            pending,
            monitors,
            next_id: AtomicU64::new(1),
        })
    }

    /// The server's address.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends a request and waits for its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        match lock(&self.pending).as_mut() {
            Some(pending) => pending.insert(id, (method.to_string(), tx)),
            None => return Err(Error::Closed),
        };
        let request = json!({"method": method, "params": params, "id": id});
        if self.outgoing.send(request).is_err() {
            lock(&self.pending).as_mut().map(|p| p.remove(&id));
            return Err(Error::Closed);
        }
        rx.await.map_err(|_| Error::Closed)?
    }

    /// The databases the server holds.
    pub async fn list_dbs(&self) -> Result<Vec<String>, Error> {
        let v = self.call("list_dbs", json!([])).await?;
        serde_json::from_value(v).map_err(|e| Error::Protocol(format!("list_dbs: {e}")))
    }

    /// Checks that the server answers.
    pub async fn echo(&self) -> Result<(), Error> {
        self.call("echo", json!(["havip"])).await.map(|_| ())
    }

    /// Runs `ops` in one transaction on `db`: all of them or none. The results, one per
    /// operation (`{"uuid": ...}` for inserts, `{"rows": [...]}` for selects, `{"count": n}`).
    pub async fn transact(&self, db: &str, ops: &[Operation]) -> Result<Vec<Value>, Error> {
        let mut params = vec![json!(db)];
        params.extend(ops.iter().map(Operation::to_json));
        let result = self.call("transact", Value::Array(params)).await?;
        let results = match result {
            Value::Array(r) => r,
            other => return Err(Error::Protocol(format!("transact answered {other}"))),
        };
        check_results(&results, ops.len())?;
        Ok(results)
    }

    /// Monitors `requests` on `db`: the tables' current rows, then every change, in order.
    pub async fn monitor(&self, db: &str, requests: &[MonitorRequest]) -> Result<Monitor, Error> {
        let id = format!("m{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, updates) = mpsc::unbounded_channel();
        // Registered before asking: the server's first update may follow its answer at once.
        lock(&self.monitors).insert(id.clone(), tx);
        let spec: serde_json::Map<String, Value> = requests
            .iter()
            .map(|r| (r.table.clone(), r.to_json()))
            .collect();
        let answer = self.call("monitor", json!([db, id, spec])).await;
        let initial = answer.and_then(|v| parse_table_updates(&v).map_err(Error::Protocol));
        match initial {
            Ok(initial) => Ok(Monitor {
                id,
                initial,
                updates,
            }),
            Err(e) => {
                lock(&self.monitors).remove(&id);
                Err(e)
            }
        }
    }

    /// Ends the monitor `id` (its stream ends): the server stops sending its updates.
    pub async fn monitor_cancel(&self, id: &str) -> Result<(), Error> {
        lock(&self.monitors).remove(id);
        self.call("monitor_cancel", json!([id])).await.map(|_| ())
    }
}

/// Finds the first failed operation (or a failed commit, reported after the operations).
fn check_results(results: &[Value], ops: usize) -> Result<(), Error> {
    for (i, r) in results.iter().enumerate() {
        if let Some(error) = r.get("error").and_then(Value::as_str) {
            return Err(Error::Operation {
                index: (i < ops).then_some(i),
                error: error.to_string(),
                details: r.get("details").and_then(Value::as_str).map(String::from),
            });
        }
    }
    if results.len() < ops {
        return Err(Error::Protocol(format!(
            "{} results for {ops} operations",
            results.len()
        )));
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn write_loop(
    mut write: Box<dyn AsyncWrite + Unpin + Send>,
    mut queue: mpsc::UnboundedReceiver<Value>,
) {
    while let Some(msg) = queue.recv().await {
        let bytes = msg.to_string().into_bytes();
        if let Err(e) = write.write_all(&bytes).await {
            debug!(error = %e, "OVSDB connection: write failed");
            return;
        }
    }
}

async fn read_loop(
    mut read: Box<dyn AsyncRead + Unpin + Send>,
    outgoing: mpsc::WeakUnboundedSender<Value>,
    pending: Pending,
    monitors: Monitors,
) {
    let mut framer = Framer::new(MESSAGE_LIMIT);
    let mut buf = vec![0u8; 64 << 10];
    'conn: loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => framer.push(&buf[..n]),
        }
        loop {
            match framer.next_message() {
                Ok(Some(msg)) => dispatch(msg, &outgoing, &pending, &monitors),
                Ok(None) => break,
                Err(e @ (FramingError::Malformed { .. } | FramingError::TooLong { .. })) => {
                    warn!(error = %e, "OVSDB connection: closing");
                    break 'conn;
                }
            }
        }
    }
    for (_, (_, tx)) in lock(&pending).take().into_iter().flatten() {
        let _ = tx.send(Err(Error::Closed));
    }
    lock(&monitors).clear();
}

/// Routes one message from the server.
fn dispatch(
    msg: Value,
    outgoing: &mpsc::WeakUnboundedSender<Value>,
    pending: &Pending,
    monitors: &Monitors,
) {
    let method = msg.get("method").and_then(Value::as_str);
    match method {
        Some("echo") => {
            let reply = json!({"id": msg["id"], "result": msg["params"], "error": null});
            // Once the client is dropped there is no one to answer for: the connection ends.
            if let Some(tx) = outgoing.upgrade() {
                let _ = tx.send(reply);
            }
        }
        Some("update") => {
            let (Some(id), Some(updates)) = (msg["params"][0].as_str(), msg["params"].get(1))
            else {
                warn!(%msg, "OVSDB update without a monitor id");
                return;
            };
            let parsed = parse_table_updates(updates);
            let mut monitors = lock(monitors);
            match (parsed, monitors.get(id)) {
                (Ok(u), Some(tx)) => {
                    if tx.send(u).is_err() {
                        monitors.remove(id);
                    }
                }
                (Err(e), _) => warn!(error = %e, "OVSDB update not understood"),
                (_, None) => debug!(id, "update for a monitor no one follows"),
            }
        }
        Some(other) => debug!(method = other, "OVSDB request not handled"),
        None => answer(msg, pending),
    }
}

/// Hands a reply to its caller.
fn answer(msg: Value, pending: &Pending) {
    let Some(id) = msg.get("id").and_then(Value::as_u64) else {
        warn!(%msg, "OVSDB reply without a known id");
        return;
    };
    let Some((method, tx)) = lock(pending).as_mut().and_then(|p| p.remove(&id)) else {
        return;
    };
    let result = match msg.get("error") {
        Some(e) if !e.is_null() => Err(Error::Rpc {
            method,
            error: e.clone(),
        }),
        _ => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
    };
    let _ = tx.send(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_operation_is_named_and_a_failed_commit_too() {
        let r = [
            json!({"uuid": ["uuid", "u"]}),
            json!({"error": "constraint violation", "details": "dup"}),
        ];
        match check_results(&r, 2) {
            Err(Error::Operation {
                index,
                error,
                details,
            }) => {
                assert_eq!(
                    (index, error.as_str(), details.as_deref()),
                    (Some(1), "constraint violation", Some("dup"))
                );
            }
            other => panic!("{other:?}"),
        }
        let commit = [
            json!({}),
            json!({"error": "referential integrity violation"}),
        ];
        assert!(matches!(
            check_results(&commit, 1),
            Err(Error::Operation { index: None, .. })
        ));
        assert!(check_results(&[json!({})], 2).is_err());
        assert!(check_results(&[json!({}), json!({"count": 1})], 2).is_ok());
    }
}
