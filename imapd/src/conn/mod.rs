//! One IMAP connection: feeds client bytes to the receiver, runs the session's actions against
//! the store, and writes the responses.
//!
//! Invariants:
//! - every complete command in the input buffer is processed before output is flushed
//!   (pipelining), and output is flushed before blocking on a read;
//! - the selected-mailbox view exists exactly while the session is in the selected state;
//! - passwords and raw lines are never logged: the command log has tag, verb, result, time;
//! - the stream's layers change only between commands, in [`layers`] (STARTTLS, COMPRESS).

mod execute;
mod layers;
pub mod updates;
mod upload;
mod wait;
pub mod wire;

use crate::handlers;
use crate::mailbox::SelectedView;
use crate::proto::command::Command;
use crate::proto::receiver::{Limits, Progress, Receiver};
use crate::proto::response::{Response, Status};
use crate::server::Shared;
use crate::session::error::receive_error_response;
use crate::session::{Action, Session, SessionConfig};
use eider_model::types::Uid;
use eider_runtime::Shutdown;
use eider_runtime::counters::Lease;
use eider_runtime::transport::accept_tls;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tracing::Instrument;
use wire::{IoStream, Transport, Wire};

/// Bytes read from the socket at a time during bulk input (APPEND literals).
const READ_SIZE: usize = 64 * 1024;
/// The read buffer between commands: most commands fit, and an idle connection (thousands of
/// them in IDLE) holds only this much. A read that fills it grows it to [`READ_SIZE`]; it
/// shrinks back at the next command boundary.
const IDLE_READ_SIZE: usize = 4 * 1024;

/// Whether the connection goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Close,
}

/// The state of one connection.
pub struct Conn {
    shared: Arc<Shared>,
    wire: Wire,
    rx: Receiver,
    session: Session,
    view: Option<SelectedView>,
    /// The SEARCHRES saved result as UIDs (RFC 5182).
    saved: Option<Vec<Uid>>,
    /// Keywords the client was told about in FLAGS for the selected mailbox.
    keywords: handlers::Keywords,
    /// The per-user connection lease taken at login (`ctx.counters`), released on drop.
    slot: Option<Lease>,
    /// The logged-in user's own message size limit (`UserLimits::max_message_size`).
    user_max_message: Option<u64>,
    peer: SocketAddr,
    errors: u32,
    auth_failures: u32,
    shutdown: Shutdown,
    readbuf: Vec<u8>,
    /// Accept time + the pre-login timeout: absolute, so trickled bytes cannot extend it.
    login_deadline: tokio::time::Instant,
    /// The connection's span (its `user` field is filled at login).
    span: tracing::Span,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// Serves one accepted TCP connection until it ends; with `implicit_tls` the TLS handshake
/// comes first (`[imaps]`, RFC 8314).
pub async fn accept(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    shared: Arc<Shared>,
    shutdown: Shutdown,
) {
    let io: Box<dyn IoStream> = Box::new(stream);
    let transport = match (&shared.tls, implicit_tls) {
        (Some(tls), true) => match accept_tls(tls, io).await {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(error = %e, "TLS handshake failed");
                return;
            }
        },
        _ => Transport::plain(io),
    };
    run_transport(transport, peer, shared, shutdown).await;
}

/// Serves one plain connection over any stream until it ends.
pub async fn serve<S: IoStream + 'static>(
    stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Shutdown,
) {
    run_transport(Transport::plain(Box::new(stream)), peer, shared, shutdown).await;
}

async fn run_transport(
    transport: Transport,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Shutdown,
) {
    let _open = shared.metrics.connections.track();
    shared.metrics.connections_total.inc();
    let mut conn = Conn::with_transport(transport, peer, shared, shutdown);
    match conn.run().await {
        Ok(()) => tracing::debug!("connection closed"),
        Err(e) => tracing::debug!(error = %e, "connection ended"),
    }
}

