//! `eider serve`: every enabled daemon in one process over one store, until SIGINT/SIGTERM.
//!
//! A daemon that fails is logged and the others keep running; the process (and so the store
//! lock) lives until a signal arrives. On the signal the shared shutdown token is cancelled, the
//! daemons get [`GRACE`] to finish, and the store is closed before the process exits.

use crate::error::{CliError, CliResult};
use eider_common::config::Config;
use eider_common::daemon::Listener;
use eider_common::{Context, Shutdown, daemon};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long daemons may take to finish in-flight work after the shutdown signal.
const GRACE: Duration = Duration::from_secs(10);

type DaemonFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type RunFn = fn(Listener, Context, Shutdown) -> DaemonFuture;
type ListenFn = fn(&Config) -> &str;

/// The daemons `serve` runs: name, which listener, entry point.
fn daemons() -> [(&'static str, ListenFn, RunFn); 4] {
    [
        (
            "eider-ingest",
            |c| &c.lmtp.listen,
            |l, c, s| Box::pin(eider_ingest::run_listener(l, c, s)),
        ),
        (
            "eider-imapd",
            |c| &c.imap.listen,
            |l, c, s| Box::pin(tcp_only("eider-imapd", l, c, s, eider_imapd::run)),
        ),
        (
            "eider-pop3d",
            |c| &c.pop3.listen,
            |l, c, s| Box::pin(tcp_only("eider-pop3d", l, c, s, eider_pop3d::run)),
        ),
        (
            "eider-api",
            |c| &c.api.listen,
            |l, c, s| Box::pin(tcp_only("eider-api", l, c, s, eider_api::run)),
        ),
    ]
}

/// Runs a daemon that only listens on TCP.
async fn tcp_only<F>(
    name: &'static str,
    listener: Listener,
    ctx: Context,
    shutdown: Shutdown,
    run: fn(tokio::net::TcpListener, Context, Shutdown) -> F,
) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    run(listener.into_tcp(name)?, ctx, shutdown).await
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
    // One process: the in-process bus and counters suffice (docs/scaling.md, "Redis").
    let ctx = Context::new(Arc::new(config), store);
    eider_common::sweeper::spawn(
        Arc::clone(&ctx.store),
        ctx.config.store.clone(),
        shutdown.clone(),
    );
    // Bind everything first: a listener that cannot be set up is a configuration error.
    let mut bound = Vec::new();
    for (name, listen, run) in daemons() {
        let spec = listen(&ctx.config);
        if spec.is_empty() {
            tracing::info!("{name}: disabled (no listen address)");
            continue;
        }
        let listener = daemon::bind(spec)
            .await
            .map_err(|e| CliError::Usage(format!("{name}: {e}")))?;
        tracing::info!("{name} listening on {}", listener.describe());
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
