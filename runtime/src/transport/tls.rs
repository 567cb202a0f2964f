//! The server's TLS identity: the `[tls]` certificate chain and key, loaded from PEM files into a
//! [`TlsAcceptor`], and reloaded without a restart when the files change.
//!
//! Invariants:
//! - A [`Tls`] always holds a working acceptor: a reload that fails (missing, half-written or
//!   mismatched files) logs an error and keeps the previous certificate.
//! - New connections pick up new files at most [`TlsOptions::check_interval`] after they change
//!   (the files' mtime/size/inode are compared on [`Tls::acceptor`], i.e. on each handshake, at most
//!   once per interval); [`Tls::reload`] (wired to SIGHUP by `daemon::reload_tls_on_sighup`)
//!   forces it at once. Connections already established keep the certificate they started with.
//! - File reads are synchronous: they are two small files, read at most once per change.

use super::provider::crypto_provider;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};
use tokio_rustls::TlsAcceptor;

/// Why a certificate/key pair could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("[tls] needs both cert and key, but {0} is empty")]
    Incomplete(&'static str),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Pem {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0}: no certificate found")]
    NoCertificate(PathBuf),
    #[error("certificate or key rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Tunables of a [`Tls`]; the defaults suit the daemons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// How often, at most, a new connection checks whether the files changed.
    pub check_interval: Duration,
    /// Longest a TLS handshake (implicit or STARTTLS) may take before the connection is dropped.
    pub handshake_timeout: Duration,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            check_interval: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(30),
        }
    }
}

/// Identity of a file's content as far as reload is concerned; `None` when it cannot be stat'ed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp(Option<(SystemTime, u64, u64)>);

impl Stamp {
    fn of(path: &Path) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stamp(
            std::fs::metadata(path)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len(), m.ino()))),
        )
    }
}

struct State {
    acceptor: TlsAcceptor,
    /// Stamps of the files when they were last looked at (loaded or failed), so a broken pair is
    /// reported once, not on every connection, and retried when either file changes again.
    seen: (Stamp, Stamp),
    checked: Instant,
}

struct Inner {
    cert: PathBuf,
    key: PathBuf,
    options: TlsOptions,
    state: RwLock<State>,
}

/// A reloadable TLS server identity. Cheap to clone; clones share the current certificate.
#[derive(Clone)]
pub struct Tls {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.inner.cert)
            .field("key", &self.inner.key)
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Tls {
    /// The configured identity, or `None` when `[tls] cert` and `key` are both empty (TLS off).
    pub fn from_config(config: &crate::config::Config) -> Result<Option<Tls>, TlsError> {
        let tls = &config.tls;
        match (tls.cert.is_empty(), tls.key.is_empty()) {
            (true, true) => Ok(None),
            (false, true) => Err(TlsError::Incomplete("key")),
            (true, false) => Err(TlsError::Incomplete("cert")),
            (false, false) => Tls::from_files(&tls.cert, &tls.key).map(Some),
        }
    }

    /// Loads `cert` (PEM chain, leaf first) and `key` (PEM private key) with default options.
    pub fn from_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Tls, TlsError> {
        Tls::with_options(cert, key, TlsOptions::default())
    }

    /// Loads `cert` and `key` with explicit options.
    pub fn with_options(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
        options: TlsOptions,
    ) -> Result<Tls, TlsError> {
        super::provider::install_crypto_provider();
        let (cert, key) = (cert.as_ref().to_owned(), key.as_ref().to_owned());
        let seen = (Stamp::of(&cert), Stamp::of(&key));
        let acceptor = load(&cert, &key)?;
        let state = RwLock::new(State {
            acceptor,
            seen,
            checked: Instant::now(),
        });
        Ok(Tls {
            inner: Arc::new(Inner {
                cert,
                key,
                options,
                state,
            }),
        })
    }

    pub fn options(&self) -> TlsOptions {
        self.inner.options
    }

    /// The acceptor for a new connection, after picking up changed files if the check interval
    /// has passed.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.reload_if_changed();
        self.read_state().acceptor.clone()
    }

    /// Reloads the files now. On failure the previous certificate stays in use, the error is
    /// logged and returned.
    pub fn reload(&self) -> Result<(), TlsError> {
        let seen = (Stamp::of(&self.inner.cert), Stamp::of(&self.inner.key));
        self.write_state().seen = seen;
        self.load_and_swap()
    }

    /// Reloads when the interval has passed and a file's stamp differs from the last one seen.
    fn reload_if_changed(&self) {
        let interval = self.inner.options.check_interval;
        if self.read_state().checked.elapsed() < interval {
            return;
        }
        let seen = (Stamp::of(&self.inner.cert), Stamp::of(&self.inner.key));
        {
            let mut state = self.write_state();
            // Another connection may have done the check meanwhile.
            if state.checked.elapsed() < interval {
                return;
            }
            state.checked = Instant::now();
            if state.seen == seen {
                return;
            }
            state.seen = seen;
        }
        // Errors are logged inside; the old certificate stays.
        let _ = self.load_and_swap();
    }

    fn load_and_swap(&self) -> Result<(), TlsError> {
        let (cert, key) = (&self.inner.cert, &self.inner.key);
        match load(cert, key) {
            Ok(acceptor) => {
                self.write_state().acceptor = acceptor;
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                Ok(())
            }
            Err(e) => {
                tracing::error!(
                    cert = %cert.display(),
                    "TLS certificate reload failed, keeping the previous one: {e}"
                );
                Err(e)
            }
        }
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated (each write is one
        // field assignment), so a poisoned lock is still usable.
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads and checks a certificate chain and key; the result is a ready acceptor.
fn load(cert_path: &Path, key_path: &Path) -> Result<TlsAcceptor, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let pem_error = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Pem { path, source }
    };
    let cert_pem = read(cert_path)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error(cert_path))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert_path.to_owned()));
    }
    let key_pem = read(key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(pem_error(key_path))?;
    // `with_single_cert` also checks that the key belongs to the leaf certificate.
    let config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