/// Greets a connection over the global limit with BYE and closes it.
pub async fn refuse<S: IoStream>(mut stream: S) {
    let _ = stream
        .write_all(b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n")
        .await;
    let _ = stream.shutdown().await;
}

fn bye(text: &str) -> Response {
    Response::Condition {
        status: Status::Bye,
        code: None,
        text: text.into(),
    }
}

impl Conn {
    #[cfg(test)]
    fn new(
        io: Box<dyn IoStream>,
        peer: SocketAddr,
        shared: Arc<Shared>,
        shutdown: Shutdown,
    ) -> Self {
        Conn::with_transport(Transport::plain(io), peer, shared, shutdown)
    }

    fn with_transport(
        io: Transport,
        peer: SocketAddr,
        shared: Arc<Shared>,
        shutdown: Shutdown,
    ) -> Self {
        let login_deadline = tokio::time::Instant::now() + shared.options.pre_login_timeout;
        let auth = &shared.ctx.config.auth;
        let plaintext_auth =
            auth.plaintext_anywhere || (auth.plaintext_loopback && peer.ip().is_loopback());
        let config = SessionConfig {
            plaintext_auth,
            // RFC 3501 §6.2.1: offered only where a certificate exists and TLS is not active.
            starttls: shared.tls.is_some(),
            tls_active: io.is_tls(),
            max_append: shared.ctx.config.limits.max_message_size,
            literal_plus: true,
            compress: true,
        };
        let session = Session::new(config);
        Conn {
            rx: Receiver::new(session.limits()),
            session,
            wire: Wire::new(io).metered(
                shared.metrics.bytes_received.clone(),
                shared.metrics.bytes_sent.clone(),
            ),
            shared,
            view: None,
            saved: None,
            keywords: handlers::Keywords::default(),
            slot: None,
            user_max_message: None,
            peer,
            errors: 0,
            auth_failures: 0,
            shutdown,
            readbuf: vec![0; IDLE_READ_SIZE],
            login_deadline,
            span: tracing::Span::current(),
        }
    }

    fn limits(&self) -> Limits {
        self.session.limits()
    }

    async fn run(&mut self) -> std::io::Result<()> {
        let greeting = self.session.greeting();
        self.wire.push(&greeting);
        loop {
            if self.drain().await? == Flow::Close {
                break;
            }
            self.wire.flush().await?;
            // A command boundary (or a partial command line): drop bulk-sized buffers so an
            // idle connection stays small.
            if self.readbuf.len() > IDLE_READ_SIZE {
                self.readbuf = vec![0; IDLE_READ_SIZE];
            }
            self.rx.shrink();
            match self.read_more().await? {
                Some(n) => self.rx.feed(&self.readbuf[..n]),
                None => break,
            }
        }
        self.wire.flush().await?;
        self.wire.shutdown().await;
        Ok(())
    }

    /// Reads the next bytes into `readbuf`: `None` at end of stream, timeout or shutdown (the
    /// latter two say BYE first).
    async fn read_more(&mut self) -> std::io::Result<Option<usize>> {
        let deadline = if self.session.state().user().is_some() {
            // Logged in: the listener's absolute pre-login deadline no longer applies.
            eider_runtime::listener::logged_in();
            tokio::time::Instant::now() + self.shared.options.idle_timeout
        } else {
            // Not logged in: the absolute deadline, so the client hears BYE before the
            // listener's backstop closes the socket.
            self.login_deadline
        };
        tokio::select! {
            _ = self.shutdown.cancelled() => {
                self.wire.push(&bye("Server shutting down"));
                Ok(None)
            }
            r = tokio::time::timeout_at(deadline, self.wire.read(&mut self.readbuf)) => match r {
                Err(_) => {
                    self.wire.push(&bye("Autologout: idle for too long"));
                    Ok(None)
                }
                Ok(Ok(0)) => Ok(None),
                Ok(Ok(n)) => {
                    if n == self.readbuf.len() && n < READ_SIZE {
                        // More is probably waiting (a literal): read in bulk from now on.
                        self.readbuf.resize(READ_SIZE, 0);
                    }
                    Ok(Some(n))
                }
                Ok(Err(e)) => Err(e),
            },
        }
    }

    /// Handles every complete command buffered.
    async fn drain(&mut self) -> std::io::Result<Flow> {
        loop {
            let limits = self.limits();
            self.rx.set_limits(limits);
            let flow = match self.rx.next() {
                Progress::NeedMore => return Ok(Flow::Continue),
                Progress::NeedsLiteral { .. } => {
                    self.wire.push(&Response::Continue("Ready".into()));
                    self.wire.flush().await?;
                    self.rx.accept_literal();
                    continue;
                }
                Progress::Command(cmd) => self.command(cmd).await?,
                Progress::Append(header) => {
                    let started = Instant::now();
                    let tag = header.tag.clone();
                    let action = self.session.on_append(header);
                    let span = tracing::info_span!("command", tag = %tag, command = "APPEND");
                    let flow = self.act(action).instrument(span.clone()).await?;
                    span.in_scope(|| self.log("APPEND", started));
                    let status = self.wire.last_tagged;
                    self.shared
                        .metrics
                        .command("APPEND", status, Some(started.elapsed()));
                    flow
                }
                // Only expected inside an APPEND or a raw-line exchange, handled there.
                Progress::AppendData(_) | Progress::AppendEnd | Progress::RawLine(_) => continue,
                Progress::Error(e) => {
                    self.wire.last_tagged = None;
                    self.wire.push(&receive_error_response(&e));
                    let status = self.wire.last_tagged;
                    self.shared.metrics.command("invalid", status, None);
                    self.count_error()
                }
            };
            if flow == Flow::Close {
                return Ok(Flow::Close);
            }
        }
    }

    fn count_error(&mut self) -> Flow {
        self.errors += 1;
        if self.errors >= self.shared.options.max_errors {
            self.wire.push(&bye("Too many invalid commands"));
            return Flow::Close;
        }
        Flow::Continue
    }

    fn log(&self, name: &str, started: Instant) {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match self.wire.last_tagged {
            Some(status) => tracing::info!(result = ?status, elapsed_ms, "{name} done"),
            None => tracing::info!(result = "untagged", elapsed_ms, "{name} done"),
        }
    }

    async fn command(&mut self, cmd: Command) -> std::io::Result<Flow> {
        let started = Instant::now();
        let name = cmd.body.name();
        let tag = cmd.tag.clone();
        self.wire.last_tagged = None;
        let action = self.session.on_command(cmd);
        let span = tracing::info_span!("command", tag = %tag, command = name);
        let mut flow = self.act(action).instrument(span.clone()).await?;
        span.in_scope(|| self.log(name, started));
        let status = self.wire.last_tagged;
        self.shared
            .metrics
            .command(name, status, Some(started.elapsed()));
        if self.wire.last_tagged == Some(Status::Bad) && self.count_error() == Flow::Close {
            flow = Flow::Close;
        }
        Ok(flow)
    }

    /// Carries out one session action (and those it leads to).
    async fn act(&mut self, mut action: Action) -> std::io::Result<Flow> {
        let flow = loop {
            match action {
                Action::Reply(rs) => {
                    self.wire.push_all(&rs);
                    break Flow::Continue;
                }
                Action::Close(rs) => {
                    self.wire.push_all(&rs);
                    break Flow::Close;
                }
                Action::StartTls(r) => break self.start_tls(r).await?,
                Action::StartCompress(r) => break self.start_compress(r).await?,
                Action::ReadRawLine(rs) => {
                    self.wire.push_all(&rs);
                    self.wire.flush().await?;
                    self.rx.read_raw_line();
                    match self.raw_line().await? {
                        Some(line) => action = self.session.on_raw_line(&line),
                        None => break Flow::Close,
                    }
                }
                Action::Idle(r) => {
                    let _idling = self.shared.metrics.idle.track();
                    match self.idle(r).await? {
                        Ok(next) => action = next,
                        Err(flow) => break flow,
                    }
                }
                Action::CheckCredentials {
                    tag,
                    username,
                    password,
                } => {
                    break self
                        .check_credentials(&tag, &username, password.expose())
                        .await;
                }
                Action::Execute {
                    tag,
                    command,
                    user,
                    mailbox: _,
                    announce_highest_modseq,
                } => {
                    break self
                        .execute(&tag, command, &user, announce_highest_modseq)
                        .await?;
                }
                Action::Append { header, user } => break self.append(header, &user).await?,
                Action::AnnounceHighestModSeq(rs) => {
                    self.announce_modseq();
                    self.wire.push_all(&rs);
                    break Flow::Continue;
                }
                Action::RefuseAppend(rs) => {
                    self.wire.push_all(&rs);
                    self.rx.reject_literal();
                    break Flow::Continue;
                }
            }
        };
        if self.session.state().mailbox().is_none() {
            self.view = None;
        }
        self.wire.opts = self.session.encode_options();
        Ok(flow)
    }

    /// Reads a raw line (SASL response, IDLE's DONE); `None` when the connection ends.
    async fn raw_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            match self.rx.next() {
                Progress::RawLine(line) => return Ok(Some(line)),
                Progress::NeedMore => {}
                Progress::Error(e) => {
                    self.wire.push(&receive_error_response(&e));
                    return Ok(None);
                }
                _ => return Ok(None),
            }
            self.wire.flush().await?;
            match self.read_more().await? {
                Some(n) => self.rx.feed(&self.readbuf[..n]),
                None => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests;
