//! Where an OVSDB server listens, in OVN's notation: `tcp:IP:PORT`, `ssl:IP:PORT` or
//! `unix:PATH`. An `ssl:` address takes its key, certificate and CA with [`Endpoint::with_ssl`].

use crate::tls::SslFiles;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A server's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `tcp:IP:PORT`.
    Tcp(SocketAddr),
    /// `unix:PATH`.
    Unix(PathBuf),
    /// `ssl:IP:PORT`, and the files to connect with (none yet when just parsed).
    Ssl(SocketAddr, Option<Box<SslFiles>>),
}

impl Endpoint {
    /// Whether this is an `ssl:` address.
    pub fn is_ssl(&self) -> bool {
        matches!(self, Endpoint::Ssl(..))
    }

    /// The same address with `files` to connect with, if it is an `ssl:` one (others are
    /// returned as they are).
    pub fn with_ssl(self, files: SslFiles) -> Endpoint {
        match self {
            Endpoint::Ssl(addr, _) => Endpoint::Ssl(addr, Some(Box::new(files))),
            other => other,
        }
    }
}

/// Why an address is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{given}` is not an OVSDB address: {why} (write tcp:IP:PORT, ssl:IP:PORT or unix:PATH)")]
pub struct BadEndpoint {
    given: String,
    why: &'static str,
}

impl std::str::FromStr for Endpoint {
    type Err = BadEndpoint;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why| BadEndpoint {
            given: s.to_string(),
            why,
        };
        match s.split_once(':') {
            Some(("tcp", rest)) => rest
                .parse()
                .map(Endpoint::Tcp)
                .map_err(|_| bad("not IP:PORT after tcp:")),
            Some(("unix", path)) if !path.is_empty() => Ok(Endpoint::Unix(path.into())),
            Some(("unix", _)) => Err(bad("no path after unix:")),
            Some(("ssl", rest)) => rest
                .parse()
                .map(|a| Endpoint::Ssl(a, None))
                .map_err(|_| bad("not IP:PORT after ssl:")),
            _ => Err(bad("unknown method")),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "tcp:{a}"),
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Ssl(a, _) => write!(f, "ssl:{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ovn_notation_is_read_and_written_back() {
        for s in [
            "tcp:127.0.0.1:6641",
            "tcp:[::1]:6642",
            "ssl:192.0.2.7:6641",
            "unix:/run/ovn/ovnnb_db.sock",
        ] {
            let e: Endpoint = s.parse().expect(s);
            assert_eq!(e.to_string(), s);
        }
        for bad in [
            "127.0.0.1:6641",
            "tcp:localhost:6641",
            "unix:",
            "ssl:ovn.example:6641",
            "tcp:1.2.3.4",
        ] {
            let e = bad.parse::<Endpoint>().expect_err(bad);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
