//! IMAP over the shared listener (`eider_runtime::listener`): the plain (`[imap]`, STARTTLS) and
//! implicit-TLS (`[imaps]`) sockets share one set of limits (global, per client address, the
//! absolute pre-login deadline, PROXY trust); graceful shutdown stops accepting, lets every
//! session say BYE, and waits for them up to [`SHUTDOWN_GRACE`].
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
use eider_runtime::config::{Config, ListenerLimits};
use eider_runtime::listener::{self, Accepted, Listener, Socket, refusal};
use eider_runtime::transport::Tls;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

/// How long shutdown waits for sessions to finish their current command.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Limits and timers of the server: [`Options::from_config`] reads them from `[imap]`; tests
/// shorten them through [`run_with`].
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections served at once by this process; more are greeted with BYE.
    pub max_connections: usize,
    /// Connections at once per client address (IPv6: /64); `None`: no limit.
    pub max_connections_per_address: Option<usize>,
    /// Time from accept until login, and idle time allowed before it.
    pub pre_login_timeout: Duration,
    /// Proxies whose PROXY header is required and honoured (`[imap] trusted_proxies`).
    pub trusted_proxies: Vec<String>,
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
        let limits = imap.listener();
        Options {
            max_connections: limits.max_connections,
            max_connections_per_address: limits.max_per_address,
            pre_login_timeout: limits.pre_login,
            trusted_proxies: limits.trusted_proxies,
            idle_timeout: Duration::from_secs(imap.idle_timeout_secs.max(1)),
            idle_poll: Duration::from_secs(30),
            idle_keepalive: Duration::from_secs(120),
            max_errors: imap.max_bad_commands.max(1),
            max_auth_failures: imap.max_auth_failures.max(1),
        }
    }
}

impl Options {
    /// The shared listener's limits (both listeners together).
    pub fn listener_limits(&self) -> ListenerLimits {
        ListenerLimits {
            max_connections: self.max_connections.max(1),
            max_per_address: self.max_connections_per_address,
            pre_login: self.pre_login_timeout,
            trusted_proxies: self.trusted_proxies.clone(),
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

/// Serves both listeners through the shared listener (one set of `[imap]` limits for both)
/// until `shutdown` is cancelled.
pub async fn run_listeners(
    listeners: Listeners,
    ctx: Context,
    shutdown: Shutdown,
    options: Options,
) -> anyhow::Result<()> {
    if listeners.implicit_tls.is_some() && listeners.tls.is_none() {
        anyhow::bail!("IMAP over implicit TLS needs [tls] cert and key");
    }
    let limits = options.listener_limits();
    let listener = Listener::new("imap", &limits, ctx.metrics.registry())?
        .refusal(refusal::IMAP)
        .shutdown_grace(SHUTDOWN_GRACE);
    let shared = Arc::new(Shared::with_tls(ctx, options, listeners.tls));
    // `eider_imap_connections_refused_total` keeps counting refusals at `max_connections`.
    let listener = listener.count_global_refusals_in(shared.metrics.refused.clone());
    let sockets: Vec<Socket<TcpListener>> = listeners
        .plain
        .map(Socket::plain)
        .into_iter()
        .chain(listeners.implicit_tls.map(Socket::implicit_tls))
        .collect();
    let next_id = Arc::new(AtomicU64::new(0));
    let handler = {
        let (shared, shutdown) = (Arc::clone(&shared), shutdown.clone());
        move |a: Accepted<TcpStream>| {
            let (shared, shutdown) = (Arc::clone(&shared), shutdown.clone());
            let id = next_id.fetch_add(1, Ordering::Relaxed) + 1;
            async move {
                let Some(peer) = a.peer else { return };
                let tls = a.implicit_tls;
                let user = tracing::field::Empty;
                let span = tracing::info_span!("imap", conn = id, %peer, tls, user);
                conn::accept(a.stream, peer, tls, shared, shutdown)
                    .instrument(span)
                    .await;
            }
        }
    };
    listener::serve(listener, sockets, shutdown, handler).await;
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
