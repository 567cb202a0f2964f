//! The driver's side of APPEND ([`handlers::append`]): accepting the message literal (`+ Ready`
//! for a synchronising one) and streaming it from the receiver into the handler's
//! [`Upload`], then bringing the client up to date and answering.
//!
//! Invariant: a connection that drops (or a command that turns out malformed) mid-APPEND stores
//! nothing: the upload is aborted.

use super::{Conn, Flow};
use crate::handlers::{self, append::Upload};
use crate::proto::command::AppendHeader;
use crate::proto::receiver::Progress;
use crate::proto::response::Response;
use crate::session::AuthUser;
use crate::session::error::receive_error_response;
use tokio::io::AsyncWriteExt;

/// How the literal ended.
enum Streamed {
    Complete,
    /// The receiver rejected the command (already answered).
    Rejected,
    /// The connection ended.
    Gone,
}

impl Conn {
    pub(super) async fn append(
        &mut self,
        header: AppendHeader,
        user: &AuthUser,
    ) -> std::io::Result<Flow> {
        let tag = header.tag.clone();
        let utf8 = self.session.encode_options().utf8;
        let begun =
            handlers::append::begin(&self.shared, user, &header, self.user_max_message, utf8);
        let mut upload = match begun.await {
            Ok(u) => u,
            Err(e) => {
                self.wire.push(&e.to_response(&tag));
                self.rx.reject_literal();
                return Ok(Flow::Continue);
            }
        };
        if header.synchronizing {
            self.wire
                .push(&Response::Continue("Ready for literal data".into()));
            if let Err(e) = self.wire.flush().await {
                upload.abort();
                return Err(e);
            }
            self.rx.accept_literal();
        }
        match self.stream_literal(&mut upload).await {
            Ok(Streamed::Complete) => {}
            Ok(Streamed::Rejected) => {
                upload.abort();
                return Ok(Flow::Continue);
            }
            Ok(Streamed::Gone) => {
                upload.abort();
                return Ok(Flow::Close);
            }
            Err(e) => {
                upload.abort();
                return Err(e);
            }
        }
        let store = self.shared.ctx.store.as_ref();
        let view = self.view.as_ref();
        let done = upload
            .finish(store, &header, view, &mut self.keywords, &mut self.wire)
            .await;
        let mut flow = Flow::Continue;
        if self.view.is_some() {
            flow = self.push_updates(true).await?;
        }
        let rs = self.session.complete(&tag, done);
        self.wire.push_all(&rs);
        Ok(flow)
    }

    /// Copies the literal from the receiver into the upload.
    async fn stream_literal(&mut self, upload: &mut Upload) -> std::io::Result<Streamed> {
        loop {
            match self.rx.next() {
                Progress::AppendData(d) => {
                    // A failed write is reported by `Upload::finish`; keep consuming.
                    let _ = upload.sink().write_all(d).await;
                    continue;
                }
                Progress::AppendEnd => return Ok(Streamed::Complete),
                Progress::Error(e) => {
                    self.wire.push(&receive_error_response(&e));
                    return Ok(Streamed::Rejected);
                }
                Progress::NeedMore => {}
                // Nothing else can come while an APPEND literal is being read.
                _ => return Ok(Streamed::Rejected),
            }
            self.wire.flush().await?;
            match self.read_more().await? {
                Some(n) => self.rx.feed(&self.readbuf[..n]),
                None => return Ok(Streamed::Gone),
            }
        }
    }
}
