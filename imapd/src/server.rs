//! The accept loops: one task per connection on the plain (`[imap]`, STARTTLS) and implicit-TLS
//! (`[imaps]`) listeners, a global connection limit, and graceful shutdown (stop accepting, let
//! every session say BYE, wait for them).
//!
//! Per-user connection limits are not counted here but in `ctx.counters` at login (see
//! `conn::login`), so with `[redis]` they hold across every imapd process.
//!
//! Invariant: every spawned connection task is tracked, so `run` returns only after all of
//! them ended.

use crate::conn;
use crate::mailbox::recent::RecentRegistry;
use crate::metrics::ImapMetrics;
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_runtime::transport::Tls;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// How long shutdown waits for sessions to finish their current command.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Limits and timers of the server: [`Options::from_config`] reads them from `[imap]`; tests
/// shorten them through [`run_with`].
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections served at once by this process; more are greeted with BYE.
    pub max_connections: usize,
    /// Idle time allowed before login.
    pub pre_login_timeout: Duration,
    /// Idle time allowed after login, IDLE included (RFC 3501 §5.4: at least 30 minutes).
    pub idle_timeout: Duration,
    /// How often IDLE re-reads the journal even without a change event.
    pub idle_poll: Duration,
    /// How often IDLE sends `* OK Still here`.
    pub idle_keepalive: Duration,
    /// Bad commands tolerated before the connection is closed.
    pub max_errors: u32,
    /// Failed logins tolerated per connection before it is closed.
    pub max_auth_failures: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options::from_config(&Config::default())
    }
}

impl Options {
    /// The `[imap]` settings (timers of IDLE keep their built-in values).
    pub fn from_config(config: &Config) -> Self {
        let imap = &config.imap;
        Options {
            max_connections: usize::try_from(imap.max_connections.max(1)).unwrap_or(usize::MAX),
            pre_login_timeout: Duration::from_secs(imap.pre_login_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(imap.idle_timeout_secs.max(1)),
            idle_poll: Duration::from_secs(30),
            idle_keepalive: Duration::from_secs(120),
            max_errors: imap.max_bad_commands.max(1),
            max_auth_failures: imap.max_auth_failures.max(1),
        }
    }
}

/// State shared by every connection of this process.
pub struct Shared {
    pub ctx: Context,
    pub options: Options,
    /// Who gets `\Recent` (process-local, see [`crate::mailbox::recent`]).
    pub recent: Arc<RecentRegistry>,
    /// The `[tls]` identity: STARTTLS is offered and `[imaps]` served only when present.
    pub tls: Option<Tls>,
    /// This daemon's counters in `ctx.metrics` (see [`crate::metrics`]).
    pub metrics: ImapMetrics,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Without TLS.
    pub fn new(ctx: Context, options: Options) -> Self {
        Shared::with_tls(ctx, options, None)
    }

    pub fn with_tls(ctx: Context, options: Options, tls: Option<Tls>) -> Self {
        Shared {
            metrics: ImapMetrics::new(ctx.metrics.registry()),
            ctx,
            options,
            recent: Arc::new(RecentRegistry::new()),
            tls,
        }
    }
}

/// Serves IMAP on `listener` until `shutdown` is cancelled, with the `[imap]` options and
/// STARTTLS when `[tls]` is configured.
pub async fn run(listener: TcpListener, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let options = Options::from_config(&ctx.config);
    run_with(listener, ctx, shutdown, options).await
}

/// [`run`] with explicit limits and timers.
pub async fn run_with(
    listener: TcpListener,
    ctx: Context,
    shutdown: Shutdown,
    options: Options,
) -> anyhow::Result<()> {
    let tls = Tls::from_config(&ctx.config)?;
    let listeners = Listeners {
        plain: Some(listener),
        implicit_tls: None,
        tls,
    };
    run_listeners(listeners, ctx, shutdown, options).await
}

/// What [`run_listeners`] serves.
#[derive(Debug, Default)]
pub struct Listeners {
    /// IMAP with STARTTLS (when `tls` is set), port 143.
    pub plain: Option<TcpListener>,
    /// IMAP over implicit TLS (RFC 8314), port 993; needs `tls`.
    pub implicit_tls: Option<TcpListener>,
    /// The certificate, shared with other daemons of the process so one reload serves all.
    pub tls: Option<Tls>,
}

/// Accepts on one optional listener; never completes when there is none.
async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Serves both listeners with one connection limit until `shutdown` is cancelled.
pub async fn run_listeners(
    listeners: Listeners,
    ctx: Context,
    shutdown: Shutdown,
    options: Options,
) -> anyhow::Result<()> {
    if listeners.implicit_tls.is_some() && listeners.tls.is_none() {
        anyhow::bail!("IMAP over implicit TLS needs [tls] cert and key");
    }
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let shared = Arc::new(Shared::with_tls(ctx, options, listeners.tls));
    let tracker = TaskTracker::new();
    let mut next_id: u64 = 0;
    let (plain, implicit) = (listeners.plain.as_ref(), listeners.implicit_tls.as_ref());
    loop {
        let (accepted, implicit_tls) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = accept(plain) => (r, false),
            r = accept(implicit) => (r, true),
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        next_id += 1;
        let _ = stream.set_nodelay(true);
        let span = tracing::info_span!("imap", conn = next_id, %peer, tls = implicit_tls, user = tracing::field::Empty);
        let permit = Arc::clone(&slots).try_acquire_owned().ok();
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        tracker.spawn(
            async move {
                match permit {
                    Some(_permit) => {
                        conn::accept(stream, peer, implicit_tls, shared, shutdown).await
                    }
                    // A TLS client cannot read a clear-text BYE: just close.
                    None if implicit_tls => {
                        shared.metrics.refused.inc();
                        drop(stream)
                    }
                    None => {
                        shared.metrics.refused.inc();
                        conn::refuse(stream).await
                    }
                }
            }
            .instrument(span),
        );
    }
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = tracker.len(),
            "sessions still open after the shutdown grace period"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_imap_section() {
        let mut config = Config::default();
        config.imap.max_connections = 7;
        config.imap.pre_login_timeout_secs = 5;
        config.imap.idle_timeout_secs = 900;
        config.imap.max_bad_commands = 4;
        config.imap.max_auth_failures = 2;
        let o = Options::from_config(&config);
        assert_eq!(o.max_connections, 7);
        assert_eq!(o.pre_login_timeout, Duration::from_secs(5));
        assert_eq!(o.idle_timeout, Duration::from_secs(900));
        assert_eq!(o.max_errors, 4);
        assert_eq!(o.max_auth_failures, 2);
        // Zero would make every connection fail at once: at least one of each.
        config.imap.max_bad_commands = 0;
        config.imap.pre_login_timeout_secs = 0;
        let o = Options::from_config(&config);
        assert_eq!(o.max_errors, 1);
        assert_eq!(o.pre_login_timeout, Duration::from_secs(1));
        let d = Options::default();
        assert_eq!(d.idle_timeout, Duration::from_secs(30 * 60));
        assert_eq!(d.max_connections, 2048);
    }
}
