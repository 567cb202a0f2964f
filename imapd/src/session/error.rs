//! The one mapping of command failures to IMAP answers (house style, after mox): syntax →
//! `BAD`, user error → `NO [CODE]`, temporary outage → `NO [UNAVAILABLE]`, server error →
//! `NO [SERVERBUG]` with a generic text.
//!
//! Every command path (APPEND, LOGIN, COPY, MOVE, STORE, FETCH, ...) turns a [`StoreError`] into
//! a [`CommandError`] only through [`store_error`] (also behind `From` / `?`). Invariant: the
//! text of a server-side failure never reaches the client; its cause is logged here, once, when
//! the failure is made ([`CommandError::internal`]).

use crate::proto::error::{ErrorKind, ReceiveError};
use crate::proto::response::{Code, Response, Status};
use eider_store::StoreError;
use thiserror::Error;

/// Why a command failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The command was malformed or not valid now: `BAD`.
    #[error("bad command: {0}")]
    Bad(String),
    /// The user asked for something that cannot be done: `NO [code] text`.
    #[error("refused: {text}")]
    No { code: Option<Code>, text: String },
    /// Something broke on our side; `detail` is for the log only.
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

impl CommandError {
    pub fn no(code: Code, text: &str) -> Self {
        CommandError::No {
            code: Some(code),
            text: text.to_owned(),
        }
    }

    /// A server-side failure: logs `cause` (inside the command's span) and keeps it for
    /// debugging; the client only ever sees the generic text of [`CommandError::to_response`].
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let detail = cause.to_string();
        tracing::warn!(error = %detail, "command failed: internal error");
        CommandError::Internal { detail }
    }

    /// The tagged response for this failure.
    pub fn to_response(&self, tag: &str) -> Response {
        match self {
            CommandError::Bad(text) => Response::tagged(tag, Status::Bad, None, text),
            CommandError::No { code, text } => {
                Response::tagged(tag, Status::No, code.clone(), text)
            }
            CommandError::Internal { .. } => Response::tagged(
                tag,
                Status::No,
                Some(Code::ServerBug),
                "Internal error, try again later",
            ),
        }
    }
}

/// The fixed mapping of store errors to IMAP answers (RFC 5530 response codes).
///
/// User errors get the code that names the problem; an outage the store says is temporary gets
/// `UNAVAILABLE` (RFC 5530 §3: retrying later may work) and is logged; anything else is a
/// server bug: generic text, cause logged.
pub fn store_error(e: StoreError) -> CommandError {
    let no = CommandError::no;
    match e {
        StoreError::NotFound(_) => no(Code::NonExistent, "No such mailbox or message"),
        StoreError::AlreadyExists(_) => no(Code::AlreadyExists, "Mailbox already exists"),
        StoreError::OverQuota => no(Code::OverQuota, "Quota exceeded"),
        StoreError::Invalid(_) => no(Code::Cannot, "Invalid name or argument"),
        StoreError::NotAllowed(_) => no(Code::Cannot, "Operation not allowed"),
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %e, "command failed: store unavailable");
            no(Code::Unavailable, "Storage unavailable, try again")
        }
        // MissingBlob, Corrupt, Internal, and variants added later.
        other => CommandError::internal(other),
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        store_error(e)
    }
}

/// The response to a command the receiver rejected (tagged when the tag was readable).
pub fn receive_error_response(e: &ReceiveError) -> Response {
    let (status, code, text) = match &e.kind {
        ErrorKind::AppendTooLarge { .. } => (
            Status::No,
            Some(Code::TooBig),
            "Message too large".to_owned(),
        ),
        ErrorKind::NonSyncLiteralTooLarge {
            in_append: true, ..
        } => {
            // RFC 7888 §4/§5: a LITERAL- server refuses large non-synchronising APPEND literals.
            (
                Status::No,
                Some(Code::TooBig),
                "Non-synchronizing literal too large".to_owned(),
            )
        }
        ErrorKind::NonSyncLiteralTooLarge { .. } | ErrorKind::LiteralTooLarge { .. } => (
            Status::Bad,
            Some(Code::TooBig),
            "Literal too large".to_owned(),
        ),
        ErrorKind::LineTooLong | ErrorKind::CommandTooLong => (
            Status::Bad,
            Some(Code::TooBig),
            "Command too long".to_owned(),
        ),
        ErrorKind::UnknownCommand => (Status::Bad, None, "Unknown command".to_owned()),
        ErrorKind::Syntax(msg) => (Status::Bad, None, format!("Syntax error: {msg}")),
    };
    match &e.tag {
        Some(tag) => Response::Tagged {
            tag: tag.clone(),
            status,
            code,
            text,
        },
        None => Response::Condition { status, code, text },
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
