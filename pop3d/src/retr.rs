//! RETR and TOP: streams a message to the client in windows, dot-stuffed, never whole.
//!
//! Invariants: nothing is written before the message record and the download budget are
//! checked, so every refusal is a clean `-ERR`; once `+OK` is out, a store failure can only end
//! the connection (a multi-line response cannot be taken back). At most one read window plus its
//! stuffed copy is in memory per connection.

use crate::Shared;
use crate::limits::day_of;
use crate::maildrop::Maildrop;
use crate::proto::reply::{Code, Reply};
use crate::proto::stream::{DotStuffer, TopFilter};
use eider_common::content::MessageReader;
use eider_common::types::Uid;
use std::io;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Pending output is written once it reaches this size.
const FLUSH_AT: usize = 64 * 1024;
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
    let today = day_of(chrono::Utc::now().timestamp());
    let limit = drop
        .user
        .limits
        .pop3_daily_download
        .unwrap_or(shared.ctx.config.pop3.daily_download);
    let want = if req.top.is_some() { 1 } else { req.size };
    if !shared.downloads.allows(user, today, limit, want) {
        Reply::err_code(
            Code::SysTemp,
            "daily download limit reached, try again tomorrow",
        )
        .encode(out);
        return Ok(false);
    }
    let segments = match drop.content(store, req.uid).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            Reply::err("message was removed by another session").encode(out);
            return Ok(false);
        }
        Err(e) => {
            tracing::warn!(error = %e, uid = req.uid.0, "RETR: reading the message failed");
            Reply::err_code(Code::SysTemp, "cannot read the message now").encode(out);
            return Ok(false);
        }
    };
    match req.top {
        None => Reply::ok(format!("{} octets", req.size)).encode(out),
        Some(_) => Reply::ok("top of message follows").encode(out),
    }
    let mut reader = MessageReader::new(store, segments);
    let mut filter = req.top.map(TopFilter::new);
    if filter.is_some() {
        reader = reader.window(TOP_WINDOW);
    }
    let mut stuffer = DotStuffer::default();
    let mut sent = 0u64;
    while let Some(window) = reader.next_window().await.map_err(io::Error::other)? {
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
    }
    stuffer.finish(out);
    shared.downloads.add(user, today, sent);
    Ok(true)
}
