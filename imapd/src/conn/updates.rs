//! Bringing the selected-mailbox view up to date from the store's journal and writing the
//! resulting untagged responses (RFC 3501 §7.3/§7.4, RFC 7162 §3.2).
//!
//! Invariant: the view only moves forward (its highest modseq never drops); when the journal
//! has a gap (pruned entries) the view resynchronises from a full listing instead.

use super::wire::Wire;
use crate::handlers::Keywords;
use crate::mailbox::{SelectedView, Update};
use eider_model::types::{ModSeq, Uid};
use eider_store::MailStore;
use eider_store::StoreError;

/// Applies the journal since the view's modseq and queues the updates the client may get now.
/// Returns true when the mailbox was deleted.
pub async fn refresh(
    store: &dyn MailStore,
    view: &mut SelectedView,
    wire: &mut Wire,
    keywords: &mut Keywords,
    condstore: bool,
    allow_expunge: bool,
) -> Result<bool, StoreError> {
    let since = view.highest_modseq();
    let entries = match store.changes_since(view.mailbox(), since).await {
        Ok(e) => e,
        Err(StoreError::NotFound(_)) => return Ok(true),
        Err(e) => return Err(e),
    };
    // Deleting a mailbox removes its journal with it, so silence may also mean it is gone.
    if entries.is_empty() && store.get_mailbox(view.mailbox()).await?.is_none() {
        return Ok(true);
    }
    let gap = entries
        .first()
        .is_some_and(|e| e.modseq.0 > since.0.saturating_add(1));
    let mut deleted = false;
    if gap {
        let Some(mailbox) = store.get_mailbox(view.mailbox()).await? else {
            return Ok(true);
        };
        let all = store
            .list_messages(view.mailbox(), Uid(1)..=Uid(u32::MAX))
            .await?;
        view.resync(&all, ModSeq(mailbox.highest_modseq.0));
    } else {
        deleted = view.apply(&entries).mailbox_deleted;
    }
    let updates = view.pending(allow_expunge);
    let seen = updates.iter().flat_map(|u| match u {
        Update::Fetch { flags, .. } => flags.keywords.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    keywords.announce(wire, seen, view.read_only());
    for u in updates {
        u.encode(&mut wire.buf, wire.opts, condstore);
    }
    Ok(deleted)
}
