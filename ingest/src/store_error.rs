//! The one place a store failure becomes an LMTP reply.
//!
//! LMTP answers per recipient (RFC 2033 §4.2), so a store failure is mapped for the recipient it
//! concerns: at RCPT (looking the recipient up) and after DATA (routing and appending for that
//! recipient). Preparing the shared content is not about any recipient: every failure there is
//! the same temporary reply for all of them.
//!
//! Invariants:
//! - One table for both per-recipient stages: `NotFound` → `550 5.1.1`, `OverQuota` →
//!   `552 5.2.2`, anything else → `451 4.3.0`, so the sending MTA keeps the message queued
//!   and retries whenever the failure is on our side (RFC 5321 §4.2.1, RFC 3463 §3.4).
//! - The reply text is fixed (`lmtp::reply::canned`); the error itself goes only to the log.
//! - Refusals that are not store failures (bad address syntax, disabled account, the size
//!   limit `552 5.3.4`) are decided where they are checked, with the same canned replies.

use crate::lmtp::reply::{Reply, canned};
use eider_model::types::UserId;
use eider_store::StoreError;
use eider_store::ingest::IngestError;

/// Where in the transaction the store failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// RCPT TO: resolving the address or loading its user.
    Recipient,
    /// After DATA/BDAT LAST: routing and appending for this user.
    Delivery(UserId),
}

/// The reply for the recipient whose lookup or delivery failed with `e`. Pure: see [`refuse`].
pub fn reply(e: &StoreError) -> Reply {
    match e {
        // RFC 3463 §3.2 X.1.1: the address (or its user) does not exist (any more).
        StoreError::NotFound(_) => canned::unknown_user(),
        // RFC 3463 §3.3 X.2.2: mailbox full; RFC 5321 §4.2.2 552 exceeded storage allocation.
        StoreError::OverQuota => canned::over_quota(),
        // RFC 3463 §3.4 X.3.0: a mail system problem; 451 so that the MTA retries. This covers
        // outages and also corrupt data or a blob lost to a race, which a retry may not
        // cure, but the message stays queued at the MTA until an administrator looks.
        _ => canned::temp_failure(),
    }
}

/// Logs `e` (an expected refusal at info, a failure on our side at warn) and returns
/// [`reply`].
pub fn refuse(stage: Stage, e: &StoreError) -> Reply {
    let reply = reply(e);
    match stage {
        Stage::Recipient if reply.code >= 500 => {
            tracing::info!(error = %e, "recipient refused");
        }
        Stage::Recipient => tracing::warn!(error = %e, "recipient lookup failed"),
        Stage::Delivery(user) if reply.code >= 500 => {
            tracing::info!(%user, error = %e, "delivery refused");
        }
        Stage::Delivery(user) => tracing::warn!(%user, error = %e, "delivery failed"),
    }
    reply
}

/// The reply, for every recipient, when the message content could not be prepared (read,
/// parsed, its blobs stored). Logged at error: the message is fine as far as the client
/// knows, so the MTA retries it (`451 4.3.0`), whatever the cause, even a store `NotFound`,
/// which here means nothing about a recipient.
pub fn content_failed(e: &IngestError) -> Reply {
    tracing::error!(error = %e, "ingest failed");
    canned::temp_failure()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use eider_model::types::BlobId;

    /// One of each variant (`StoreError` is `#[non_exhaustive]`: add new ones here) with the
    /// reply line every recipient stage gives it.
    fn table() -> Vec<(StoreError, &'static str)> {
        let temp = "451 4.3.0 Temporary failure, please try again later\r\n";
        vec![
            (
                StoreError::NotFound("user 7".into()),
                "550 5.1.1 No such user here\r\n",
            ),
            (StoreError::AlreadyExists("mailbox x".into()), temp),
            (
                StoreError::OverQuota,
                "552 5.2.2 Mailbox full: over quota\r\n",
            ),
            (StoreError::Invalid("size mismatch".into()), temp),
            (StoreError::NotAllowed("no UIDs left".into()), temp),
            (StoreError::MissingBlob(BlobId([7; 32])), temp),
            (StoreError::Unavailable("no primary".into()), temp),
            (StoreError::Corrupt("bad record".into()), temp),
            (StoreError::Internal("disk".into()), temp),
        ]
    }

    #[test]
    fn every_variant_at_every_stage() {
        for (e, want) in table() {
            assert_eq!(String::from_utf8(reply(&e).to_bytes()).unwrap(), want);
            for stage in [Stage::Recipient, Stage::Delivery(UserId(3))] {
                assert_eq!(refuse(stage, &e), reply(&e), "{stage:?} {e:?}");
            }
        }
    }

    #[test]
    fn content_failures_are_temporary_for_everyone() {
        let temp = canned::temp_failure();
        for (e, _) in table() {
            assert_eq!(content_failed(&IngestError::Store(e)), temp);
        }
        let io = std::io::Error::other("reset");
        assert_eq!(content_failed(&IngestError::Io(io)), temp);
    }
}
