//! Errors inside the MongoDB backend and their mapping to [`StoreError`].
//!
//! Internal functions return [`DbError`], which keeps the driver's error (with its labels) apart
//! from the store's own errors, so the transaction runner can tell a retryable conflict
//! (`TransientTransactionError`, `UnknownTransactionCommitResult`) from a user error that must
//! abort the transaction and reach the caller unchanged.

use crate::error::StoreError;
use mongodb::error::{
    Error as MongoError, ErrorKind, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT,
    WriteFailure,
};

/// Server error code of a unique-index violation (E11000).
pub const DUPLICATE_KEY: i32 = 11000;
/// Server error code of a write conflict between transactions.
const WRITE_CONFLICT: i32 = 112;

#[derive(Debug)]
pub enum DbError {
    /// A store-level outcome (`NotFound`, `OverQuota`, ...): the transaction is aborted.
    Store(StoreError),
    /// The driver or server failed.
    Db(MongoError),
    /// A unique key this transaction inserts was taken by a concurrent one: rerun it (it will
    /// then see the other's document).
    Conflict(MongoError),
}

pub type DbResult<T> = Result<T, DbError>;

impl From<StoreError> for DbError {
    fn from(e: StoreError) -> Self {
        DbError::Store(e)
    }
}

impl From<MongoError> for DbError {
    fn from(e: MongoError) -> Self {
        DbError::Db(e)
    }
}

impl From<mongodb::bson::document::ValueAccessError> for DbError {
    fn from(e: mongodb::bson::document::ValueAccessError) -> Self {
        DbError::Store(StoreError::Corrupt(format!("document field: {e}")))
    }
}

impl DbError {
    /// True when the whole transaction may be retried from the start.
    /// Not when no server could be selected at all: that already waited the whole server
    /// selection timeout, and the caller should hear `Unavailable` now rather than after the
    /// retry budget.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Conflict(_) => true,
            DbError::Db(e) if !unreachable(e) => {
                e.contains_label(TRANSIENT_TRANSACTION_ERROR) || code(e) == Some(WRITE_CONFLICT)
            }
            _ => false,
        }
    }

    /// True when a commit's outcome is unknown and the commit itself may be retried (again not
    /// when the server is unreachable).
    pub fn is_unknown_commit(&self) -> bool {
        matches!(self, DbError::Db(e)
            if !unreachable(e) && e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT))
    }

    /// True when no server could be selected within the timeout.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, DbError::Db(e) if unreachable(e))
    }

    /// True for a unique-index violation.
    pub fn is_duplicate_key(&self) -> bool {
        matches!(self, DbError::Db(e) if is_duplicate_key(e))
    }
}

/// `Corrupt`: a document an invariant says must exist is missing.
pub fn corrupt_missing(what: String) -> DbError {
    DbError::Store(StoreError::Corrupt(format!("{what} missing")))
}

/// A duplicate key becomes [`DbError::Conflict`] (retry), anything else stays a driver error.
pub fn dup_is_conflict(e: MongoError) -> DbError {
    if is_duplicate_key(&e) {
        DbError::Conflict(e)
    } else {
        DbError::Db(e)
    }
}

/// True when no server could be selected within the timeout.
fn unreachable(e: &MongoError) -> bool {
    matches!(e.kind.as_ref(), ErrorKind::ServerSelection { .. })
}

/// The server error code carried by a driver error, if any.
pub fn code(e: &MongoError) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some(w.code),
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()
            .and_then(|v| v.first())
            .map(|w| w.code),
        _ => None,
    }
}

pub fn is_duplicate_key(e: &MongoError) -> bool {
    code(e) == Some(DUPLICATE_KEY)
}

/// Maps a driver error to the store's classes: no reachable server, a dropped connection or a
/// cleared pool is `Unavailable` (retry later); anything else is `Internal`.
pub fn to_store(e: MongoError) -> StoreError {
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::Shutdown => StoreError::Unavailable(format!("MongoDB: {e}")),
        _ if e.contains_label(TRANSIENT_TRANSACTION_ERROR) => {
            StoreError::Unavailable(format!("MongoDB (transient): {e}"))
        }
        _ => StoreError::Internal(format!("MongoDB: {e}")),
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(s) => s,
            DbError::Db(m) | DbError::Conflict(m) => to_store(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_pass_through() {
        let e: StoreError = DbError::Store(StoreError::OverQuota).into();
        assert!(matches!(e, StoreError::OverQuota));
        assert!(!DbError::Store(StoreError::OverQuota).is_transient());
    }
}
