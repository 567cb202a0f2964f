//! FETCH / UID FETCH (RFC 3501 §6.4.5, §6.4.8) with MODSEQ and CHANGEDSINCE (RFC 7162 §3.1.4).
//!
//! Cost: one `list_messages` for the range; a full record per message only when an item needs
//! the part tree, envelope or bytes. Invariants: a non-PEEK body item sets `\Seen` (read-write
//! selections only) before the responses are written, and those responses then carry the new
//! FLAGS even if not asked for; messages expunged elsewhere but not yet reported are skipped.

use super::fetch_body::write_section;
use super::{Exec, HResult, ok, resolve};
use crate::proto::command::{Fetch, FetchAttr};
use crate::proto::datetime::DateTime;
use crate::proto::flag::from_model;
use crate::proto::response::{FetchItem, FetchWriter};
use crate::session::CommandError;
use eider_model::types::Uid;
use eider_model::{FlagOp, Flags, SystemFlags};
use std::collections::HashSet;

fn needs_record(a: &FetchAttr) -> bool {
    !matches!(
        a,
        FetchAttr::Flags
            | FetchAttr::Uid
            | FetchAttr::InternalDate
            | FetchAttr::Rfc822Size
            | FetchAttr::ModSeq
    )
}

pub async fn fetch(ex: &mut Exec<'_>, f: &Fetch) -> HResult {
    if f.attrs
        .iter()
        .any(|a| matches!(a, FetchAttr::Binary { .. } | FetchAttr::BinarySize(_)))
    {
        return Err(CommandError::Bad("BINARY is not supported".into()).into());
    }
    let condstore = ex.condstore;
    let saved = ex.saved.clone();
    let view = ex.view()?;
    let (mailbox, read_only) = (view.mailbox(), view.read_only());
    let uids = resolve(view, &f.set, f.uid, saved.as_deref())?;
    let (Some(&first), Some(&last)) = (uids.first(), uids.last()) else {
        return ok("FETCH completed");
    };
    let store = ex.shared.ctx.store.as_ref();
    let wanted: HashSet<Uid> = uids.iter().copied().collect();
    let mut summaries: Vec<_> = store
        .list_messages(mailbox, first..=last)
        .await?
        .into_iter()
        .filter(|s| wanted.contains(&s.uid))
        .filter(|s| f.changed_since.is_none_or(|c| s.modseq.0 > c))
        .collect();
    // RFC 3501 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen.
    let mut newly_seen: HashSet<Uid> = HashSet::new();
    if !read_only && f.attrs.iter().any(FetchAttr::sets_seen) {
        let unseen: Vec<Uid> = summaries
            .iter()
            .filter(|s| !s.flags.seen())
            .map(|s| s.uid)
            .collect();
        if !unseen.is_empty() {
            let seen = Flags {
                system: SystemFlags(SystemFlags::SEEN),
                keywords: Default::default(),
            };
            let changed = store
                .set_flags(mailbox, &unseen, FlagOp::Add, &seen, None)
                .await?;
            let view = ex.view()?;
            for (uid, modseq, flags) in changed.changed {
                view.note_own_flags(uid, modseq);
                if let Some(s) = summaries.iter_mut().find(|s| s.uid == uid) {
                    s.flags = flags;
                    s.modseq = modseq;
                }
                newly_seen.insert(uid);
            }
        }
    }
    let full = f.attrs.iter().any(needs_record);
    for s in &summaries {
        let view = ex.view()?;
        let Some(seq) = view.seq_of(s.uid) else {
            continue;
        };
        if view.is_expunged(s.uid) {
            continue;
        }
        let recent = view.is_recent(s.uid);
        let record = if full {
            match store.get_message(mailbox, s.uid).await? {
                Some(r) => Some(r),
                // Expunged between the listing and now.
                None => continue,
            }
        } else {
            None
        };
        let flags = from_model(&s.flags, recent);
        let mut w = FetchWriter::begin(&mut ex.wire.buf, seq, ex.wire.opts);
        for attr in &f.attrs {
            let buf = &mut ex.wire.buf;
            match attr {
                FetchAttr::Flags => w.item(buf, &FetchItem::Flags(&flags)),
                FetchAttr::Uid => w.item(buf, &FetchItem::Uid(s.uid.0)),
                FetchAttr::InternalDate => w.item(
                    buf,
                    &FetchItem::InternalDate(DateTime {
                        unix: s.internal_date,
                        tz_minutes: s.internal_tz_minutes,
                    }),
                ),
                FetchAttr::Rfc822Size => w.item(buf, &FetchItem::Rfc822Size(s.size)),
                FetchAttr::ModSeq => w.item(buf, &FetchItem::ModSeq(s.modseq.0)),
                FetchAttr::Envelope | FetchAttr::Body | FetchAttr::BodyStructure => {
                    let Some(r) = &record else { continue };
                    let item = match attr {
                        FetchAttr::Envelope => FetchItem::Envelope(&r.meta.envelope),
                        FetchAttr::Body => FetchItem::Body(&r.meta.root),
                        _ => FetchItem::BodyStructure(&r.meta.root),
                    };
                    w.item(buf, &item);
                }
                _ => {
                    let Some(r) = &record else { continue };
                    write_section(ex.wire, &mut w, store, r, attr).await?;
                }
            }
        }
        if newly_seen.contains(&s.uid) {
            if !f.attrs.contains(&FetchAttr::Flags) {
                w.item(&mut ex.wire.buf, &FetchItem::Flags(&flags));
            }
            // RFC 7162 §3.1: once CONDSTORE is enabled, a FETCH that implicitly set \Seen
            // carries the UID and the new mod-sequence too.
            if condstore {
                if !f.attrs.contains(&FetchAttr::Uid) {
                    w.item(&mut ex.wire.buf, &FetchItem::Uid(s.uid.0));
                }
                if !f.attrs.contains(&FetchAttr::ModSeq) {
                    w.item(&mut ex.wire.buf, &FetchItem::ModSeq(s.modseq.0));
                }
            }
        }
        w.end(&mut ex.wire.buf);
        ex.wire.flush_if_full().await?;
    }
    ok("FETCH completed")
}
