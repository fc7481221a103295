//! A database served by several members (an OVSDB Raft cluster, `ovsdb-tool create-cluster` /
//! `join-cluster`), named as OVN's clients name it: `tcp:A,tcp:B,tcp:C` ([`Remotes`]). A client
//! talks to one member at a time and moves to the next when it fails ([`connect_any`]), and
//! only to a member whose `_Server` database says it serves the database and is connected to
//! its cluster (a member cut off from the others would serve old rows). A single server is a
//! list of one.

use crate::{BadEndpoint, Client, Condition, Datum, Endpoint, Error, Operation};
use serde_json::Value;
use std::time::Duration;

/// The members of one database, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remotes(pub Vec<Endpoint>);

impl std::str::FromStr for Remotes {
    type Err = BadEndpoint;

    /// `ADDR[,ADDR...]`, each an [`Endpoint`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Remotes)
    }
}

impl std::fmt::Display for Remotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let texts: Vec<String> = self.0.iter().map(Endpoint::to_string).collect();
        f.write_str(&texts.join(","))
    }
}

impl From<Endpoint> for Remotes {
    fn from(e: Endpoint) -> Remotes {
        Remotes(vec![e])
    }
}

/// Connects to `member` and checks, in its `_Server` database, that it serves `db` and is
/// connected to its cluster.
pub async fn connect_member(member: &Endpoint, db: &str) -> Result<Client, Error> {
    let c = Client::connect(member).await?;
    let select = Operation::Select {
        table: "Database".into(),
        conditions: vec![Condition::eq("name", Datum::string(db))],
        columns: Some(vec!["connected".into()]),
    };
    let r = c.transact("_Server", &[select]).await?;
    let row = &r[0]["rows"][0];
    if row.is_null() {
        return Err(Error::Protocol(format!("{member} serves no {db} database")));
    }
    if row["connected"] != Value::Bool(true) {
        return Err(Error::Protocol(format!(
            "{member} is not connected to its cluster"
        )));
    }
    Ok(c)
}

/// A connection to the first member of `members`, from index `from` on (wrapping), that
/// serves `db` and is connected to its cluster, each given `within` to answer; the client and
/// the member's index, or why none would.
pub async fn connect_any(
    members: &[Endpoint],
    from: usize,
    db: &str,
    within: Duration,
) -> Result<(Client, usize), Error> {
    let n = members.len();
    let mut why = Vec::new();
    for k in 0..n {
        let at = (from + k) % n;
        let member = &members[at];
        match tokio::time::timeout(within, connect_member(member, db)).await {
            Ok(Ok(c)) => return Ok((c, at)),
            Ok(Err(e)) => why.push(e.to_string()),
            Err(_) => why.push(format!("{member}: no answer within {within:?}")),
        }
    }
    Err(Error::Protocol(format!(
        "no member of {db} answers: {}",
        why.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_members_is_read_and_written_back() {
        let s = "tcp:127.0.0.1:6641,unix:/run/ovn/nb1.sock,ssl:192.0.2.7:6641";
        let r: Remotes = s.parse().expect("list");
        assert_eq!(r.0.len(), 3);
        assert_eq!(r.to_string(), s);
        let e = "tcp:127.0.0.1:6641,tcp:nowhere"
            .parse::<Remotes>()
            .expect_err("bad member");
        assert!(e.to_string().contains("tcp:nowhere"), "{e}");
        assert!("".parse::<Remotes>().is_err());
        assert!("tcp:127.0.0.1:1,".parse::<Remotes>().is_err());
    }
}
