//! One LMTP connection: drives the sans-I/O session over a stream, streams message data into the
//! shared ingest path, and delivers to every accepted recipient.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use eider_mime::Limits;
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::transport::{Conn, Tls};
use eider_store::ingest::{self, Prepared};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;

use crate::deliver::{self, Recipient, SpamRules, Target};
use crate::input::{Input, Line, ReadError};
use crate::lmtp::command;
use crate::lmtp::data::DataDecoder;
use crate::lmtp::reply::{Reply, canned};
use crate::lmtp::session::{Session, SessionConfig, Step, Transaction};
use crate::metrics::IngestMetrics;
use crate::store_error::{self, Stage};

/// Per-daemon settings derived from the configuration once.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session: SessionConfig,
    /// The certificate for STARTTLS (and implicit TLS), when `[tls]` is configured.
    pub tls: Option<Tls>,
    /// Every connection starts with a TLS handshake (`[lmtp] implicit_tls`).
    pub implicit_tls: bool,
    pub spam: SpamRules,
    pub idle_timeout: Duration,
    pub metrics: IngestMetrics,
}

type PrepareTask = JoinHandle<Result<Prepared, ingest::IngestError>>;

/// Message data being received: the pipe into the ingest task and the byte count.
struct Incoming {
    pipe: Option<DuplexStream>,
    task: PrepareTask,
    received: u64,
    too_large: bool,
}

impl Incoming {
    fn start(ctx: &Context) -> Self {
        let (tx, rx) = tokio::io::duplex(64 * 1024);
        let store = Arc::clone(&ctx.store);
        let task = tokio::spawn(async move {
            ingest::prepare_message_deferred(&*store, rx, Limits::default()).await
        });
        Self {
            pipe: Some(tx),
            task,
            received: 0,
            too_large: false,
        }
    }

    /// Forwards decoded message bytes; past `max` bytes the message is refused but the data is
    /// still read to its end so the session stays in sync.
    async fn push(&mut self, data: &[u8], max: u64) {
        self.received += data.len() as u64;
        if self.received > max {
            self.too_large = true;
            self.pipe = None;
        }
        let Some(pipe) = &mut self.pipe else { return };
        if pipe.write_all(data).await.is_err() {
            // The ingest task ended early (it failed); its error is reported at the end.
            self.pipe = None;
        }
    }

    /// Closes the pipe and waits for the prepared message.
    async fn finish(mut self, metrics: &IngestMetrics) -> Result<Prepared, Reply> {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.shutdown().await;
        }
        if self.too_large {
            self.task.abort();
            return Err(canned::too_large());
        }
        match self.task.await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(e)) => {
                metrics.error("ingest");
                Err(store_error::content_failed(&e))
            }
            Err(e) => {
                tracing::error!(error = %e, "ingest task died");
                metrics.error("ingest");
                Err(canned::temp_failure())
            }
        }
    }

    fn abort(self) {
        self.task.abort();
    }
}

