//! STORE / UID STORE (RFC 3501 §6.4.6) with `.SILENT` and UNCHANGEDSINCE (RFC 7162 §3.1.3).
//!
//! Invariants: the FETCH responses report the flags as stored after the change (read back from
//! the store), and each change this session reports is noted in the view so the journal does
//! not echo it later as an unsolicited FETCH.

use super::{Exec, HResult, resolve};
use crate::proto::command::{Store, StoreMode};
use crate::proto::flag::{from_model, to_model};
use crate::proto::response::{Code, FetchItem, FetchWriter};
use crate::search::compact;
use crate::session::Completion;
use eider_model::FlagOp;
use eider_model::types::ModSeq;

pub async fn store(ex: &mut Exec<'_>, s: &Store) -> HResult {
    let saved = ex.saved.clone();
    let view = ex.writable_view()?;
    let mailbox = view.mailbox();
    let uids = resolve(view, &s.set, s.uid, saved.as_deref())?;
    let (Some(&first), Some(&last)) = (uids.first(), uids.last()) else {
        return super::ok("STORE completed");
    };
    let op = match s.mode {
        StoreMode::Add => FlagOp::Add,
        StoreMode::Remove => FlagOp::Remove,
        StoreMode::Replace => FlagOp::Replace,
    };
    let flags = to_model(&s.flags);
    let store = ex.shared.ctx.store.as_ref();
    let result = store
        .set_flags(mailbox, &uids, op, &flags, s.unchanged_since.map(ModSeq))
        .await?;
    let view = ex.writable_view()?;
    for (uid, modseq, _) in &result.changed {
        view.note_own_flags(*uid, *modseq);
    }
    if op != FlagOp::Remove {
        ex.keywords.announce(ex.wire, &flags.keywords, false);
    }
    if !s.silent {
        let now = store.list_messages(mailbox, first..=last).await?;
        let view = ex
            .view
            .as_mut()
            .ok_or_else(|| crate::session::CommandError::Bad("No mailbox selected".into()))?;
        for m in now.iter().filter(|m| uids.binary_search(&m.uid).is_ok()) {
            if result.modified.contains(&m.uid) {
                continue;
            }
            let Some(seq) = view.seq_of(m.uid) else {
                continue;
            };
            view.note_own_flags(m.uid, m.modseq);
            let buf = &mut ex.wire.buf;
            let mut w = FetchWriter::begin(buf, seq, ex.wire.opts);
            let wire_flags = from_model(&m.flags, view.is_recent(m.uid));
            w.item(buf, &FetchItem::Flags(&wire_flags));
            if s.uid {
                w.item(buf, &FetchItem::Uid(m.uid.0));
            }
            if ex.condstore {
                w.item(buf, &FetchItem::ModSeq(m.modseq.0));
            }
            w.end(buf);
        }
    } else if ex.condstore {
        // RFC 7162 §3.1.3: with CONDSTORE the new modseq is reported even for .SILENT
        // (without the flags), as Dovecot does.
        let view = ex.writable_view()?;
        let mut lines = Vec::new();
        for (uid, modseq, _) in &result.changed {
            if let Some(seq) = view.seq_of(*uid) {
                lines.push((seq, *uid, *modseq));
            }
        }
        for (seq, uid, modseq) in lines {
            let buf = &mut ex.wire.buf;
            let mut w = FetchWriter::begin(buf, seq, ex.wire.opts);
            if s.uid {
                w.item(buf, &FetchItem::Uid(uid.0));
            }
            w.item(buf, &FetchItem::ModSeq(modseq.0));
            w.end(buf);
        }
    }
    if !result.modified.is_empty() {
        let view = ex.writable_view()?;
        let mut nums: Vec<u32> = if s.uid {
            result.modified.iter().map(|u| u.0).collect()
        } else {
            result
                .modified
                .iter()
                .filter_map(|u| view.seq_of(*u))
                .collect()
        };
        nums.sort_unstable();
        return Ok(Completion::Ok {
            code: Some(Code::Modified(compact(&nums))),
            text: "Conditional STORE failed".into(),
        });
    }
    super::ok("STORE completed")
}
