//! The accept loop and the task that wraps every connection: admission, the PROXY header, the
//! pre-login deadline, and graceful shutdown.
//!
//! Invariants:
//! - the accept loop never waits on a client: refusals are written by their own short task;
//! - every connection task is tracked, and `serve` returns only after all of them ended (or were
//!   dropped at the end of the shutdown grace period);
//! - a connection is dropped at its pre-login deadline (plus [`BACKSTOP`]) unless its handler
//!   called [`super::logged_in`] before; after login only the daemon's own timers apply.

use super::gate::{ListenerMetrics, Slot};
use super::proxy::{self, Parse};
use super::{Accept, Accepted, Listener, Socket};
use crate::Shutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// How long a refusal may take to write before the socket is just closed.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

/// The listener's deadline is a backstop this long after the pre-login deadline: a daemon that
/// enforces the deadline itself (imapd says `* BYE` at it) always gets to answer first, and
/// one that does not is still closed.
pub(super) const BACKSTOP: Duration = Duration::from_millis(500);

tokio::task_local! {
    /// Set by the listener around a connection's handler; [`super::logged_in`] sets it.
    pub(super) static LOGGED_IN: Arc<AtomicBool>;
}

/// What every connection task of one `serve` shares.
struct Shared<H> {
    listener: Listener,
    handler: H,
    /// Cancelled when the shutdown grace period is over: open connections are dropped.
    abort: Shutdown,
}

