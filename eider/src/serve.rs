//! `eider serve`: every enabled daemon in one process over one store, until SIGINT/SIGTERM.
//!
//! A daemon that fails is logged and the others keep running; the process (and so the store
//! lock) lives until a signal arrives. On the signal the shared shutdown token is cancelled, the
//! daemons get [`GRACE`] to finish, and the store is closed before the process exits.

use crate::error::{CliError, CliResult};
use eider_common::config::{Config, ListenConfig};
use eider_common::{Context, Shutdown, daemon};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// How long daemons may take to finish in-flight work after the shutdown signal.
const GRACE: Duration = Duration::from_secs(10);

type DaemonFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type RunFn = fn(TcpListener, Context, Shutdown) -> DaemonFuture;
type ListenFn = fn(&Config) -> &ListenConfig;

/// The daemons `serve` runs: name, which listener, entry point.
fn daemons() -> [(&'static str, ListenFn, RunFn); 4] {
    [
        (
            "eider-ingest",
            |c| &c.lmtp,
            |l, c, s| Box::pin(eider_ingest::run(l, c, s)),
        ),
        (
            "eider-imapd",
            |c| &c.imap,
            |l, c, s| Box::pin(eider_imapd::run(l, c, s)),
        ),
        (
            "eider-pop3d",
            |c| &c.pop3,
            |l, c, s| Box::pin(eider_pop3d::run(l, c, s)),
        ),
        (
            "eider-api",
            |c| &c.api,
            |l, c, s| Box::pin(eider_api::run(l, c, s)),
        ),
    ]
}

pub async fn run(config: Config) -> CliResult<()> {
    let shutdown =
        daemon::shutdown_on_signals().map_err(|e| CliError::Store(format!("signals: {e}")))?;
    let store = eider_common::open_store(&config).await?;
    tracing::info!("store open at {}", daemon::store_location(&config));
    for (name, listen) in [("imaps", &config.imaps), ("pop3s", &config.pop3s)] {
        if listen.enabled() {
            tracing::warn!(
                "{name} ({}): implicit TLS is not implemented yet, not listening",
                listen.listen
            );
        }
    }
    let ctx = Context {
        config: Arc::new(config),
        store,
    };
    // Bind everything first: a listener that cannot be set up is a configuration error.
    let mut bound = Vec::new();
    for (name, listen, run) in daemons() {
        let spec = &listen(&ctx.config).listen;
        if spec.is_empty() {
            tracing::info!("{name}: disabled (no listen address)");
            continue;
        }
        let listener = daemon::bind(spec)
            .await
            .and_then(|l| l.into_tcp(name))
            .map_err(|e| CliError::Usage(format!("{name}: {e}")))?;
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!("{name} listening on {addr}");
        bound.push((name, listener, run));
    }
    let mut tasks = JoinSet::new();
    for (name, listener, run) in bound {
        let fut = run(listener, ctx.clone(), shutdown.clone());
        tasks.spawn(async move {
            match fut.await {
                Ok(()) => tracing::info!("{name} stopped"),
                Err(e) => tracing::error!("{name} failed: {e:#}"),
            }
        });
    }
    shutdown.cancelled().await;
    if tokio::time::timeout(GRACE, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!("daemons did not stop within {GRACE:?}; aborting them");
        tasks.shutdown().await;
    }
    drop(ctx);
    tracing::info!("stopped");
    Ok(())
}
