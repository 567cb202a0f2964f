//! COPY / UID COPY (RFC 3501 §6.4.7) and MOVE / UID MOVE (RFC 6851), with COPYUID (RFC 4315).
//!
//! RFC 6851 §4.3: MOVE sends COPYUID in an untagged OK *before* the EXPUNGE responses; the
//! expunges themselves come from the driver's update pass over the journal.
//!
//! Copying or moving into or out of `\Junk` records a spam/ham training signal in the store's
//! outbox: the store does it in the copy's transaction (`eider_store::junk`), and the API
//! delivers it. COPY counts like MOVE (clients without MOVE mark junk with COPY + `\Deleted` +
//! EXPUNGE).

use super::{Exec, HResult, resolve};
use crate::proto::command::CopyMove;
use crate::proto::response::{Code, Response, Status};
use crate::search::compact;
use crate::session::{CommandError, Completion};

pub async fn copy(ex: &mut Exec<'_>, c: &CopyMove, is_move: bool) -> HResult {
    let saved = ex.saved.clone();
    let view = if is_move {
        ex.writable_view()?
    } else {
        ex.view()?
    };
    let source = view.mailbox();
    let uids = resolve(view, &c.set, c.uid, saved.as_deref())?;
    let path = ex.path(&c.mailbox)?;
    let Some(target) = ex.store().find_mailbox(ex.user.id, &path).await? else {
        // RFC 3501 §6.4.7: the client may create the mailbox and retry.
        return Err(CommandError::no(Code::TryCreate, "No such mailbox").into());
    };
    let verb = if is_move { "MOVE" } else { "COPY" };
    if uids.is_empty() {
        return super::ok(&format!("{verb} completed"));
    }
    if is_move && target.id == source {
        return Err(CommandError::no(Code::Cannot, "Source and target are the same").into());
    }
    let store = ex.store();
    let copied = if is_move {
        store.move_messages(source, &uids, target.id).await?
    } else {
        store.copy_messages(source, &uids, target.id).await?
    };
    let (src, dst): (Vec<u32>, Vec<u32>) = copied.mapping.iter().map(|(a, b)| (a.0, b.0)).unzip();
    let code = (!src.is_empty()).then(|| Code::CopyUid {
        validity: copied.uid_validity.0,
        source: compact(&src),
        dest: compact(&dst),
    });
    if is_move {
        if let Some(code) = code {
            ex.wire.push(&Response::Condition {
                status: Status::Ok,
                code: Some(code),
                text: "Moved UIDs".into(),
            });
        }
        return super::ok("MOVE completed");
    }
    Ok(Completion::Ok {
        code,
        text: "COPY completed".into(),
    })
}
