//! One POP3 connection: reads lines, feeds the session, carries out its actions.
//!
//! Generic over the byte stream, so the same loop serves plain TCP and TLS (STLS hands the
//! session over to a new loop on the TLS stream).
//!
//! Invariants:
//! - Responses are written in command order; pending output is flushed whenever no complete
//!   command is buffered, so pipelined commands (RFC 2449 §6.6) are answered in one write.
//! - Every read and write is bounded by the idle timeout; a timeout, a shutdown or a dropped
//!   connection ends the session without the UPDATE state (RFC 1939 §3).
//! - STLS is refused when plaintext input is already buffered behind it (RFC 2595 §4; a
//!   command injected before the handshake must never run inside TLS).
//! - A login is first checked against the failure limits (`eider_runtime::auth_limit`): over a
//!   limit it is refused `-ERR [SYS/TEMP]` without verifying the password.

use crate::Shared;
use crate::maildrop::{self, Maildrop};
use crate::proto::command;
use crate::proto::line::{Line, LineReader};
use crate::proto::reply::{Code, Reply};
use crate::proto::session::{Action, LoginFailure, Session, commit_reply};
use crate::retr;
use eider_runtime::Shutdown;
use eider_runtime::auth_limit::AuthLimit;
use std::io;
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest command line accepted. RFC 2449 §4 allows 255 octets; SASL responses (RFC 5034 §4)
/// and generous clients need more, and the reader never buffers beyond this.
const MAX_LINE: usize = 8192;

/// Everything about a connection that survives a switch to TLS.
#[derive(Debug)]
pub struct ConnState {
    pub session: Session,
    reader: LineReader,
    out: Vec<u8>,
    maildrop: Option<Maildrop>,
    /// The client's address, for the per-address failure count (`eider_runtime::auth_limit`).
    peer: Option<IpAddr>,
    /// The last action streamed a message (`+OK` already written out), for the metrics.
    streamed: bool,
}

impl ConnState {
    /// A fresh connection; the greeting is queued.
    pub fn new(session: Session) -> Self {
        let mut out = Vec::new();
        session.greeting().encode(&mut out);
        Self {
            session,
            reader: LineReader::new(MAX_LINE),
            out,
            maildrop: None,
            peer: None,
            streamed: false,
        }
    }

    /// Counts this connection's failed logins against `peer` too.
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }
}

/// How a connection loop ended.
#[derive(Debug)]
pub enum Flow<S> {
    Closed,
    /// `+OK` to STLS was sent: start TLS on this stream and continue.
    StartTls(S),
}

/// What one action asks of the loop.
enum Next {
    Continue,
    Close,
    StartTls,
}

/// Serves the connection until it closes or switches to TLS.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send>(
    shared: &Shared,
    mut stream: S,
    st: &mut ConnState,
    shutdown: &Shutdown,
) -> io::Result<Flow<S>> {
    let idle = Duration::from_secs(shared.ctx.config.pop3.idle_timeout_secs.max(1));
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while let Some(line) = st.reader.next_line() {
            let name = match (&line, st.session.in_sasl()) {
                (_, true) => None,
                (Line::Complete(l), false) => {
                    Some(command::parse(l).map_or("invalid", |c| c.name()))
                }
                (Line::TooLong, false) => Some("invalid"),
            };
            let action = match line {
                Line::Complete(l) => st.session.on_line(&l),
                Line::TooLong => st.session.on_line_too_long(),
            };
            let before = st.out.len();
            let next = act(shared, &mut stream, st, action).await?;
            let streamed = std::mem::take(&mut st.streamed);
            if let Some(name) = name {
                // A streamed message's `+OK` may already be written out and `out` reused.
                let first = if streamed {
                    Some(b'+')
                } else {
                    st.out.get(before).copied()
                };
                shared.metrics.command(name, first);
            }
            match next {
                Next::Continue => {}
                Next::Close => {
                    flush(&mut stream, &mut st.out, idle).await?;
                    let _ = stream.shutdown().await;
                    return Ok(Flow::Closed);
                }
                Next::StartTls => {
                    if st.reader.buffered() > 0 {
                        Reply::err("no pipelining after STLS").encode(&mut st.out);
                        flush(&mut stream, &mut st.out, idle).await?;
                        return Ok(Flow::Closed);
                    }
                    Reply::ok("begin TLS negotiation").encode(&mut st.out);
                    flush(&mut stream, &mut st.out, idle).await?;
                    return Ok(Flow::StartTls(stream));
                }
            }
        }
        flush(&mut stream, &mut st.out, idle).await?;
        let n = tokio::select! {
            r = tokio::time::timeout(idle, stream.read(&mut buf)) => match r {
                Ok(r) => r?,
                Err(_) => {
                    // RFC 1939 §3 autologout: no UPDATE state.
                    Reply::err("autologout: idle for too long").encode(&mut st.out);
                    flush(&mut stream, &mut st.out, idle).await?;
                    return Ok(Flow::Closed);
                }
            },
            () = shutdown.cancelled() => {
                Reply::err_code(Code::SysTemp, "server shutting down").encode(&mut st.out);
                flush(&mut stream, &mut st.out, idle).await?;
                return Ok(Flow::Closed);
            }
        };
        if n == 0 {
            return Ok(Flow::Closed);
        }
        st.reader.push(&buf[..n]);
    }
}

