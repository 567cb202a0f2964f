//! STATUS (RFC 3501 §6.3.10) with HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438) and APPENDLIMIT
//! (RFC 7889), from the mailbox record's counters.

use super::{Exec, HResult, ok};
use crate::proto::command::{Status, StatusItem};
use crate::proto::response::{Code, Data, Response};
use crate::session::CommandError;
use eider_model::Mailbox;
use eider_model::types::Uid;
use eider_store::StoreError;

/// The values of `items` for `m`, in the order asked.
pub async fn status_items(
    ex: &Exec<'_>,
    m: &Mailbox,
    items: &[StatusItem],
) -> Result<Vec<(StatusItem, u64)>, StoreError> {
    let mut out = Vec::with_capacity(items.len());
    for &item in items {
        let v = match item {
            StatusItem::Messages => u64::from(m.messages),
            StatusItem::Recent => recent(ex, m).await?,
            StatusItem::UidNext => u64::from(m.uid_next.0),
            StatusItem::UidValidity => u64::from(m.uid_validity.0),
            StatusItem::Unseen => u64::from(m.unseen),
            StatusItem::HighestModSeq => m.highest_modseq.0,
            StatusItem::Size => m.size,
            StatusItem::AppendLimit => ex.shared.ctx.config.limits.max_message_size,
        };
        out.push((item, v));
    }
    Ok(out)
}

/// Messages above the process's `\Recent` horizon (those the next SELECT would see as recent),
/// or for the selected mailbox the ones recent in this session.
async fn recent(ex: &Exec<'_>, m: &Mailbox) -> Result<u64, StoreError> {
    // The selected mailbox: what this session holds as recent.
    if let Some(v) = ex.view.as_ref().filter(|v| v.mailbox() == m.id) {
        return Ok(u64::from(v.recent_count()));
    }
    let horizon = ex.shared.recent.peek(m.id, m.uid_validity, Uid(0));
    if horizon.0.saturating_add(1) >= m.uid_next.0 {
        return Ok(0);
    }
    let above = ex
        .store()
        .list_messages(m.id, Uid(horizon.0 + 1)..=Uid(u32::MAX))
        .await?;
    Ok(above.len() as u64)
}

pub async fn status(ex: &mut Exec<'_>, s: &Status) -> HResult {
    let path = ex.path(&s.mailbox)?;
    let Some(m) = ex.store().find_mailbox(ex.user.id, &path).await? else {
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    let items = status_items(ex, &m, &s.items).await?;
    ex.wire.push(&Response::Data(Data::Status {
        path: m.path.clone(),
        items,
    }));
    ok("STATUS completed")
}
