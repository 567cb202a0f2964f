//! The one place a store failure becomes a POP3 answer.
//!
//! Every `StoreError` a session meets is turned into `-ERR` here, with an RFC 2449 §8 response
//! code, so the same failure reads the same at login, in RETR/TOP and in the UPDATE state.
//!
//! Invariants:
//! - The client gets a fixed text per [`Op`] and class; the error itself (names, ids, backend
//!   messages) goes only to the log line [`refuse`] writes.
//! - `[SYS/TEMP]` (RFC 3206 §4) exactly when a retry may succeed: the backend is unavailable or
//!   failed in an unknown way (`StoreError::is_temporary`), or something was removed between two
//!   store calls (`NotFound`: the retry sees the new state and answers it cleanly).
//! - `[SYS/PERM]` (RFC 3206 §4) for everything a retry cannot fix: corrupt or missing data, and
//!   refusals (quota, `NotAllowed`, `Invalid`, `AlreadyExists`), which POP3 never asks for, so
//!   they mean an inconsistent account the administrator must look at.
//! - A message found gone in RETR/TOP answers [`gone`] whether the session saw the expunge event
//!   or the store said `NotFound`.
//! - `[AUTH]` and `[IN-USE]` never come from a store failure: they answer wrong credentials and
//!   the maildrop lock (`proto::session::Session::login_failed`).

use crate::proto::reply::{Code, Reply};
use eider_model::types::Uid;
use eider_store::StoreError;
use std::io;

/// What the session was doing when the store failed. It picks the wording, not the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// PASS / AUTH: finding the user and its INBOX, taking the snapshot.
    Login,
    /// RETR/TOP before `+OK`: checking that the message still exists, reading its first window.
    Retrieve { uid: Uid },
    /// UPDATE state (RFC 1939 §6): setting `\Seen` on retrieved messages.
    MarkSeen,
    /// UPDATE state (RFC 1939 §6): expunging or moving to Trash the DELE-marked messages.
    Remove,
}

/// How a failure is reported, before the wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `[SYS/TEMP]`: retrying later may succeed.
    Temporary,
    /// `[SYS/PERM]`: retrying will not help.
    Permanent,
    /// RETR/TOP of a message that no longer exists.
    Gone,
}

fn class(op: Op, e: &StoreError) -> Class {
    match e {
        StoreError::NotFound(_) if matches!(op, Op::Retrieve { .. }) => Class::Gone,
        StoreError::NotFound(_) => Class::Temporary,
        e if e.is_temporary() => Class::Temporary,
        _ => Class::Permanent,
    }
}

/// The answer to RETR/TOP of a message another session removed (RFC 1939 §5 leaves the text
/// to us; no response code fits, and retrying cannot succeed).
pub fn gone() -> Reply {
    Reply::err("message was removed by another session")
}

/// The `-ERR` answer to `op` failing with `e`. Pure: see [`refuse`] for the logging variant.
pub fn reply(op: Op, e: &StoreError) -> Reply {
    let code = match class(op, e) {
        Class::Gone => return gone(),
        Class::Temporary => Code::SysTemp,
        Class::Permanent => Code::SysPerm,
    };
    let text = match (op, code) {
        (Op::Login, Code::SysTemp) => "try again later",
        (Op::Login, _) => "maildrop cannot be opened, contact the administrator",
        (Op::Retrieve { .. }, Code::SysTemp) => "cannot read the message now",
        (Op::Retrieve { .. }, _) => "message cannot be read, contact the administrator",
        // Both UPDATE steps say the same: RFC 1939 §6 only says the removal failed.
        (Op::MarkSeen | Op::Remove, _) => "some deleted messages not removed",
    };
    Reply::err_code(code, text)
}

/// Logs `e` with what `op` was doing and returns the answer for the client.
pub fn refuse(op: Op, e: &StoreError) -> Reply {
    match class(op, e) {
        Class::Gone => tracing::info!(?op, error = %e, "POP3: message gone"),
        Class::Temporary => tracing::warn!(?op, error = %e, "POP3: store failure"),
        Class::Permanent => tracing::error!(?op, error = %e, "POP3: store failure"),
    }
    reply(op, e)
}

/// A store failure after `+OK` of a multi-line answer, which cannot be taken back: logged, and
/// the connection must close (the client sees the response end without its `.` line).
pub fn after_ok(op: Op, e: &StoreError) -> io::Error {
    tracing::error!(?op, error = %e, "POP3: store failure in the middle of a response");
    io::Error::other("store failure in the middle of a response")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use eider_model::types::BlobId;

    /// One of each variant (`StoreError` is `#[non_exhaustive]`: add new ones here).
    fn every_error() -> Vec<StoreError> {
        vec![
            StoreError::NotFound("mailbox 9".into()),
            StoreError::AlreadyExists("mailbox Trash".into()),
            StoreError::OverQuota,
            StoreError::Invalid("empty path".into()),
            StoreError::NotAllowed("INBOX cannot be deleted".into()),
            StoreError::MissingBlob(BlobId([7; 32])),
            StoreError::Unavailable("no primary".into()),
            StoreError::Corrupt("bad record".into()),
            StoreError::Internal("disk".into()),
        ]
    }

    fn wire(op: Op) -> Vec<String> {
        every_error()
            .iter()
            .map(|e| String::from_utf8(reply(op, e).to_bytes()).unwrap())
            .collect()
    }

    const LOGIN_TEMP: &str = "-ERR [SYS/TEMP] try again later\r\n";
    const LOGIN_PERM: &str =
        "-ERR [SYS/PERM] maildrop cannot be opened, contact the administrator\r\n";
    const RETR_GONE: &str = "-ERR message was removed by another session\r\n";
    const RETR_TEMP: &str = "-ERR [SYS/TEMP] cannot read the message now\r\n";
    const RETR_PERM: &str = "-ERR [SYS/PERM] message cannot be read, contact the administrator\r\n";
    const UPD_TEMP: &str = "-ERR [SYS/TEMP] some deleted messages not removed\r\n";
    const UPD_PERM: &str = "-ERR [SYS/PERM] some deleted messages not removed\r\n";

    #[test]
    fn every_variant_in_every_op() {
        // Rows in the order of `every_error`.
        let (t, p) = (LOGIN_TEMP, LOGIN_PERM);
        assert_eq!(wire(Op::Login), [t, p, p, p, p, p, t, p, t]);
        let (t, p, g) = (RETR_TEMP, RETR_PERM, RETR_GONE);
        assert_eq!(
            wire(Op::Retrieve { uid: Uid(4) }),
            [g, p, p, p, p, p, t, p, t]
        );
        let (t, p) = (UPD_TEMP, UPD_PERM);
        for op in [Op::MarkSeen, Op::Remove] {
            assert_eq!(wire(op), [t, p, p, p, p, p, t, p, t], "{op:?}");
        }
    }

    #[test]
    fn no_detail_reaches_the_client() {
        for op in [
            Op::Login,
            Op::Retrieve { uid: Uid(4) },
            Op::MarkSeen,
            Op::Remove,
        ] {
            for (e, w) in every_error().iter().zip(wire(op)) {
                for detail in [
                    "mailbox", "Trash", "path", "INBOX", "0707", "primary", "record", "disk",
                ] {
                    assert!(!w.contains(detail), "{op:?} {e:?}: {w}");
                }
                assert_eq!(refuse(op, e), reply(op, e));
            }
        }
    }

    #[test]
    fn gone_is_the_same_from_either_path() {
        let e = StoreError::NotFound("mailbox 9".into());
        assert_eq!(reply(Op::Retrieve { uid: Uid(1) }, &e), gone());
    }
}
