//! `ssl:` connections as OVN makes them: the client presents its certificate and private key
//! (the server, started with `--ca-cert`, requires one) and accepts the server only if its
//! certificate chains to the CA given with `--ca-cert`. As OVS's own stream-ssl, the server's
//! name is not compared with the certificate (OVS's PKI, `ovs-pki`, names no host in it): the
//! CA is the trust. TLS 1.2 and 1.3 over rustls with the ring provider.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// The files of an `ssl:` connection, under OVN's option names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslFiles {
    /// `--private-key`: this client's key (PEM).
    pub private_key: PathBuf,
    /// `--certificate`: this client's certificate (PEM), signed by a CA the server trusts.
    pub certificate: PathBuf,
    /// `--ca-cert`: the CA that must have signed the server's certificate (PEM).
    pub ca_cert: PathBuf,
}

fn certs(flag: &str, path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{flag} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(chain)
}

impl SslFiles {
    /// Reads the files into a client configuration; each problem names its option and file.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in certs("--ca-cert", &self.ca_cert)? {
            roots
                .add(ca)
                .map_err(|e| format!("--ca-cert {}: {e}", self.ca_cert.display()))?;
        }
        let chain = certs("--certificate", &self.certificate)?;
        let key = PrivateKeyDer::from_pem_file(&self.private_key).map_err(|e| {
            format!(
                "--private-key {}: no PEM private key in it ({e})",
                self.private_key.display()
            )
        })?;
        let verifier = Arc::new(SignedByCa {
            roots,
            provider: provider.clone(),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(chain, key)
            .map_err(|e| {
                format!(
                    "--certificate {} and --private-key {} do not make a TLS identity: {e}",
                    self.certificate.display(),
                    self.private_key.display()
                )
            })?;
        Ok(Arc::new(config))
    }
}

/// Accepts a server certificate that chains to one of `roots` (and is in its validity
/// period), whatever name it carries; handshake signatures are checked as usual.
#[derive(Debug)]
struct SignedByCa {
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for SignedByCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
