//! RETR and TOP: streams a message to the client in windows, dot-stuffed, never whole.
//!
//! Invariants: nothing is written before the download budget is checked, the message is known
//! to still exist and its first window has been read, so every refusal is a clean `-ERR`; once
//! `+OK` is out, a store failure can only end the connection (a multi-line response cannot be
//! taken back). Per connection at most one read window and its stuffed copy are in memory, plus
//! the prefetched first windows of the next few messages (see [`crate::maildrop`]).

use crate::Shared;
use crate::limits;
use crate::maildrop::Maildrop;
use crate::proto::reply::{Code, Reply};
use crate::proto::stream::{DotStuffer, TopFilter};
use eider_model::Segment;
use eider_model::types::Uid;
use eider_store::StoreError;
use eider_store::content::{MessageReader, read_range};
use std::io;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Pending output is written once it reaches this size.
const FLUSH_AT: usize = 64 * 1024;
/// RETR reads the message in windows of this size (four 64 KiB content chunks).
const RETR_WINDOW: u64 = 256 * 1024;
/// TOP usually needs only the header: read it in smaller windows.
const TOP_WINDOW: u64 = 16 * 1024;

/// What one RETR/TOP asks for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub uid: Uid,
    pub size: u64,
    pub top: Option<u32>,
}

/// Answers RETR/TOP into `out` (flushing to `stream` as it grows). `Ok(true)` if the message was
/// sent, `Ok(false)` if it was refused with `-ERR`; `Err` means the connection must close.
pub async fn send<S: AsyncWrite + Unpin>(
    shared: &Shared,
    drop: &mut Maildrop,
    stream: &mut S,
    out: &mut Vec<u8>,
    req: Request,
) -> io::Result<bool> {
    let store = shared.ctx.store.as_ref();
    let user = drop.user.id;
    let limit = drop
        .user
        .limits
        .pop3_daily_download
        .unwrap_or(shared.ctx.config.pop3.daily_download);
    let want = if req.top.is_some() { 1 } else { req.size };
    if !limits::download_allowed(&shared.ctx.counters, user, limit, want).await {
        Reply::err_code(
            Code::SysTemp,
            "daily download limit reached, try again tomorrow",
        )
        .encode(out);
        return Ok(false);
    }
    let prefetched = drop.take_prefetch(req.uid).await;
    let segments: Vec<Segment> = match drop.content(store, req.uid).await {
        Ok(Some(s)) => s.to_vec(),
        Ok(None) => {
            Reply::err("message was removed by another session").encode(out);
            return Ok(false);
        }
        Err(e) => return Ok(refuse(out, req, &e)),
    };
    let window = if req.top.is_some() {
        TOP_WINDOW
    } else {
        RETR_WINDOW
    };
    // The first window is read before `+OK`, so a failure here is still a clean `-ERR`.
    let first = match prefetched.filter(|_| req.top.is_none()) {
        Some(r) => r,
        None => read_range(store, &segments, 0, window).await,
    };
    let first = match first {
        Ok(f) => f,
        Err(e) => return Ok(refuse(out, req, &e)),
    };
    if req.top.is_none() {
        drop.prefetch_after(shared.ctx.store.clone(), req.uid, window);
    }
    match req.top {
        None => Reply::ok(format!("{} octets", req.size)).encode(out),
        Some(_) => Reply::ok("top of message follows").encode(out),
    }
    let mut filter = req.top.map(TopFilter::new);
    let mut stuffer = DotStuffer::default();
    let mut sent = 0u64;
    let mut reader = MessageReader::new(store, &segments)
        .range(first.len() as u64, u64::MAX)
        .window(window);
    let mut next = Some(first);
    while let Some(window) = next.take() {
        let take = filter.as_mut().map_or(window.len(), |f| f.take(&window));
        stuffer.push(&window[..take], out);
        sent += take as u64;
        if out.len() >= FLUSH_AT {
            stream.write_all(out).await?;
            out.clear();
        }
        if filter.as_ref().is_some_and(TopFilter::done) {
            break;
        }
        next = reader.next_window().await.map_err(io::Error::other)?;
    }
    stuffer.finish(out);
    shared.metrics.retrieved_bytes.add(sent);
    limits::add_downloaded(&shared.ctx.counters, user, sent).await;
    Ok(true)
}

/// Answers a RETR/TOP whose content could not be read.
fn refuse(out: &mut Vec<u8>, req: Request, e: &StoreError) -> bool {
    tracing::warn!(error = %e, uid = req.uid.0, "RETR: reading the message failed");
    Reply::err_code(Code::SysTemp, "cannot read the message now").encode(out);
    false
}
