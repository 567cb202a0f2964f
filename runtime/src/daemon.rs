//! What every daemon `main` (and `eider serve`) does before handing over to a daemon's `run`:
//! load the configuration, set up logging, open the store, bind the listener, and turn SIGINT /
//! SIGTERM into a cancelled [`Shutdown`] token; install the rustls crypto provider; load the
//! `[tls]` certificate and reload it on SIGHUP.
//!
//! Invariants: logs go to stderr (stdout stays free for command output); a `unix:` listener
//! replaces a stale socket file but never any other kind of file.

use crate::config::{Config, ConfigError};
use crate::context::{Context, Shutdown};
use crate::transport::{Tls, TlsError};
use eider_store::error::StoreError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{TcpListener, UnixListener};

/// Installs the global `tracing` subscriber: filter from `RUST_LOG` (default `info`), output to
/// stderr. Calling it twice is harmless.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Loads `path` with environment overrides, or the defaults with overrides when `path` is `None`.
pub fn load_config(path: Option<&Path>) -> Result<Config, ConfigError> {
    match path {
        Some(path) => Config::load(path),
        None => Config::from_env(),
    }
}

/// A bound listening socket.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    /// A Unix-domain socket and its path (LMTP may listen on one).
    Unix(UnixListener, PathBuf),
}

/// Why a listener could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen on {addr}: {source}")]
    Io {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {0}: a file that is not a socket is in the way")]
    NotASocket(String),
    #[error("{daemon} cannot listen on a Unix socket ({addr}); use host:port")]
    UnixUnsupported { daemon: String, addr: String },
    #[error("no listen address configured")]
    Disabled,
}

impl Listener {
    /// The TCP listener; daemons that only speak TCP use this.
    pub fn into_tcp(self, daemon: &str) -> Result<TcpListener, BindError> {
        match self {
            Listener::Tcp(l) => Ok(l),
            Listener::Unix(_, path) => Err(BindError::UnixUnsupported {
                daemon: daemon.to_owned(),
                addr: format!("unix:{}", path.display()),
            }),
        }
    }

    /// The bound address for logs (`127.0.0.1:1143`, `unix:/run/lmtp.sock`).
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "?".into()),
            Listener::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }
}

/// Binds `spec`: `host:port`, or `unix:/path` for a Unix-domain socket.
pub async fn bind(spec: &str) -> Result<Listener, BindError> {
    if spec.is_empty() {
        return Err(BindError::Disabled);
    }
    let io = |source| BindError::Io {
        addr: spec.to_owned(),
        source,
    };
    let Some(path) = spec.strip_prefix("unix:") else {
        return TcpListener::bind(spec).await.map(Listener::Tcp).map_err(io);
    };
    let path = PathBuf::from(path);
    remove_stale_socket(&path, spec)?;
    UnixListener::bind(&path)
        .map(|l| Listener::Unix(l, path))
        .map_err(io)
}

/// A socket file left by a previous run would make `bind` fail with "address in use".
fn remove_stale_socket(path: &Path, spec: &str) -> Result<(), BindError> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket(spec.to_owned()));
    }
    std::fs::remove_file(path).map_err(|source| BindError::Io {
        addr: spec.to_owned(),
        source,
    })
}

/// Where the configured store lives, for logs: the data directory, or the MongoDB URL.
pub fn store_location(config: &Config) -> String {
    match config.store.backend {
        crate::config::Backend::Embedded => config.data_dir.display().to_string(),
        crate::config::Backend::Mongodb => {
            let url = redact_userinfo(&config.mongodb.url);
            format!("{url} (database {})", config.mongodb.database)
        }
    }
}

/// `scheme://user:pw@host` → `scheme://***@host`: credentials never reach the logs.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// Why a standalone daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{daemon}: {source}")]
    Bind { daemon: String, source: BindError },
    #[error("installing signal handlers: {0}")]
    Signals(#[from] std::io::Error),
    #[error("[tls]: {0}")]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Redis(#[from] crate::context::ContextError),
}

/// Everything a standalone daemon's `run` needs.
#[derive(Debug)]
pub struct Started {
    pub ctx: Context,
    pub listener: Listener,
    pub shutdown: Shutdown,
}

