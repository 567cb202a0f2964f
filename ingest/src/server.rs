//! LMTP over the shared listener (`eider_runtime::listener`, TCP or Unix socket) with the
//! `[lmtp]` limits; shutdown lets in-flight deliveries finish however long they take (no grace
//! deadline here: `eider serve` bounds it for the whole process).

use std::sync::Arc;
use std::time::Duration;

use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_runtime::listener::{self, Accept, Accepted, Listener, Socket, refusal};
use eider_runtime::transport::{Conn, Tls, accept_tls};

use crate::connection::{self, Settings};
use crate::deliver::SpamRules;
use crate::lmtp::session::SessionConfig;
use crate::metrics::IngestMetrics;

impl Settings {
    pub fn from_config(config: &Config, metrics: IngestMetrics) -> anyhow::Result<Self> {
        let l = &config.lmtp;
        let tls = Tls::from_config(config)?;
        anyhow::ensure!(
            !l.implicit_tls || tls.is_some(),
            "[lmtp] implicit_tls needs a certificate in [tls]"
        );
        Ok(Self {
            session: SessionConfig {
                hostname: l.hostname.clone(),
                max_message_size: config.limits.max_message_size,
                max_recipients: l.max_recipients,
                starttls: tls.is_some() && !l.implicit_tls,
            },
            implicit_tls: l.implicit_tls,
            tls,
            spam: SpamRules {
                flag_header: l.spam_header.clone(),
                flag_value: l.spam_value.clone(),
                score_header: l.spam_score_header.clone(),
            },
            idle_timeout: Duration::from_secs(l.idle_timeout_secs),
            metrics,
        })
    }
}

/// The listener's name in metrics and logs.
const LISTENER: &str = "lmtp";

/// Serves LMTP on a TCP listener until `shutdown`; then waits for open connections to finish
/// their current transaction.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    serve(listener, ctx, shutdown).await
}

/// Serves LMTP on whatever [`Listener`] the configuration produced (TCP or Unix socket).
pub async fn run_listener(
    listener: eider_runtime::daemon::Listener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    match listener {
        eider_runtime::daemon::Listener::Tcp(l) => run(l, ctx, shutdown).await,
        eider_runtime::daemon::Listener::Unix(l, _) => run_unix(l, ctx, shutdown).await,
    }
}

/// Same as [`run`] on a Unix socket.
pub async fn run_unix(
    listener: tokio::net::UnixListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    serve(listener, ctx, shutdown).await
}

async fn serve<A: Accept>(socket: A, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let metrics = IngestMetrics::new(ctx.metrics.registry());
    let settings = Arc::new(Settings::from_config(&ctx.config, metrics)?);
    let limits = ctx.config.lmtp.listener();
    let listener = Listener::new(LISTENER, &limits, ctx.metrics.registry())?;
    // With implicit TLS a clear-text 421 would be unreadable: refused connections are closed.
    let socket = match settings.implicit_tls {
        true => Socket::implicit_tls(socket),
        false => Socket::plain(socket),
    };
    let handler = {
        let shutdown = shutdown.clone();
        move |a: Accepted<A::Stream>| {
            let (ctx, settings, shutdown) = (ctx.clone(), Arc::clone(&settings), shutdown.clone());
            async move {
                if let Some(peer) = a.peer {
                    tracing::debug!(%peer, "lmtp connection");
                }
                let _open = settings.metrics.sessions.track();
                settings.metrics.sessions_total.inc();
                let conn = match (&settings.tls, settings.implicit_tls) {
                    (Some(tls), true) => match accept_tls(tls, a.stream).await {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                    },
                    _ => Conn::plain(a.stream),
                };
                connection::serve(conn, ctx, settings, shutdown).await;
            }
        }
    };
    listener::serve(
        listener.refusal(refusal::LMTP),
        vec![socket],
        shutdown,
        handler,
    )
    .await;
    tracing::info!("lmtp stopped");
    Ok(())
}