async fn flush<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    timeout: Duration,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let write = async {
        stream.write_all(out).await?;
        stream.flush().await
    };
    match tokio::time::timeout(timeout, write).await {
        Ok(r) => r?,
        Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
    }
    out.clear();
    Ok(())
}

/// Carries out one session action (and the ones it leads to).
async fn act<S: AsyncWrite + Unpin + Send>(
    shared: &Shared,
    stream: &mut S,
    st: &mut ConnState,
    mut action: Action,
) -> io::Result<Next> {
    loop {
        match action {
            Action::Reply(r) => r.encode(&mut st.out),
            Action::Close(r) => {
                r.encode(&mut st.out);
                return Ok(Next::Close);
            }
            Action::StartTls => return Ok(Next::StartTls),
            Action::Login { username, password } => {
                // Over a failure limit: refused before the password is looked at.
                let limit = AuthLimit::new(&shared.ctx.counters, &shared.ctx.config.auth);
                let result = match limit.begin(&username, st.peer).await {
                    Ok(counted) => {
                        let result = maildrop::login(shared, &username, password).await;
                        // Counted as a failure in advance: taken back unless the credentials
                        // were wrong.
                        if !matches!(result, Err(LoginFailure::Credentials)) {
                            counted.release().await;
                        }
                        result
                    }
                    Err(_) => Err(LoginFailure::Throttled),
                };
                match result {
                    Ok((drop, messages)) => {
                        tracing::info!(user = %username, messages = messages.len(), "POP3 login");
                        st.maildrop = Some(drop);
                        // The listener's pre-login deadline no longer applies.
                        eider_runtime::listener::logged_in();
                        st.session.login_succeeded(messages).encode(&mut st.out);
                    }
                    Err(why) => {
                        tracing::info!(user = %username, ?why, "POP3 login failed");
                        if why == LoginFailure::Credentials {
                            shared.metrics.auth_failures.inc();
                        }
                        if matches!(why, LoginFailure::Credentials | LoginFailure::Throttled) {
                            let delay = shared.ctx.config.auth.failure_delay_ms;
                            tokio::time::sleep(Duration::from_millis(delay)).await;
                        }
                        action = st.session.login_failed(why);
                        continue;
                    }
                }
            }
            Action::Retrieve {
                msg,
                uid,
                size,
                top,
            } => {
                let Some(drop) = &mut st.maildrop else {
                    return Err(io::Error::other("RETR without a maildrop"));
                };
                let req = retr::Request { uid, size, top };
                let sent = retr::send(shared, drop, stream, &mut st.out, req).await?;
                st.streamed = sent;
                if sent && top.is_none() {
                    st.session.retrieved(msg);
                }
            }
            Action::Commit { delete, seen } => {
                let outcome = match &st.maildrop {
                    Some(drop) => maildrop::commit(shared, drop, &delete, &seen).await,
                    None => Ok(()),
                };
                let ok = outcome.is_ok();
                tracing::info!(deleted = delete.len(), seen = seen.len(), ok, "POP3 UPDATE");
                commit_reply(outcome).encode(&mut st.out);
                st.maildrop = None;
                return Ok(Next::Close);
            }
        }
        return Ok(Next::Continue);
    }
}
