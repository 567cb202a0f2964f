//! MOVE / UID MOVE (RFC 6851), with COPYUID (RFC 4315); the transfer itself is COPY's
//! ([`super::copy::transfer`]), done atomically by the store (`MailStore::move_messages`).
//!
//! RFC 6851 §4.3: MOVE sends COPYUID in an untagged OK *before* the EXPUNGE responses; the
//! expunges themselves come from the driver's update pass over the journal.

use super::{Exec, HResult, ok};
use crate::proto::command::CopyMove;
use crate::proto::response::{Response, Status};

pub async fn r#move(ex: &mut Exec<'_>, c: &CopyMove) -> HResult {
    if let Some(code) = super::copy::transfer(ex, c, true).await? {
        ex.wire.push(&Response::Condition {
            status: Status::Ok,
            code: Some(code),
            text: "Moved UIDs".into(),
        });
    }
    ok("MOVE completed")
}
