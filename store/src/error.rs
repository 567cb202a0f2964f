//! Errors of the storage layer.
//!
//! Each variant says which of the session-boundary classes it falls in: a user error (the caller
//! asked for something impossible: NO with a response code), a temporary failure (retry later:
//! `451 4.3.0`, `NO [UNAVAILABLE]`), or an internal failure (log it, answer generically).

use eider_model::types::BlobId;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The named user, mailbox, message, address or blob does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique name (user, address, mailbox path) is taken.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The change would take the user over their quota.
    #[error("over quota")]
    OverQuota,
    /// A name or argument is not acceptable (empty path, bad address, ...).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The operation is not allowed on this object (deleting INBOX, renaming into itself, ...).
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// A message refers to a blob that is not (or no longer) stored.
    #[error("blob {0} is missing")]
    MissingBlob(BlobId),
    /// The backend is temporarily unreachable or overloaded; the operation had no effect.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data failed to decode or violates an invariant.
    #[error("corrupt store data: {0}")]
    Corrupt(String),
    /// Any other backend failure; whether it took effect is unknown only if the backend says so.
    #[error("store failure: {0}")]
    Internal(String),
}

impl StoreError {
    /// True when retrying later may succeed (map to `451 4.3.0`, `NO [UNAVAILABLE]`, `-ERR [SYS/TEMP]`).
    pub fn is_temporary(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Internal(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
