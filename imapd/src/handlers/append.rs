//! APPEND (RFC 3501 §6.3.11, UIDPLUS RFC 4315 §3, APPENDLIMIT RFC 7889): the message literal is
//! streamed by the driver into an [`Upload`]'s pipe, read by
//! `ingest::prepare_message_deferred` running as its own task, so the message is never held
//! whole; it is appended to the store (its small blobs in the same write) only once the command
//! completed well-formed ([`Upload::finish`]).
//!
//! Gmail-like: a message APPENDed to the `\Sent` mailbox that duplicates one stored there
//! (`eider_store::sent_dedup`, the rule the API's upload applies too) is not stored again; the
//! client gets the existing message's APPENDUID.
//!
//! Invariant: a connection that drops (or a command that turns out malformed) mid-APPEND stores
//! nothing: the driver calls [`Upload::abort`], the preparing task ends and its blobs are left
//! unreferenced for the sweep.

use super::{Keywords, Output, store_error, unix_now};
use crate::mailbox::SelectedView;
use crate::proto::command::AppendHeader;
use crate::proto::flag::to_model;
use crate::proto::mailbox::MailboxNameError;
use crate::proto::response::Code;
use crate::server::Shared;
use crate::session::{AuthUser, CommandError, Completion};
use eider_model::Mailbox;
use eider_store::MailStore;
use eider_store::ingest::{IngestError, Prepared, prepare_message_deferred};
use eider_store::sent_dedup::sent_duplicate;
use std::sync::Arc;
use tokio::io::DuplexStream;
use tokio::task::JoinHandle;

/// Pipe buffer between the connection and the preparing task.
const PIPE: usize = 64 * 1024;

/// An APPEND whose message is being received.
#[derive(Debug)]
pub struct Upload {
    target: Mailbox,
    tx: DuplexStream,
    task: JoinHandle<Result<Prepared, IngestError>>,
}

/// Checks an APPEND before its literal is accepted (size, target mailbox) and starts preparing
/// the message. `max_message` is the user's own limit; `utf8` whether UTF8=ACCEPT is enabled.
pub async fn begin(
    shared: &Shared,
    user: &AuthUser,
    header: &AppendHeader,
    max_message: Option<u64>,
    utf8: bool,
) -> Result<Upload, CommandError> {
    if max_message.is_some_and(|max| header.literal_size > max) {
        // The user's own limit, below the APPENDLIMIT announced to everyone (RFC 7889 §4).
        return Err(CommandError::no(Code::TooBig, "Message too large"));
    }
    let path = header.mailbox.decode(utf8).map_err(|e| match e {
        MailboxNameError::BadEncoding => CommandError::Bad(e.to_string()),
        MailboxNameError::Empty => CommandError::no(Code::Cannot, "Invalid mailbox name"),
    })?;
    let Some(target) = shared.ctx.store.find_mailbox(user.id, &path).await? else {
        // RFC 3501 §6.3.11: the client may create it and retry.
        return Err(CommandError::no(Code::TryCreate, "No such mailbox"));
    };
    let store = Arc::clone(&shared.ctx.store);
    let (tx, reader) = tokio::io::duplex(PIPE);
    let task = tokio::spawn(async move {
        prepare_message_deferred(store.as_ref(), reader, Default::default()).await
    });
    Ok(Upload { target, tx, task })
}

impl Upload {
    /// Where the driver writes the message literal. A failed write means the preparing task
    /// ended early; its error is reported by [`Upload::finish`], so keep consuming the literal.
    pub fn sink(&mut self) -> &mut DuplexStream {
        &mut self.tx
    }

    /// The message will not be stored (malformed command, connection gone).
    pub fn abort(self) {
        self.task.abort();
    }

    /// The literal is complete: stores the message and announces its keywords when it went to
    /// the selected mailbox.
    pub async fn finish(
        self,
        store: &dyn MailStore,
        header: &AppendHeader,
        view: Option<&SelectedView>,
        keywords: &mut Keywords,
        out: &mut dyn Output,
    ) -> Completion {
        let Upload { target, tx, task } = self;
        drop(tx);
        let target_id = target.id;
        let done = match task.await {
            Ok(Ok(prepared)) => store_prepared(store, header, target, prepared).await,
            // A store failure while storing blobs answers like any other store failure.
            Ok(Err(IngestError::Store(e))) => Completion::Failed(store_error(e)),
            Ok(Err(e)) => Completion::Failed(CommandError::internal(e)),
            Err(e) => Completion::Failed(CommandError::internal(e)),
        };
        if let Some(view) = view
            && view.mailbox() == target_id
            && matches!(done, Completion::Ok { .. })
        {
            let read_only = view.read_only();
            keywords.announce(out, &to_model(&header.flags).keywords, read_only);
        }
        done
    }
}

async fn store_prepared(
    store: &dyn MailStore,
    header: &AppendHeader,
    target: Mailbox,
    prepared: Prepared,
) -> Completion {
    let (internal_date, internal_tz_minutes) = match header.date {
        Some(d) => (d.unix, d.tz_minutes),
        None => (unix_now(), 0),
    };
    let message_id = prepared.meta.message_id.as_deref();
    match sent_duplicate(store, &target, message_id).await {
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
    let (message, pending) =
        prepared.into_message(to_model(&header.flags), internal_date, internal_tz_minutes);
    match store.append_with_blobs(target.id, message, pending).await {
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
