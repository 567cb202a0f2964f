//! APPEND (RFC 3501 §6.3.11, UIDPLUS RFC 4315 §3, APPENDLIMIT RFC 7889): the message literal is
//! streamed from the receiver through a `tokio::io::duplex` pipe into
//! `ingest::prepare_message_deferred` running as its own task, so the message is never held
//! whole; it is appended to the store (its small blobs in the same write) only once the command
//! completed well-formed.
//!
//! Gmail-like: a message APPENDed to the `\Sent` mailbox whose Message-ID matches one stored
//! there in the last day (the copy `submit` keeps) is not stored again; the client gets the
//! existing message's APPENDUID.
//!
//! Invariant: a connection that drops (or a command that turns out malformed) mid-APPEND stores
//! nothing: the preparing task is aborted and its blobs are left unreferenced for the sweep.

use super::{Conn, Flow};
use crate::handlers::{store_error, unix_now};
use crate::proto::command::AppendHeader;
use crate::proto::flag::to_model;
use crate::proto::receiver::Progress;
use crate::proto::response::{Code, Response};
use crate::session::error::receive_error_response;
use crate::session::{AuthUser, CommandError, Completion};
use eider_model::SpecialUse;
use eider_store::ingest::{Prepared, find_by_message_id, prepare_message_deferred};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Pipe buffer between the connection and the preparing task.
const PIPE: usize = 64 * 1024;

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
        if self
            .user_max_message
            .is_some_and(|max| header.literal_size > max)
        {
            // The user's own limit, below the APPENDLIMIT announced to everyone (RFC 7889 §4).
            self.wire
                .push(&CommandError::no(Code::TooBig, "Message too large").to_response(&tag));
            self.rx.reject_literal();
            return Ok(Flow::Continue);
        }
        let target = match self.append_target(&header, user).await {
            Ok(m) => m,
            Err(e) => {
                self.wire.push(&e.to_response(&tag));
                self.rx.reject_literal();
                return Ok(Flow::Continue);
            }
        };
        if header.synchronizing {
            self.wire
                .push(&Response::Continue("Ready for literal data".into()));
            self.wire.flush().await?;
            self.rx.accept_literal();
        }
        let store = Arc::clone(&self.shared.ctx.store);
        let (mut tx, reader) = tokio::io::duplex(PIPE);
        let task = tokio::spawn(async move {
            prepare_message_deferred(store.as_ref(), reader, Default::default()).await
        });
        let streamed = self.stream_literal(&mut tx).await;
        drop(tx);
        let streamed = match streamed {
            Ok(s) => s,
            Err(e) => {
                task.abort();
                return Err(e);
            }
        };
        match streamed {
            Streamed::Complete => {}
            Streamed::Rejected => {
                task.abort();
                return Ok(Flow::Continue);
            }
            Streamed::Gone => {
                task.abort();
                return Ok(Flow::Close);
            }
        }
        let target_id = target.id;
        let done = match task.await {
            Ok(Ok(prepared)) => self.store_prepared(&header, target, prepared).await,
            Ok(Err(e)) => Completion::Failed(CommandError::Internal {
                detail: e.to_string(),
            }),
            Err(e) => Completion::Failed(CommandError::Internal {
                detail: e.to_string(),
            }),
        };
        if let Completion::Failed(CommandError::Internal { detail }) = &done {
            tracing::warn!(error = %detail, "APPEND failed");
        }
        let mut flow = Flow::Continue;
        if let Some(view) = &self.view {
            if view.mailbox() == target_id && matches!(done, Completion::Ok { .. }) {
                let read_only = view.read_only();
                let keywords = to_model(&header.flags).keywords;
                self.keywords.announce(&mut self.wire, &keywords, read_only);
            }
            flow = self.push_updates(true).await?;
        }
        let rs = self.session.complete(&tag, done);
        self.wire.push_all(&rs);
        Ok(flow)
    }

    async fn append_target(
        &mut self,
        header: &AppendHeader,
        user: &AuthUser,
    ) -> Result<eider_model::Mailbox, CommandError> {
        let path = self.session.mailbox_path(&header.mailbox)?;
        match self.shared.ctx.store.find_mailbox(user.id, &path).await? {
            Some(m) => Ok(m),
            // RFC 3501 §6.3.11: the client may create it and retry.
            None => Err(CommandError::no(Code::TryCreate, "No such mailbox")),
        }
    }

    /// Copies the literal from the receiver into the pipe.
    async fn stream_literal(
        &mut self,
        tx: &mut tokio::io::DuplexStream,
    ) -> std::io::Result<Streamed> {
        loop {
            match self.rx.next() {
                Progress::AppendData(d) => {
                    // A failed write means the preparing task ended early; its error is
                    // reported when it is awaited, so keep consuming the literal.
                    let _ = tx.write_all(d).await;
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

    async fn store_prepared(
        &mut self,
        header: &AppendHeader,
        target: eider_model::Mailbox,
        prepared: Prepared,
    ) -> Completion {
        let (internal_date, internal_tz_minutes) = match header.date {
            Some(d) => (d.unix, d.tz_minutes),
            None => (unix_now(), 0),
        };
        let store = self.shared.ctx.store.as_ref();
        if target.special_use == Some(SpecialUse::Sent)
            && let Some(mid) = &prepared.meta.message_id
        {
            match find_by_message_id(store, target.id, mid).await {
                Ok(Some(uid)) => {
                    return Completion::Ok {
                        code: Some(Code::AppendUid {
                            validity: target.uid_validity.0,
                            uid: uid.0,
                        }),
                        text: "APPEND completed (already in Sent)".into(),
                    };
                }
                Ok(None) => {}
                Err(e) => return Completion::Failed(store_error(e)),
            }
        }
        let (message, pending) =
            prepared.into_message(to_model(&header.flags), internal_date, internal_tz_minutes);
        let appended = store.append_with_blobs(target.id, message, pending).await;
        match appended {
            Ok(a) => Completion::Ok {
                code: Some(Code::AppendUid {
                    validity: a.uid_validity.0,
                    uid: a.uid.0,
                }),
                text: "APPEND completed".into(),
            },
            Err(e) => Completion::Failed(store_error(e)),
        }
    }
}
