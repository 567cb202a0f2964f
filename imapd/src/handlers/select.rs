//! SELECT / EXAMINE (RFC 3501 §6.3.1-2, CONDSTORE RFC 7162 §3.1.2): opens the selected-mailbox
//! view and gathers what the session writes as untagged responses.
//!
//! Invariant: the mailbox record is read before its message listing, so replaying the journal
//! from the record's HIGHESTMODSEQ cannot miss a change made in between.

use super::{Exec, HResult};
use crate::mailbox::SelectedView;
use crate::proto::command::Select;
use crate::proto::flag::Flag;
use crate::proto::response::{Code, Response, Status};
use crate::session::{CommandError, Completion, SelectInfo, SelectedMailbox};
use eider_model::types::Uid;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The flags every mailbox offers.
pub fn system_flags() -> Vec<Flag> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

pub async fn select(ex: &mut Exec<'_>, s: &Select, read_only: bool) -> HResult {
    // RFC 7162 §3.2.11: closing the selected mailbox by selecting another is announced with
    // `[CLOSED]`, so that a client knows which responses belong to which mailbox (as Dovecot
    // does; clients ignore codes they do not know, RFC 3501 §7.1).
    if ex.view.take().is_some() {
        ex.wire.push(&Response::Condition {
            status: Status::Ok,
            code: Some(Code::Closed),
            text: "Previous mailbox closed".into(),
        });
    }
    let path = ex.path(&s.mailbox)?;
    let store = ex.store();
    let Some(mailbox) = store.find_mailbox(ex.user.id, &path).await? else {
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    let summaries = store
        .list_messages(mailbox.id, Uid(1)..=Uid(u32::MAX))
        .await?;
    let uids: Vec<Uid> = summaries.iter().map(|s| s.uid).collect();
    // A fresh process has no `\Recent` horizon: everything in the mailbox counts as new to it.
    let view = SelectedView::open(
        &mailbox,
        uids,
        read_only,
        Arc::clone(&ex.shared.recent),
        Uid(0),
    );
    let keywords: BTreeSet<&String> = summaries.iter().flat_map(|s| &s.flags.keywords).collect();
    ex.keywords.reset(keywords);
    let flags = ex.keywords.flags();
    let mut permanent_flags = flags.clone();
    permanent_flags.push(Flag::MayCreate);
    let first_unseen = summaries
        .iter()
        .find(|s| !s.flags.seen())
        .and_then(|s| view.seq_of(s.uid));
    let info = SelectInfo {
        mailbox: SelectedMailbox {
            id: mailbox.id,
            path: mailbox.path.clone(),
            uid_validity: mailbox.uid_validity,
            read_only,
        },
        flags,
        permanent_flags,
        exists: view.exists(),
        recent: view.recent_count(),
        first_unseen,
        uid_next: mailbox.uid_next.0,
        highest_modseq: Some(mailbox.highest_modseq.0),
    };
    *ex.view = Some(view);
    Ok(Completion::Selected(info))
}
