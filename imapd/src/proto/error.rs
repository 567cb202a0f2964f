//! Errors the receiver hands to the session as values.
//!
//! Invariant: every error carries the tag when one could be read, so the session can answer
//! `tag BAD ...` (or `* BAD ...` without one); after any error the receiver has already arranged
//! to resynchronise at the next command line, so the connection survives.

use thiserror::Error;

/// What went wrong with one command.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The command does not follow the grammar (RFC 3501 §9).
    #[error("syntax error: {0}")]
    Syntax(&'static str),
    /// The command verb is not one we know.
    #[error("unknown command")]
    UnknownCommand,
    /// A command line (without its literals) is longer than the configured maximum.
    #[error("line too long")]
    LineTooLong,
    /// A command including its literals is longer than the configured maximum.
    #[error("command too long")]
    CommandTooLong,
    /// A synchronising literal larger than allowed; the client sends nothing more for it.
    #[error("literal too large")]
    LiteralTooLarge { size: u64, max: u64 },
    /// A non-synchronising literal over the LITERAL- limit of 4096 bytes (RFC 7888 §4); its bytes
    /// were read and discarded. `in_append` is true for an APPEND message literal (RFC 7888 §5:
    /// answer `NO [TOOBIG]`), otherwise the answer is BAD.
    #[error("non-synchronizing literal too large")]
    NonSyncLiteralTooLarge { size: u64, in_append: bool },
    /// An APPEND message larger than the server accepts (RFC 7889: `NO [TOOBIG]`).
    #[error("message too large")]
    AppendTooLarge { size: u64, max: u64 },
}

/// A rejected command: the tag (when readable) and the reason.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{kind}")]
pub struct ReceiveError {
    pub tag: Option<String>,
    pub kind: ErrorKind,
}

impl ReceiveError {
    /// True when the right answer is `NO [TOOBIG]` rather than `BAD`.
    pub fn is_too_big(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::AppendTooLarge { .. }
                | ErrorKind::NonSyncLiteralTooLarge {
                    in_append: true,
                    ..
                }
        )
    }
}

/// A parse failure inside one command (before the tag is attached).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub &'static str);

impl From<SyntaxError> for ErrorKind {
    fn from(e: SyntaxError) -> Self {
        ErrorKind::Syntax(e.0)
    }
}

/// Result of parsing a grammar element.
pub type PResult<T> = Result<T, SyntaxError>;
