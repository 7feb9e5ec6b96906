//! rustls configuration from Docker's PEM files (`ca.pem`, `cert.pem`, `key.pem`).

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::config::TlsSettings;
use crate::error::{Error, ErrorKind};

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

/// Builds the client TLS configuration. Verification needs `ca.pem`: Docker
/// daemons use private CAs, and system roots would be the wrong trust anchor.
pub(crate) fn client_config(settings: &TlsSettings) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?;

    let builder = if settings.verify {
        let ca = settings.ca.as_ref().ok_or_else(|| {
            invalid(
                "TLS verification needs ca.pem (DOCKER_CERT_PATH or the context's TLS directory)"
                    .into(),
            )
        })?;
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca)
            .map_err(|e| invalid(format!("{}: {e}", ca.display())))?;
        for cert in certs {
            let cert = cert.map_err(|e| invalid(format!("{}: {e}", ca.display())))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("{}: {e}", ca.display())))?;
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    };

    match &settings.client_cert {
        Some((cert_path, key_path)) => {
            let chain = CertificateDer::pem_file_iter(cert_path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| invalid(format!("{}: {e}", cert_path.display())))?;
            let key = PrivateKeyDer::from_pem_file(key_path)
                .map_err(|e| invalid(format!("{}: {e}", key_path.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| invalid(format!("client certificate: {e}")))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// A configuration for connections that never use TLS (see `docker.rs`).
pub(crate) fn unused_config() -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}

/// For contexts with `SkipTLSVerify`: the connection is encrypted but the
/// daemon is not authenticated. Signatures are still checked, so the peer
/// must hold the key of the certificate it shows.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
