//! eider-pop3d: POP3 (RFC 1939) with CAPA and RESP-CODES (RFC 2449), SASL PLAIN (RFC 5034),
//! UTF8 (RFC 6856), and STLS (RFC 2595) / implicit TLS (RFC 8314) when `[tls]` is configured.
//!
//! `proto` is the sans-I/O core; [`conn`] drives one connection, [`maildrop`] makes the store
//! calls of login and the UPDATE state, [`retr`] streams messages, [`limits`] keeps the
//! maildrop lock and download counter in `ctx.counters` (across processes with `[redis]`),
//! [`store_error`] is the one mapping of store failures to `-ERR` answers. Behaviour and its
//! reasons: `docs/pop3.md`.

pub mod conn;
pub mod limits;
pub mod maildrop;
pub mod metrics;
pub mod proto;
pub mod retr;
pub mod store_error;

use conn::{ConnState, Flow};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::listener::{self, Listener, Socket, refusal};
use eider_runtime::transport::{Conn, Tls, accept_tls};
use proto::session::{Session, SessionConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

/// Failed logins tolerated per connection before it is closed.
const MAX_AUTH_FAILURES: u32 = 3;
/// How long shutdown waits for sessions to finish their current command.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// State shared by every connection of this process.
pub struct Shared {
    pub ctx: Context,
    /// Present when `[tls]` names a certificate: STLS is offered and port 995 can be served.
    /// Reloaded when the files change (see `eider_runtime::transport`).
    pub tls: Option<Tls>,
    /// This daemon's counters in `ctx.metrics` (see [`metrics`]).
    pub metrics: metrics::Pop3Metrics,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("ctx", &self.ctx)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Loads the TLS identity (if any) from `ctx.config.tls`.
    pub fn new(ctx: Context) -> Result<Self, eider_runtime::transport::TlsError> {
        let tls = Tls::from_config(&ctx.config)?;
        Ok(Self::with_tls(ctx, tls))
    }

    /// With an identity loaded elsewhere (shared by the daemons of `eider serve`).
    pub fn with_tls(ctx: Context, tls: Option<Tls>) -> Self {
        let metrics = metrics::Pop3Metrics::new(ctx.metrics.registry());
        Self { ctx, tls, metrics }
    }
}

/// Serves POP3 on `listener` until `shutdown` is cancelled.
pub async fn run(listener: TcpListener, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    run_listeners(Some(listener), None, ctx, shutdown).await
}

/// Serves POP3 on `plain` and POP3 over implicit TLS on `implicit_tls` (port 995) until
/// `shutdown` is cancelled, with the `[tls]` identity loaded from the configuration.
pub async fn run_listeners(
    plain: Option<TcpListener>,
    implicit_tls: Option<TcpListener>,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let tls = Tls::from_config(&ctx.config)?;
    run_listeners_tls(plain, implicit_tls, tls, ctx, shutdown).await
}

/// [`run_listeners`] with a TLS identity the caller loaded (and reloads), so several daemons of
/// one process share it. Both listeners share the `[pop3]` connection limits.
pub async fn run_listeners_tls(
    plain: Option<TcpListener>,
    implicit_tls: Option<TcpListener>,
    tls: Option<Tls>,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let shared = Arc::new(Shared::with_tls(ctx, tls));
    if implicit_tls.is_some() && shared.tls.is_none() {
        anyhow::bail!("POP3 over implicit TLS needs [tls] cert and key");
    }
    let config = &shared.ctx.config;
    let listener = Listener::new(
        "pop3",
        &config.pop3.listener(),
        shared.ctx.metrics.registry(),
    )?
    .refusal(refusal::POP3)
    .shutdown_grace(SHUTDOWN_GRACE);
    let sockets: Vec<Socket<TcpListener>> = plain
        .map(Socket::plain)
        .into_iter()
        .chain(implicit_tls.map(Socket::implicit_tls))
        .collect();
    listener::serve(listener, sockets, shutdown.clone(), move |a| {
        let (shared, shutdown) = (Arc::clone(&shared), shutdown.clone());
        async move {
            let Some(peer) = a.peer else { return };
            let span = tracing::info_span!("pop3", %peer, tls = a.implicit_tls);
            handle(shared, a.stream, peer, a.implicit_tls, shutdown)
                .instrument(span)
                .await;
        }
    })
    .await;
    Ok(())
}

/// The session settings for a new connection from `peer`.
fn session_config(shared: &Shared, peer: SocketAddr, tls_active: bool) -> SessionConfig {
    let cfg = &shared.ctx.config;
    SessionConfig {
        plaintext_allowed: cfg.auth.plaintext_anywhere
            || (cfg.auth.plaintext_loopback && peer.ip().is_loopback()),
        tls_available: shared.tls.is_some() && !tls_active,
        tls_active,
        implementation: (!cfg.pop3.hide_implementation).then(|| "Eider".to_owned()),
        max_bad_commands: cfg.pop3.max_bad_commands.max(1),
        max_auth_failures: MAX_AUTH_FAILURES,
    }
}

async fn handle(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    shutdown: Shutdown,
) {
    let _open = shared.metrics.sessions.track();
    shared.metrics.sessions_total.inc();
    let mut st = ConnState::new(Session::new(session_config(&shared, peer, implicit_tls)))
        .with_peer(peer.ip());
    let result = if implicit_tls {
        match start_tls(&shared, tcp).await {
            Some(tls) => conn::serve(&shared, tls, &mut st, &shutdown)
                .await
                .map(|_| Flow::Closed),
            None => return,
        }
    } else {
        conn::serve(&shared, tcp, &mut st, &shutdown).await
    };
    let result = match result {
        Ok(Flow::StartTls(tcp)) => match start_tls(&shared, tcp).await {
            Some(tls) => {
                st.session.tls_started();
                conn::serve(&shared, tls, &mut st, &shutdown)
                    .await
                    .map(|_| Flow::Closed)
            }
            None => return,
        },
        other => other,
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "POP3 connection ended");
    }
}

/// The TLS handshake (bounded by the transport's handshake timeout).
async fn start_tls(shared: &Shared, tcp: TcpStream) -> Option<Conn<TcpStream>> {
    let tls = shared.tls.as_ref()?;
    match accept_tls(tls, tcp).await {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::info!(error = %e, "TLS handshake failed");
            None
        }
    }
}
