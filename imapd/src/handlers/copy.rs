//! COPY / UID COPY (RFC 3501 §6.4.7), with COPYUID (RFC 4315), and the transfer MOVE shares.
//!
//! Copying or moving into or out of `\Junk` records a spam/ham training signal in the store's
//! outbox: the store does it in the copy's transaction (`eider_store::junk`), and the API
//! delivers it. COPY counts like MOVE (clients without MOVE mark junk with COPY + `\Deleted` +
//! EXPUNGE).

use super::{Exec, HResult, resolve};
use crate::proto::command::CopyMove;
use crate::proto::response::Code;
use crate::search::compact;
use crate::session::{CommandError, Completion};

pub async fn copy(ex: &mut Exec<'_>, c: &CopyMove) -> HResult {
    let code = transfer(ex, c, false).await?;
    Ok(Completion::Ok {
        code,
        text: "COPY completed".into(),
    })
}

/// Copies (or, with `is_move`, moves) the messages `c` names into its target; the COPYUID
/// code to report, if any message was transferred.
pub(super) async fn transfer(
    ex: &mut Exec<'_>,
    c: &CopyMove,
    is_move: bool,
) -> Result<Option<Code>, super::Failure> {
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
    if uids.is_empty() {
        return Ok(None);
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
    Ok((!src.is_empty()).then(|| Code::CopyUid {
        validity: copied.uid_validity.0,
        source: compact(&src),
        dest: compact(&dst),
    }))
}
