//! A blocking client: one request per connection, replies read line by line.

use crate::protocol::{Reply, Request};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// Why a request did not get its replies.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon listens there, or the caller may not connect.
    #[error(
        "cannot reach havipd at {path}: {source} (is a havipd running with these -f/-p/-s/--instance or --state-dir options, and are you root?)"
    )]
    Connect {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The connection failed midway.
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
    /// The daemon sent something that is not a reply.
    #[error("control socket: unreadable reply: {0}")]
    Reply(#[from] serde_json::Error),
}

/// A connection with one request sent.
pub struct Client {
    lines: std::io::Lines<BufReader<UnixStream>>,
}

impl Client {
    /// Connects to `socket` and sends `request`.
    pub fn send(socket: &Path, request: &Request) -> Result<Client, ClientError> {
        let mut stream = UnixStream::connect(socket).map_err(|source| ClientError::Connect {
            path: socket.to_path_buf(),
            source,
        })?;
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        stream.write_all(&line)?;
        Ok(Client {
            lines: BufReader::new(stream).lines(),
        })
    }

    /// The next reply; `None` when the daemon closed the connection.
    pub fn next_reply(&mut self) -> Option<Result<Reply, ClientError>> {
        let line = match self.lines.next()? {
            Ok(l) => l,
            Err(e) => return Some(Err(e.into())),
        };
        Some(serde_json::from_str(&line).map_err(ClientError::from))
    }

    /// Sends `request` and returns its single reply.
    pub fn one(socket: &Path, request: &Request) -> Result<Reply, ClientError> {
        let mut c = Client::send(socket, request)?;
        match c.next_reply() {
            Some(r) => r,
            None => Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "havipd closed the connection without a reply",
            ))),
        }
    }
}
