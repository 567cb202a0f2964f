//! The one listener every daemon (LMTP, IMAP, POP3, the API) accepts connections through.
//!
//! Layers: [`serve`] runs the accept loop over one or more sockets (TCP or Unix) and gives each
//! connection a task that (1) takes a global slot ([`gate`]), (2) reads the PROXY header when
//! the peer is a trusted proxy ([`proxy`], sans-I/O), (3) counts the real client address
//! against the per-address limit, then (4) runs the daemon's handler, which is dropped at the
//! pre-login deadline unless it called [`logged_in`] first. Refused connections get the
//! daemon's one-line refusal (none on implicit TLS) and are counted.
//!
//! Invariants: the deadline is fixed at accept time, so a client trickling bytes cannot extend
//! it; a PROXY header is read only from `trusted_proxies` (from anyone else its bytes reach the
//! protocol as garbage), and from them it is required.

mod addr;
mod gate;
pub mod proxy;
mod serve;

#[cfg(test)]
mod tests;

pub use addr::{Cidr, CidrError, ClientKey};
pub use gate::{Gate, ListenerMetrics, Refusal, Slot};
pub use serve::serve;

use crate::config::ListenerLimits;
use crate::metrics::{Counter, Registry};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The refusals of connections over a limit, one per protocol.
pub mod refusal {
    /// RFC 9051 §7.1.5 BYE, with RFC 5530's UNAVAILABLE.
    pub const IMAP: &[u8] = b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
    /// RFC 2449 §8.1.2 / RFC 3206 SYS/TEMP.
    pub const POP3: &[u8] = b"-ERR [SYS/TEMP] Too many connections, try again later\r\n";
    /// RFC 5321 §3.8 421 as the greeting; RFC 3463 4.3.2 "system not accepting messages".
    pub const LMTP: &[u8] = b"421 4.3.2 Too many connections, try again later\r\n";
    /// RFC 9110 §15.6.4.
    pub const HTTP: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
Content-Length: 21\r\nConnection: close\r\nRetry-After: 5\r\n\r\nToo many connections\n";
}

/// Tells the listener that the connection whose task calls this has logged in (IMAP/POP3
/// login, LMTP LHLO): its pre-login deadline no longer applies. Harmless elsewhere.
pub fn logged_in() {
    let _ = serve::LOGGED_IN.try_with(|flag| flag.store(true, Ordering::Release));
}

/// A daemon's listener settings: limits, PROXY trust, refusal text, shutdown grace, metrics.
#[derive(Debug)]
pub struct Listener {
    /// `lmtp`, `imap`, `pop3`, `api`: the metrics label and the logs' `listener` field.
    pub name: &'static str,
    gate: Arc<Gate>,
    trusted: Vec<Cidr>,
    pre_login: Duration,
    refusal: Option<&'static [u8]>,
    shutdown_grace: Option<Duration>,
    metrics: ListenerMetrics,
    /// A daemon's own counter of refusals at `max_connections` (kept for its dashboards).
    global_refusals: Option<Counter>,
}

impl Listener {
    /// The listener `name` with `limits` (a daemon section's [`ListenerLimits`]), recording
    /// into `registry`; no refusal text and no shutdown deadline until set.
    pub fn new(
        name: &'static str,
        limits: &ListenerLimits,
        registry: &Registry,
    ) -> Result<Self, CidrError> {
        Ok(Self {
            name,
            gate: Gate::new(limits.max_connections, limits.max_per_address),
            trusted: addr::parse_trusted(&limits.trusted_proxies)?,
            pre_login: limits.pre_login,
            refusal: None,
            shutdown_grace: None,
            metrics: ListenerMetrics::new(registry, name),
            global_refusals: None,
        })
    }

    /// The line written to a refused connection (not on implicit TLS, where it is unreadable).
    pub fn refusal(mut self, text: &'static [u8]) -> Self {
        self.refusal = Some(text);
        self
    }

    /// After shutdown, connections still open past `grace` are dropped; without it `serve`
    /// waits for all of them.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = Some(grace);
        self
    }

    /// Also counts refusals at `max_connections` in `counter`.
    pub fn count_global_refusals_in(mut self, counter: Counter) -> Self {
        self.global_refusals = Some(counter);
        self
    }

    pub fn metrics(&self) -> &ListenerMetrics {
        &self.metrics
    }

    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }
}

/// Something that hands out connections: a TCP or a Unix listener.
pub trait Accept: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection and its peer (`None` on a Unix socket).
    fn accept(
        &self,
    ) -> impl Future<Output = std::io::Result<(Self::Stream, Option<SocketAddr>)>> + Send;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept(&self) -> std::io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, peer) = tokio::net::TcpListener::accept(self).await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, Some(peer)))
    }
}

impl Accept for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;

    async fn accept(&self) -> std::io::Result<(Self::Stream, Option<SocketAddr>)> {
        Ok((tokio::net::UnixListener::accept(self).await?.0, None))
    }
}

/// One socket [`serve`] accepts on.
#[derive(Debug)]
pub struct Socket<A> {
    pub socket: A,
    /// Connections start with a TLS handshake: no clear-text refusal is written.
    pub implicit_tls: bool,
}

impl<A> Socket<A> {
    pub fn plain(socket: A) -> Self {
        Self {
            socket,
            implicit_tls: false,
        }
    }

    pub fn implicit_tls(socket: A) -> Self {
        Self {
            socket,
            implicit_tls: true,
        }
    }
}

/// An admitted connection, handed to the daemon.
#[derive(Debug)]
pub struct Accepted<S> {
    /// Positioned after the PROXY header, if there was one.
    pub stream: S,
    /// The client: from the PROXY header behind a trusted proxy, else the socket's peer;
    /// `None` on a Unix socket.
    pub peer: Option<SocketAddr>,
    /// Accepted on an implicit-TLS socket.
    pub implicit_tls: bool,
}
