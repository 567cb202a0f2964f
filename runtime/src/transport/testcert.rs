//! Test certificates (feature `test-util`): a throw-away CA, leaf certificates it signs for
//! `localhost` / `127.0.0.1` / `::1`, and a rustls client config that trusts the CA, so daemon
//! tests can run real TLS without touching the system trust store.
//!
//! Invariant: files are replaced atomically (written beside, then renamed), as a certificate
//! deployment should, so a reloading server never reads a half-written file from here.

use super::provider::crypto_provider;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TestCertError {
    #[error("generating a certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("writing a certificate: {0}")]
    Io(#[from] std::io::Error),
    #[error("building a client config: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A self-signed certificate authority that issues test leaf certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestCa")
    }
}

/// A leaf certificate and its key, in PEM, plus the certificate's DER (what a client sees).
#[derive(Clone, Debug)]
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl TestCa {
    pub fn new() -> Result<TestCa, TestCertError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Eider test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key)?;
        Ok(TestCa {
            issuer: Issuer::new(params, key),
            der: cert.der().clone(),
            pem: cert.pem(),
        })
    }

    /// The CA certificate in PEM (for `openssl s_client -CAfile`, Python's `ssl`, ...).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Issues a leaf for `localhost`, `127.0.0.1` and `::1` with common name `cn` and `serial`.
    pub fn issue(&self, cn: &str, serial: u64) -> Result<TestCert, TestCertError> {
        let key = KeyPair::generate()?;
        let names = ["localhost", "127.0.0.1", "::1"].map(str::to_owned);
        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name.push(DnType::CommonName, cn);
        params.serial_number = Some(SerialNumber::from(serial));
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(TestCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        })
    }

    /// A client config (the workspace's provider) trusting only this CA.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TestCertError> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone())?;
        let config = ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

impl TestCert {
    /// Writes the certificate and key to `cert` and `key`, each replaced atomically.
    pub fn write(&self, cert: &Path, key: &Path) -> std::io::Result<()> {
        write_atomically(cert, self.cert_pem.as_bytes())?;
        write_atomically(key, self.key_pem.as_bytes())
    }
}

/// Replaces `path` with `data` by writing a sibling file and renaming it over `path`.
pub fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

/// What [`write_test_cert`] produced.
#[derive(Debug)]
pub struct TestCertFiles {
    pub ca: TestCa,
    pub leaf: TestCert,
    /// `dir/cert.pem`: the leaf certificate (for `[tls] cert`).
    pub cert: PathBuf,
    /// `dir/key.pem`: its private key (for `[tls] key`).
    pub key: PathBuf,
    /// `dir/ca.pem`: the CA certificate clients should trust.
    pub ca_file: PathBuf,
}

/// Creates a CA and a `localhost` leaf (serial 1) and writes `cert.pem`, `key.pem` and `ca.pem`
/// into `dir`; point `[tls] cert`/`key` at the first two.
pub fn write_test_cert(dir: &Path) -> Result<TestCertFiles, TestCertError> {
    let ca = TestCa::new()?;
    let leaf = ca.issue("localhost", 1)?;
    let (cert, key, ca_file) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("ca.pem"),
    );
    leaf.write(&cert, &key)?;
    write_atomically(&ca_file, ca.pem().as_bytes())?;
    Ok(TestCertFiles {
        ca,
        leaf,
        cert,
        key,
        ca_file,
    })
}
