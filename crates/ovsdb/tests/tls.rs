//! `ssl:` as OVN deployments use it: an `ovsdb-server` listening only on `pssl:`, certificates
//! from `ovs-pki`, the client with OVN's three files (private key, certificate, CA). A server
//! whose certificate another CA signed is refused, and so is a client the server's CA did not
//! sign; an `ssl:` address without its files is an error that says so.

use ovsdb::{Client, Endpoint, Error, SslFiles};

mod common;
use common::{DB, Listen, Server, ovs_pki, scratch};

/// A PKI with a server and a client identity, and a second PKI (the wrong CA) with one.
fn pkis(tag: &str) -> Option<(SslFiles, SslFiles, SslFiles, std::path::PathBuf)> {
    let dir = scratch(&format!("{tag}-pki"));
    let ours = ovs_pki(tag, &dir.join("ours"), &["server", "client"])?;
    let theirs = ovs_pki(tag, &dir.join("theirs"), &["stranger"])?;
    let mut ours = ours.into_iter();
    let (server, client) = (ours.next()?, ours.next()?);
    Some((server, client, theirs.into_iter().next()?, dir))
}

fn ssl(server: &Server, files: SslFiles) -> Endpoint {
    let e: Endpoint = format!("ssl:127.0.0.1:{}", server.tcp.expect("port"))
        .parse()
        .expect("ssl endpoint");
    assert!(e.is_ssl());
    e.with_ssl(files)
}

#[tokio::test]
async fn ssl_reaches_a_server_that_listens_only_on_pssl() {
    let Some((server_id, client_id, _, dir)) = pkis("ssl-ok") else {
        return;
    };
    let Some(server) = Server::listening("ssl-ok", Listen::SslOnly(server_id)) else {
        return;
    };
    let endpoint = ssl(&server, client_id);
    assert_eq!(
        endpoint.to_string(),
        format!("ssl:127.0.0.1:{}", server.tcp.expect("port"))
    );
    let c = Client::connect(&endpoint).await.expect("TLS connect");
    let dbs = c.list_dbs().await.expect("list_dbs over TLS");
    assert!(dbs.contains(&DB.to_string()), "{dbs:?}");
    c.echo().await.expect("echo over TLS");
    let mut m = c
        .monitor(
            DB,
            &[ovsdb::MonitorRequest::columns("Logical_Switch", &["name"])],
        )
        .await
        .expect("monitor over TLS");
    assert!(m.initial.is_empty() || m.initial.values().all(|t| t.is_empty()));
    let row = [("name".to_string(), ovsdb::Datum::string("ls-tls"))]
        .into_iter()
        .collect();
    c.transact(
        DB,
        &[ovsdb::Operation::Insert {
            table: "Logical_Switch".into(),
            row,
            uuid_name: None,
        }],
    )
    .await
    .expect("insert over TLS");
    let update = tokio::time::timeout(std::time::Duration::from_secs(5), m.updates.recv())
        .await
        .expect("an update in time")
        .expect("an update");
    assert!(
        update["Logical_Switch"]
            .values()
            .any(|u| { u.new.as_ref().and_then(|r| r["name"].as_str()) == Some("ls-tls") })
    );
    // Plain TCP to the pssl: port gets nowhere.
    let tcp: Endpoint = format!("tcp:127.0.0.1:{}", server.tcp.expect("port"))
        .parse()
        .expect("tcp");
    if let Ok(plain) = Client::connect(&tcp).await {
        let answer =
            tokio::time::timeout(std::time::Duration::from_secs(5), plain.list_dbs()).await;
        assert!(
            !matches!(answer, Ok(Ok(_))),
            "plain TCP was answered on pssl:"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let Some((server_id, client_id, stranger, dir)) = pkis("ssl-wrong-ca") else {
        return;
    };
    let Some(server) = Server::listening("ssl-wrong-ca", Listen::SslOnly(server_id)) else {
        return;
    };
    // The client trusts only the other PKI's CA.
    let wrong = SslFiles {
        ca_cert: stranger.ca_cert.clone(),
        ..client_id.clone()
    };
    let e = Client::connect(&ssl(&server, wrong))
        .await
        .err()
        .expect("a server signed by another CA was accepted");
    let msg = e.to_string();
    assert!(
        matches!(e, Error::Io { .. }) && msg.contains("UnknownIssuer"),
        "{msg}"
    );
    // The server refuses a client its CA did not sign.
    let outsider = Client::connect(&ssl(
        &server,
        SslFiles {
            ca_cert: client_id.ca_cert.clone(),
            ..stranger
        },
    ))
    .await;
    if let Ok(c) = outsider {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), c.list_dbs()).await;
        assert!(
            !matches!(answer, Ok(Ok(_))),
            "a client from another CA was answered"
        );
    }
    // The right files still work against the same server.
    let c = Client::connect(&ssl(&server, client_id))
        .await
        .expect("connect");
    c.list_dbs().await.expect("list_dbs");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn ssl_without_its_files_or_with_bad_ones_is_an_error_that_names_them() {
    let e: Endpoint = "ssl:127.0.0.1:1".parse().expect("ssl");
    let err = Client::connect(&e)
        .await
        .err()
        .expect("connected without files");
    assert!(
        matches!(err, Error::Tls { .. }) && err.to_string().contains("private key"),
        "{err}"
    );
    let dir = scratch("ssl-bad-files");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not pem").expect("junk");
    let files = SslFiles {
        private_key: junk.clone(),
        certificate: junk.clone(),
        ca_cert: dir.join("missing.pem"),
    };
    let err = Client::connect(&e.clone().with_ssl(files))
        .await
        .err()
        .expect("bad files");
    assert!(
        err.to_string().contains("--ca-cert") && err.to_string().contains("missing.pem"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