/// Serves one connection until QUIT, EOF, timeout or shutdown.
pub async fn serve<IO>(conn: Conn<IO>, ctx: Context, settings: Arc<Settings>, shutdown: Shutdown)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut session: Session<Recipient> = Session::new(settings.session.clone());
    if conn.is_tls() {
        session.tls_started();
    }
    let mut input = Input::new(conn, settings.idle_timeout);
    let mut out = Vec::new();
    let mut incoming: Option<Incoming> = None;
    session.greeting().encode(&mut out);
    let max = settings.session.max_message_size;
    loop {
        if !input.has_line() && !out.is_empty() {
            if input.send(&out).await.is_err() {
                break;
            }
            out.clear();
        }
        let line = tokio::select! {
            r = input.line() => r,
            () = shutdown.cancelled(), if !input.has_line() => {
                Reply::with(421, (4, 3, 2), "Service shutting down").encode(&mut out);
                break;
            }
        };
        let line = match line {
            Ok(Line::Complete(l)) => l,
            Ok(Line::TooLong) => {
                Reply::with(500, (5, 5, 2), "Line too long").encode(&mut out);
                continue;
            }
            Err(ReadError::Timeout) => {
                Reply::with(421, (4, 4, 2), "Idle timeout, closing").encode(&mut out);
                break;
            }
            Err(_) => break,
        };
        let step = match command::parse(&line) {
            Ok(cmd) => {
                if matches!(cmd, command::Command::Lhlo { .. }) {
                    // LHLO ends the listener's pre-login deadline (LMTP has no login).
                    eider_runtime::listener::logged_in();
                }
                session.command(cmd)
            }
            Err(e) => session.parse_error(&e),
        };
        match step {
            Step::Reply(r) => r.encode(&mut out),
            Step::Close(r) => {
                r.encode(&mut out);
                break;
            }
            Step::StartTls(reply) => {
                let Some(tls) = settings.tls.as_ref() else {
                    Reply::with(454, (4, 7, 0), "TLS not available").encode(&mut out);
                    continue;
                };
                if !input.buf.is_empty() {
                    // Plaintext pipelined after STARTTLS must never be read as if it came over
                    // TLS (RFC 3207 §4.2, command injection): refuse and close.
                    canned::bad_sequence("data after STARTTLS").encode(&mut out);
                    break;
                }
                reply.encode(&mut out);
                if input.send(&out).await.is_err() {
                    return;
                }
                out.clear();
                let Ok(conn) = input.into_inner().start_tls(tls).await else {
                    return;
                };
                session.tls_started();
                input = Input::new(conn, settings.idle_timeout);
            }
            Step::ResolveRecipient { to, size } => {
                let outcome = deliver::check_recipient(&*ctx.store, &to, size, max).await;
                if let Err(refused) = &outcome {
                    settings.metrics.recipient_refused(refused.code);
                }
                session.rcpt_resolved(to, outcome).encode(&mut out);
            }
            Step::ReceiveData(r) => {
                r.encode(&mut out);
                if input.send(&out).await.is_err() {
                    break;
                }
                out.clear();
                let mut inc = Incoming::start(&ctx);
                if receive_dot_data(&mut input, &mut inc, max).await.is_err() {
                    inc.abort();
                    break;
                }
                let Some(tx) = session.finish_message() else {
                    break;
                };
                finish(&ctx, &settings, tx, inc, &mut out).await;
            }
            Step::ReceiveChunk { size, last } => {
                let inc = incoming.get_or_insert_with(|| Incoming::start(&ctx));
                if receive_chunk(&mut input, inc, size, max).await.is_err() {
                    break;
                }
                if !last {
                    session.chunk_received(size).encode(&mut out);
                    continue;
                }
                let Some(tx) = session.finish_message() else {
                    break;
                };
                let Some(inc) = incoming.take() else { break };
                finish(&ctx, &settings, tx, inc, &mut out).await;
            }
            Step::DiscardChunk { size, reply } => {
                if discard(&mut input, size).await.is_err() {
                    break;
                }
                if let Some(inc) = incoming.take() {
                    inc.abort();
                }
                reply.encode(&mut out);
            }
        }
        if session.transaction().is_none()
            && let Some(inc) = incoming.take()
        {
            // RSET or LHLO in the middle of BDAT: the partial message is dropped.
            inc.abort();
        }
    }
    if let Some(inc) = incoming.take() {
        inc.abort();
    }
    let _ = input.send(&out).await;
    input.shutdown().await;
}

async fn receive_dot_data<S: AsyncRead + AsyncWrite + Unpin>(
    input: &mut Input<S>,
    inc: &mut Incoming,
    max: u64,
) -> Result<(), ReadError> {
    let mut decoder = DataDecoder::new();
    let mut decoded = Vec::with_capacity(64 * 1024);
    loop {
        if input.buf.is_empty() {
            input.fill().await?;
        }
        decoded.clear();
        let fed = decoder.feed(&input.buf, &mut decoded);
        input.consume(fed.consumed);
        inc.push(&decoded, max).await;
        if fed.done {
            return Ok(());
        }
    }
}