/// Serves `sockets` until `shutdown` is cancelled, then waits for open connections (at most the
/// listener's `shutdown_grace`, if set) and returns.
pub async fn serve<A, H, F>(
    listener: Listener,
    sockets: Vec<Socket<A>>,
    shutdown: Shutdown,
    handler: H,
) where
    A: Accept,
    H: Fn(Accepted<A::Stream>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let shared = Arc::new(Shared {
        listener,
        handler,
        abort: Shutdown::new(),
    });
    let tracker = TaskTracker::new();
    let ids = AtomicU64::new(0);
    if !sockets.is_empty() {
        loop {
            let accepts = sockets.iter().map(|s| Box::pin(s.socket.accept()));
            let (accepted, which) = tokio::select! {
                () = shutdown.cancelled() => break,
                (r, i, _) = futures::future::select_all(accepts) => (r, i),
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(listener = shared.listener.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let implicit_tls = sockets.get(which).is_some_and(|s| s.implicit_tls);
            let id = ids.fetch_add(1, Ordering::Relaxed) + 1;
            admit(&shared, &tracker, stream, peer, implicit_tls, id);
        }
    }
    drain(&shared, tracker).await;
}

/// Takes a global slot for a new socket and starts its task (or its refusal).
fn admit<S, H, F>(
    shared: &Arc<Shared<H>>,
    tracker: &TaskTracker,
    stream: S,
    peer: Option<SocketAddr>,
    implicit_tls: bool,
    id: u64,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Accepted<S>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let l = &shared.listener;
    l.metrics.accepted.inc();
    let span = match peer {
        Some(peer) => {
            let client = tracing::field::Empty;
            tracing::info_span!("conn", listener = l.name, id, %peer, client)
        }
        None => tracing::info_span!("conn", listener = l.name, id),
    };
    match l.gate.admit() {
        Ok(slot) => {
            let task = connection(Arc::clone(shared), stream, peer, implicit_tls, slot);
            tracker.spawn(task.instrument(span));
        }
        Err(why) => {
            l.metrics.refused(why);
            if let Some(c) = &l.global_refusals {
                c.inc();
            }
            tracing::info!(parent: &span, reason = ?why, "connection refused");
            let text = l.refusal.filter(|_| !implicit_tls);
            tracker.spawn(refuse(stream, text).instrument(span));
        }
    }
}

/// One admitted connection, from its PROXY header to the end of its handler.
async fn connection<S, H, F>(
    shared: Arc<Shared<H>>,
    stream: S,
    peer: Option<SocketAddr>,
    implicit_tls: bool,
    mut slot: Slot,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Accepted<S>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let l = &shared.listener;
    let _open = l.metrics.open.track();
    let logged_in = Arc::new(AtomicBool::new(false));
    let work = async {
        let trusted = peer.is_some_and(|p| l.trusted.iter().any(|c| c.contains(p.ip())));
        let (mut stream, client) = match peer {
            Some(peer) if trusted => match read_proxy_header(stream, &l.metrics).await {
                Some((stream, source)) => (stream, Some(source.unwrap_or(peer))),
                None => return,
            },
            _ => (stream, peer),
        };
        if trusted && let Some(client) = client {
            tracing::Span::current().record("client", tracing::field::display(client));
            tracing::debug!(%client, "PROXY header");
        }
        if let Some(client) = client
            && let Err(why) = l.gate.admit_address(&mut slot, client.ip())
        {
            l.metrics.refused(why);
            tracing::info!(%client, reason = ?why, "connection refused");
            if let (Some(text), false) = (l.refusal, implicit_tls) {
                let _ = tokio::time::timeout(REFUSAL_TIMEOUT, stream.write_all(text)).await;
            }
            let _ = stream.shutdown().await;
            return;
        }
        let accepted = Accepted {
            stream,
            peer: client,
            implicit_tls,
        };
        (shared.handler)(accepted).await;
    };
    tokio::select! {
        () = LOGGED_IN.scope(Arc::clone(&logged_in), work) => {}
        () = deadline(l.pre_login + BACKSTOP, &logged_in) => {
            l.metrics.pre_login_timeouts.inc();
            tracing::info!("closed at the pre-login deadline");
        }
        () = shared.abort.cancelled() => {
            tracing::debug!("dropped at the end of the shutdown grace period");
        }
    }
}

/// Completes at `after` unless the connection has logged in by then; never completes otherwise.
async fn deadline(after: Duration, logged_in: &AtomicBool) {
    tokio::time::sleep(after).await;
    if logged_in.load(Ordering::Acquire) {
        std::future::pending::<()>().await;
    }
}

/// Reads a PROXY header, exactly up to its end: `None` (the connection is closed) when it is
/// missing or malformed; otherwise the client's address, if the header names one.
async fn read_proxy_header<S: AsyncRead + Unpin>(
    mut stream: S,
    metrics: &ListenerMetrics,
) -> Option<(S, Option<SocketAddr>)> {
    let mut buf = vec![0u8; proxy::MAX_V1.max(proxy::MAX_V2)];
    let mut have = 0;
    loop {
        match proxy::parse(&buf[..have]) {
            Parse::Need(n) => {
                let end = (have + n).min(buf.len());
                match stream.read(&mut buf[have..end]).await {
                    Ok(0) | Err(_) => return None,
                    Ok(read) => have += read,
                }
            }
            Parse::Parsed(h) => return Some((stream, h.source)),
            Parse::Invalid(why) => {
                metrics.proxy_errors.inc();
                tracing::info!(why, "no valid PROXY header from a trusted proxy; closing");
                return None;
            }
        }
    }
}

/// Writes the refusal (when the protocol has one) and closes.
async fn refuse<S: AsyncWrite + Unpin>(mut stream: S, text: Option<&'static [u8]>) {
    let write = async {
        if let Some(text) = text {
            stream.write_all(text).await?;
        }
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, write).await;
}

/// After the accept loop stopped: waits for the connections, at most the grace period.
async fn drain<H>(shared: &Shared<H>, tracker: TaskTracker) {
    tracker.close();
    let Some(grace) = shared.listener.shutdown_grace else {
        tracker.wait().await;
        return;
    };
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!(
            listener = shared.listener.name,
            open = tracker.len(),
            "connections still open after the shutdown grace period; closing them"
        );
        shared.abort.cancel();
        tracker.wait().await;
    }
}
