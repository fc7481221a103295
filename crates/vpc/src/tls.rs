//! HTTPS for `havip vpc serve`: a certificate and key from PEM files, or a self-signed
//! certificate made at start for the names and addresses the server answers to (written out so
//! clients can trust it). TLS 1.2 and 1.3 over rustls with the ring provider; HTTP/1.1 only.

use anyhow::{Context, Result, anyhow};
pub use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// A server configuration from a certificate chain and a key in PEM files.
pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("--tls-cert {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls-cert {}: not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        return Err(anyhow!(
            "--tls-cert {}: no certificate in it",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("--tls-key {}: no PEM private key in it", key.display()))?;
    config(chain, key)
}

/// A self-signed certificate for `names` (DNS names and IP addresses); returns the server
/// configuration and the certificate in PEM, for clients to trust.
pub fn self_signed(names: &[String]) -> Result<(Arc<ServerConfig>, String)> {
    let made = rcgen::generate_simple_self_signed(names.to_vec())
        .context("generating a self-signed certificate")?;
    let pem = made.cert.pem();
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
        .map_err(|e| anyhow!("the generated key: {e}"))?;
    Ok((config(vec![made.cert.der().clone()], key)?, pem))
}

fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and key do not make a TLS identity")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_round_trips_through_pem_files() {
        let (_, pem) = self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("made");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let dir = tempfile::tempdir().expect("dir");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("made");
        std::fs::write(dir.path().join("c.pem"), made.cert.pem()).expect("cert");
        std::fs::write(dir.path().join("k.pem"), made.signing_key.serialize_pem()).expect("key");
        from_pem_files(&dir.path().join("c.pem"), &dir.path().join("k.pem")).expect("loaded");
    }

    #[test]
    fn files_that_are_not_pem_are_named() {
        let dir = tempfile::tempdir().expect("dir");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not pem").expect("write");
        let e = from_pem_files(&junk, &junk).expect_err("junk");
        assert!(format!("{e:#}").contains("junk.pem"), "{e:#}");
        let e = from_pem_files(&dir.path().join("missing"), &junk).expect_err("missing");
        assert!(format!("{e:#}").contains("--tls-cert"), "{e:#}");
    }
}