async fn receive_chunk<S: AsyncRead + AsyncWrite + Unpin>(
    input: &mut Input<S>,
    inc: &mut Incoming,
    size: u64,
    max: u64,
) -> Result<(), ReadError> {
    let mut left = size;
    while left > 0 {
        let chunk: BytesMut = input
            .chunk(usize::try_from(left).unwrap_or(usize::MAX))
            .await?;
        left -= chunk.len() as u64;
        inc.push(&chunk, max).await;
    }
    Ok(())
}

async fn discard<S: AsyncRead + AsyncWrite + Unpin>(
    input: &mut Input<S>,
    size: u64,
) -> Result<(), ReadError> {
    let mut left = size;
    while left > 0 {
        let chunk = input
            .chunk(usize::try_from(left).unwrap_or(usize::MAX))
            .await?;
        left -= chunk.len() as u64;
    }
    Ok(())
}

/// Delivers a received message to each recipient and writes one reply per recipient.
async fn finish(
    ctx: &Context,
    settings: &Settings,
    tx: Transaction<Recipient>,
    inc: Incoming,
    out: &mut Vec<u8>,
) {
    let (started, metrics) = (Instant::now(), &settings.metrics);
    metrics.transactions.inc();
    metrics.bytes_received.add(inc.received);
    let replies = deliver_all(ctx, settings, &tx, inc.finish(metrics).await).await;
    for reply in replies {
        metrics.delivery(reply.code);
        reply.encode(out);
    }
    metrics.delivery_seconds.observe(started.elapsed());
}

/// One reply per recipient, in RCPT order.
async fn deliver_all(
    ctx: &Context,
    settings: &Settings,
    tx: &Transaction<Recipient>,
    prepared: Result<Prepared, Reply>,
) -> Vec<Reply> {
    let prepared = match prepared {
        Ok(p) => p,
        Err(reply) => return vec![reply; tx.recipients.len()],
    };
    let now = chrono::Utc::now().timestamp();
    // All recipients at once: their appends reach the store's writer together and share one
    // group commit (one fsync) instead of waiting for one each. Replies keep RCPT order
    // (RFC 2033 §4.2).
    let (from, prepared) = (tx.from.as_str(), &prepared);
    let deliveries = tx.recipients.iter().map(|(_, rcpt)| async move {
        match deliver_one(ctx, settings, from, rcpt, prepared, now).await {
            Ok(text) => Reply::with(250, (2, 0, 0), text),
            Err(e) => {
                let reply = store_error::refuse(Stage::Delivery(rcpt.user.id), &e);
                if !reply.is_positive() && reply.code < 500 {
                    settings.metrics.error("store");
                }
                reply
            }
        }
    });
    futures::future::join_all(deliveries).await
}

async fn deliver_one(
    ctx: &Context,
    settings: &Settings,
    from: &str,
    rcpt: &Recipient,
    prepared: &Prepared,
    now: i64,
) -> eider_store::StoreResult<String> {
    let store = &*ctx.store;
    let (mailbox, flags) = match deliver::route(store, rcpt, prepared, &settings.spam).await? {
        Target::File { mailbox, flags } => (mailbox, flags),
        Target::Discard => {
            tracing::info!(user = %rcpt.user.id, "discarded by a filter");
            return Ok("Discarded by a filter".into());
        }
    };
    let prefix = deliver::prefix(from, &rcpt.address);
    let message = deliver::personalize(prepared, prefix, flags, now);
    let appended = store
        .append_with_blobs(mailbox, message, prepared.pending.clone())
        .await?;
    tracing::info!(user = %rcpt.user.id, mailbox = %mailbox, uid = %appended.uid, "delivered");
    Ok(format!("Saved as UID {}", appended.uid))
}