/// The whole start-up of a standalone daemon `name`: tracing, configuration (`config_path` or
/// defaults, plus environment), store, the listener chosen by `listen`, signal handling.
pub async fn start(
    name: &str,
    config_path: Option<&Path>,
    listen: fn(&Config) -> &str,
) -> Result<Started, StartError> {
    init_tracing();
    // Before any library builds a rustls config (see `transport::provider`).
    crate::transport::install_crypto_provider();
    let config = load_config(config_path)?;
    let shutdown = shutdown_on_signals()?;
    let store = crate::open_store(&config).await?;
    tracing::info!("store open at {}", store_location(&config));
    let bind_error = |source| StartError::Bind {
        daemon: name.to_owned(),
        source,
    };
    let listener = bind(listen(&config)).await.map_err(bind_error)?;
    tracing::info!("{name} listening on {}", listener.describe());
    // Redis (when configured) carries change notifications and counters between processes.
    let ctx = Context::from_config(Arc::new(config), store)?;
    // With Redis, the API of any process shows this one's metrics (docs/api.md "Metrics").
    ctx.metrics.publish(name, &shutdown);
    Ok(Started {
        ctx,
        listener,
        shutdown,
    })
}

/// Ends a standalone daemon: logs and prints a failure as one line (`{name}: {error:#}`, no
/// backtrace) and maps it to exit status 1.
pub fn exit<E: std::fmt::Display>(name: &str, result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{name} failed: {e:#}");
            eprintln!("{name}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Loads the `[tls]` certificate (`None` when TLS is not configured) and reloads it on every
/// SIGHUP, keeping the old one if the new files are broken. Call once per process, inside a
/// tokio runtime, and share clones of the result between listeners (`eider serve`).
pub fn load_tls(config: &Config) -> Result<Option<Tls>, TlsError> {
    let Some(tls) = Tls::from_config(config)? else {
        return Ok(None);
    };
    if let Err(e) = reload_tls_on_sighup(&tls) {
        // Not fatal: the check on new connections still picks up changed files.
        tracing::warn!("cannot install the SIGHUP handler for TLS reload: {e}");
    }
    tracing::info!(cert = %config.tls.cert, "TLS certificate loaded");
    Ok(Some(tls))
}

/// Spawns a task that calls [`Tls::reload`] on each SIGHUP (failures are logged by `reload`).
/// Must be called inside a tokio runtime.
pub fn reload_tls_on_sighup(tls: &Tls) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    let tls = tls.clone();
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the TLS certificate");
            let _ = tls.reload();
        }
    });
    Ok(())
}

/// A token cancelled on the first SIGINT or SIGTERM. Must be called inside a tokio runtime.
pub fn shutdown_on_signals() -> std::io::Result<Shutdown> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let token = Shutdown::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down");
        cancel.cancel();
    });
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_tcp_and_unix() {
        let tcp = bind("127.0.0.1:0").await.unwrap();
        assert!(tcp.describe().starts_with("127.0.0.1:"));
        assert!(tcp.into_tcp("x").is_ok());

        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("lmtp.sock");
        let spec = format!("unix:{}", sock.display());
        let first = bind(&spec).await.unwrap();
        assert_eq!(first.describe(), spec);
        drop(first);
        // the socket file is still there: a restart must replace it
        assert!(sock.exists());
        let second = bind(&spec).await.unwrap();
        assert!(matches!(
            second.into_tcp("eider-imapd"),
            Err(BindError::UnixUnsupported { .. })
        ));

        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        let err = bind(&format!("unix:{}", file.display())).await.unwrap_err();
        assert!(matches!(err, BindError::NotASocket(_)), "{err}");
        assert!(file.exists(), "a regular file must never be removed");
    }

    #[test]
    fn credentials_are_redacted() {
        let cases = [
            ("mongodb://127.0.0.1:27017", "mongodb://127.0.0.1:27017"),
            ("mongodb://u:p@h:1/db?x=a@b", "mongodb://***@h:1/db?x=a@b"),
            ("mongodb://u:p@w@h", "mongodb://***@h"),
            ("no-scheme", "no-scheme"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_userinfo(url), expected);
        }
    }

    #[tokio::test]
    async fn bad_tcp_address_is_an_error() {
        for spec in ["nonsense", "127.0.0.1:99999"] {
            assert!(bind(spec).await.is_err(), "{spec}");
        }
    }
}
