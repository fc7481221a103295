//! The control socket, `<state-dir>/havipd.sock`: accepts connections, checks who is calling,
//! reads one bounded request, hands it to the event loop and writes the answer back. Only the
//! event loop touches the daemon's state; this side only moves bytes.
//!
//! Guards: the socket file is mode 0600; the caller must be root or the daemon's own user
//! (`SO_PEERCRED`); a request is at most [`ctl::MAX_REQUEST`] bytes and must arrive within
//! [`READ_TIMEOUT`]; at most [`MAX_CLIENTS`] connections are served at once.

use anyhow::{Context, Result, bail};
use ctl::{EventRecord, MAX_REQUEST, Reply, Request};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};
use tracing::{debug, warn};

/// How long a client may take to send its request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once.
pub const MAX_CLIENTS: usize = 16;
/// How long a request may wait for the event loop (a reload included).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// What the event loop answers.
pub enum Answer {
    /// Replies, then the connection closes.
    Replies(Vec<Reply>),
    /// Replies, then every transition until the client leaves.
    Follow(Vec<Reply>, broadcast::Receiver<EventRecord>),
}

/// A request waiting for the event loop.
pub struct Call {
    /// The request.
    pub request: Request,
    /// Where the answer goes.
    pub answer: oneshot::Sender<Answer>,
}

/// The listening socket; its file is removed when this is dropped.
pub struct ControlSocket {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a caller with user id `uid` may use the socket of a daemon running as `own`.
pub fn authorized(uid: u32, own: u32) -> bool {
    uid == 0 || uid == own
}

/// Binds `<dir>/havipd.sock` (refusing if another daemon answers there) and serves it.
pub fn listen(dir: &Path) -> Result<(ControlSocket, mpsc::Receiver<Call>)> {
    let path = dir.join(ctl::SOCKET_NAME);
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            bail!(
                "another havipd answers on {}; use another --state-dir",
                path.display()
            );
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("removing the stale {}", path.display()))?;
    }
    let listener =
        UnixListener::bind(&path).with_context(|| format!("control socket {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("control socket {}", path.display()))?;
    let (calls, rx) = mpsc::channel(MAX_CLIENTS);
    let task = tokio::spawn(accept(listener, calls));
    Ok((ControlSocket { path, task }, rx))
}

async fn accept(listener: UnixListener, calls: mpsc::Sender<Call>) {
    let slots = Arc::new(Semaphore::new(MAX_CLIENTS));
    let own = nix::unistd::geteuid().as_raw();
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(error = %e, "control socket: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let calls = calls.clone();
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(async move {
                    serve(stream, calls, own).await;
                    drop(slot);
                });
            }
            Err(_) => {
                tokio::spawn(refuse(stream, "too many control connections; try again"));
            }
        }
    }
}

async fn refuse(stream: UnixStream, why: &'static str) {
    let (_, mut w) = stream.into_split();
    let _ = write_reply(&mut w, &error(why)).await;
}

fn error(message: impl Into<String>) -> Reply {
    Reply::Error {
        message: message.into(),
    }
}

async fn serve(stream: UnixStream, calls: mpsc::Sender<Call>, own: u32) {
    let uid = stream.peer_cred().map(|c| c.uid()).ok();
    if !uid.is_some_and(|uid| authorized(uid, own)) {
        warn!(?uid, "control socket: caller refused");
        return refuse(stream, "permission denied: only root or havipd's user").await;
    }
    let (read, mut write) = stream.into_split();
    let request = match read_request(read).await {
        Ok((r, rest)) => (r, rest),
        Err(why) => {
            let _ = write_reply(&mut write, &error(why)).await;
            return;
        }
    };
    let (request, mut rest) = request;
    debug!(?request, "control request");
    let (tx, rx) = oneshot::channel();
    let call = Call {
        request,
        answer: tx,
    };
    if calls.send(call).await.is_err() {
        let _ = write_reply(&mut write, &error("havipd is shutting down")).await;
        return;
    }
    let answer = match tokio::time::timeout(ANSWER_TIMEOUT, rx).await {
        Ok(Ok(a)) => a,
        _ => Answer::Replies(vec![error("havipd did not answer")]),
    };
    match answer {
        Answer::Replies(replies) => {
            for r in &replies {
                if write_reply(&mut write, r).await.is_err() {
                    return;
                }
            }
        }
        Answer::Follow(replies, live) => {
            for r in &replies {
                if write_reply(&mut write, r).await.is_err() {
                    return;
                }
            }
            follow(live, &mut rest, &mut write).await;
        }
    }
}

/// Reads one request line of at most [`MAX_REQUEST`] bytes within [`READ_TIMEOUT`].
async fn read_request(
    read: tokio::net::unix::OwnedReadHalf,
) -> Result<(Request, tokio::net::unix::OwnedReadHalf), String> {
    let mut reader = BufReader::new(read.take(MAX_REQUEST as u64));
    let mut line = Vec::new();
    match tokio::time::timeout(READ_TIMEOUT, reader.read_until(b'\n', &mut line)).await {
        Err(_) => return Err(format!("no request within {READ_TIMEOUT:?}")),
        Ok(Err(e)) => return Err(format!("reading the request: {e}")),
        Ok(Ok(_)) => {}
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() >= MAX_REQUEST {
            format!("request longer than {MAX_REQUEST} bytes")
        } else {
            "request not terminated by a newline".into()
        });
    }
    let request = serde_json::from_slice(&line).map_err(|e| format!("bad request: {e}"))?;
    Ok((request, reader.into_inner().into_inner()))
}

/// Streams transitions until the client hangs up.
async fn follow(
    mut live: broadcast::Receiver<EventRecord>,
    read: &mut tokio::net::unix::OwnedReadHalf,
    write: &mut OwnedWriteHalf,
) {
    let mut byte = [0u8; 1];
    loop {
        let reply = tokio::select! {
            r = live.recv() => match r {
                Ok(e) => Reply::Event(e),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    error(format!("{n} transitions missed: this client reads too slowly"))
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            // Anything the client sends now, or its hang-up, ends the stream.
            _ = read.read(&mut byte) => return,
        };
        if write_reply(write, &reply).await.is_err() {
            return;
        }
    }
}

async fn write_reply(w: &mut OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_root_and_the_daemons_own_user_may_call() {
        assert!(authorized(0, 0));
        assert!(authorized(0, 1000));
        assert!(authorized(1000, 1000));
        assert!(!authorized(1001, 1000));
        assert!(!authorized(65534, 0));
    }
}
