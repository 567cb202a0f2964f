//! The accept loops (TCP and Unix socket): connection limit, per-connection tasks, graceful
//! shutdown that lets in-flight deliveries finish.

use std::sync::Arc;
use std::time::Duration;

use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_runtime::transport::{Conn, Tls, accept_tls};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::connection::{self, Settings};
use crate::deliver::SpamRules;
use crate::lmtp::session::SessionConfig;
use crate::metrics::IngestMetrics;

/// Most connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 512;

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

/// Something that hands out connections: a TCP or a Unix listener.
trait Accept {
    type Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static;
    async fn accept_one(&self) -> std::io::Result<Self::Stream>;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept_one(&self) -> std::io::Result<Self::Stream> {
        let (s, peer) = self.accept().await?;
        tracing::debug!(%peer, "lmtp connection");
        let _ = s.set_nodelay(true);
        Ok(s)
    }
}

impl Accept for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;
    async fn accept_one(&self) -> std::io::Result<Self::Stream> {
        Ok(self.accept().await?.0)
    }
}

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

async fn serve<L: Accept>(listener: L, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let metrics = IngestMetrics::new(ctx.metrics.registry());
    let settings = Arc::new(Settings::from_config(&ctx.config, metrics)?);
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let tracker = TaskTracker::new();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&limit).acquire_owned() => p?,
            () = shutdown.cancelled() => break,
        };
        let stream = tokio::select! {
            s = listener.accept_one() => s,
            () = shutdown.cancelled() => break,
        };
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (ctx, settings, shutdown) = (ctx.clone(), Arc::clone(&settings), shutdown.clone());
        tracker.spawn(async move {
            let _open = settings.metrics.sessions.track();
            settings.metrics.sessions_total.inc();
            let conn = match (&settings.tls, settings.implicit_tls) {
                (Some(tls), true) => match accept_tls(tls, stream).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return;
                    }
                },
                _ => Conn::plain(stream),
            };
            connection::serve(conn, ctx, settings, shutdown).await;
            drop(permit);
        });
    }
    tracker.close();
    tracker.wait().await;
    tracing::info!("lmtp stopped");
    Ok(())
}
