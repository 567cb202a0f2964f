//! The three classes of command failure and their fixed wire mapping (house style, after mox):
//! syntax → `BAD`, user error → `NO [CODE]`, server error → `NO [SERVERBUG]` with a generic text
//! (the cause goes to the log, never to the client).

use crate::proto::error::{ErrorKind, ReceiveError};
use crate::proto::response::{Code, Response, Status};
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

impl From<eider_store::StoreError> for CommandError {
    fn from(e: eider_store::StoreError) -> Self {
        CommandError::Internal {
            detail: e.to_string(),
        }
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
