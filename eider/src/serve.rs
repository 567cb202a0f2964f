//! `eider serve`: every enabled daemon in one process over one store, until SIGINT/SIGTERM.
//!
//! A daemon that fails is logged and the others keep running; the process (and so the store
//! lock) lives until a signal arrives. The `[tls]` certificate is loaded once and shared by every
//! daemon (STARTTLS/STLS, `[imaps]`, `[pop3s]`), so one reload (file change or SIGHUP) serves
//! them all. On the signal the shared shutdown token is cancelled, the
//! daemons get [`GRACE`] to finish, and the store is closed before the process exits.

use crate::error::{CliError, CliResult};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_runtime::daemon;
use eider_runtime::daemon::Listener;
use eider_runtime::transport::Tls;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long daemons may take to finish in-flight work after the shutdown signal.
const GRACE: Duration = Duration::from_secs(10);

type DaemonFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type RunFn = fn(Bound, Context, Shutdown) -> DaemonFuture;
type ListenFn = fn(&Config) -> &str;

/// What one daemon is handed: its listener, its implicit-TLS listener, the shared certificate.
struct Bound {
    main: Option<Listener>,
    implicit_tls: Option<Listener>,
    tls: Option<Tls>,
}

/// A daemon `serve` runs: name, its listener, its implicit-TLS listener (if it has one), entry.
struct Daemon {
    name: &'static str,
    listen: ListenFn,
    tls_listen: Option<ListenFn>,
    run: RunFn,
}

fn daemons() -> [Daemon; 4] {
    [
        Daemon {
            name: "eider-ingest",
            listen: |c| &c.lmtp.listen,
            tls_listen: None,
            run: |b, c, s| {
                Box::pin(main_only(
                    "eider-ingest",
                    b,
                    c,
                    s,
                    eider_ingest::run_listener,
                ))
            },
        },
        Daemon {
            name: "eider-imapd",
            listen: |c| &c.imap.listen,
            tls_listen: Some(|c| &c.imaps.listen),
            run: |b, c, s| Box::pin(imapd(b, c, s)),
        },
        Daemon {
            name: "eider-pop3d",
            listen: |c| &c.pop3.listen,
            tls_listen: Some(|c| &c.pop3s.listen),
            run: |b, c, s| Box::pin(pop3d(b, c, s)),
        },
        Daemon {
            name: "eider-api",
            listen: |c| &c.api.listen,
            tls_listen: None,
            run: |b, c, s| Box::pin(main_only("eider-api", b, c, s, api)),
        },
    ]
}

async fn api(l: Listener, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    eider_api::run(l.into_tcp("eider-api")?, ctx, shutdown).await
}

/// Runs a daemon that has one listener (and takes TLS from the configuration itself).
async fn main_only<F>(
    name: &'static str,
    bound: Bound,
    ctx: Context,
    shutdown: Shutdown,
    run: fn(Listener, Context, Shutdown) -> F,
) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let Some(listener) = bound.main else {
        anyhow::bail!("{name}: no listener");
    };
    run(listener, ctx, shutdown).await
}

fn tcp(name: &str, l: Option<Listener>) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    Ok(l.map(|l| l.into_tcp(name)).transpose()?)
}

/// `[imap]` with STARTTLS and `[imaps]`.
async fn imapd(bound: Bound, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let listeners = eider_imapd::Listeners {
        plain: tcp("eider-imapd", bound.main)?,
        implicit_tls: tcp("eider-imapd", bound.implicit_tls)?,
        tls: bound.tls,
    };
    let options = eider_imapd::Options::from_config(&ctx.config);
    eider_imapd::run_listeners(listeners, ctx, shutdown, options).await
}

/// `[pop3]` with STLS and `[pop3s]`.
async fn pop3d(bound: Bound, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let plain = tcp("eider-pop3d", bound.main)?;
    let implicit = tcp("eider-pop3d", bound.implicit_tls)?;
    eider_pop3d::run_listeners_tls(plain, implicit, bound.tls, ctx, shutdown).await
}

async fn bind(name: &str, what: &str, spec: &str) -> CliResult<Option<Listener>> {
    if spec.is_empty() {
        return Ok(None);
    }
    let listener = daemon::bind(spec)
        .await
        .map_err(|e| CliError::Usage(format!("{name}: {e}")))?;
    tracing::info!("{name}{what} listening on {}", listener.describe());
    Ok(Some(listener))
}

pub async fn run(config: Config) -> CliResult<()> {
    let shutdown =
        daemon::shutdown_on_signals().map_err(|e| CliError::Store(format!("signals: {e}")))?;
    let store = eider_runtime::open_store(&config).await?;
    tracing::info!("store open at {}", daemon::store_location(&config));
    // One certificate for every daemon, reloaded on SIGHUP and when its files change.
    let tls = daemon::load_tls(&config).map_err(|e| CliError::Usage(format!("[tls]: {e}")))?;
    for (name, listen) in [("imaps", &config.imaps), ("pop3s", &config.pop3s)] {
        if listen.enabled() && tls.is_none() {
            return Err(CliError::Usage(format!(
                "[{name}] listen = {:?} needs [tls] cert and key",
                listen.listen
            )));
        }
    }
    // One process: the in-process bus and counters suffice (docs/scaling.md, "Redis").
    let ctx = Context::new(Arc::new(config), store);
    eider_runtime::sweeper::spawn(
        Arc::clone(&ctx.store),
        ctx.config.store.clone(),
        shutdown.clone(),
    );
    // Bind everything first: a listener that cannot be set up is a configuration error.
    let mut bound = Vec::new();
    for d in daemons() {
        let main = bind(d.name, "", (d.listen)(&ctx.config)).await?;
        let implicit_tls = match d.tls_listen {
            Some(listen) => bind(d.name, " (implicit TLS)", listen(&ctx.config)).await?,
            None => None,
        };
        if main.is_none() && implicit_tls.is_none() {
            tracing::info!("{}: disabled (no listen address)", d.name);
            continue;
        }
        let b = Bound {
            main,
            implicit_tls,
            tls: tls.clone(),
        };
        bound.push((d.name, b, d.run));
    }
    let mut tasks = JoinSet::new();
    for (name, b, run) in bound {
        let fut = run(b, ctx.clone(), shutdown.clone());
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
