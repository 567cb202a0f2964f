//! Messages of the embedded store: append, expunge, copy, move, and reads.
//!
//! A message is two rows under `(mailbox, uid)`: the light `MessageSummary` in `summaries` and the
//! heavy [`MessageBody`] in `bodies`. Invariants kept by every function here: mailbox counters
//! (`messages`, `unseen`, `size`) and the owner's `bytes_used` move with each row; each distinct
//! blob of a message holds one reference for as long as the message exists.

use super::blobs;
use super::journal;
use super::mailboxes;
use super::tables::{self, Tables, dec, enc, load};
use super::threads;
use super::users;
use super::writer::Ctx;
use crate::error::{StoreError, StoreResult};
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid};
use eider_model::{
    Appended, Change, Copied, Mailbox, MessageMeta, MessageSummary, NewMessage, Segment,
    StoredMessage, User,
};
use redb::{ReadTransaction, ReadableTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// The heavy part of a stored message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageBody {
    pub segments: Vec<Segment>,
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

impl MessageBody {
    /// The distinct blobs the message holds a reference on (same rule as `NewMessage::blobs`).
    pub fn blobs(&self) -> BTreeSet<BlobId> {
        eider_model::referenced_blobs(&self.segments, &self.meta)
    }
}

pub fn load_summary(
    t: &Tables<'_>,
    mailbox: MailboxId,
    uid: Uid,
) -> StoreResult<Option<MessageSummary>> {
    load(&t.summaries, (mailbox.0, uid.0))
}

pub fn store_summary(
    t: &mut Tables<'_>,
    mailbox: MailboxId,
    summary: &MessageSummary,
) -> StoreResult<()> {
    t.summaries
        .insert((mailbox.0, summary.uid.0), enc(summary)?.as_slice())?;
    Ok(())
}

/// UIDs of a mailbox, ascending.
pub fn uids(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    mailbox: MailboxId,
) -> StoreResult<Vec<Uid>> {
    Ok(table
        .range((mailbox.0, 0)..=(mailbox.0, u32::MAX))?
        .map(|r| r.map(|(k, _)| Uid(k.value().1)))
        .collect::<Result<_, _>>()?)
}

fn check_quota(user: &User, extra: u64) -> StoreResult<()> {
    if user.quota > 0 && user.bytes_used.saturating_add(extra) > user.quota {
        return Err(StoreError::OverQuota);
    }
    Ok(())
}

/// Writes a message into `mb` with the next UID and MODSEQ, updating counters and journal.
/// Blob references and the owner's usage are the caller's business.
fn insert(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    mb: &mut Mailbox,
    mut summary: MessageSummary,
    body: &MessageBody,
) -> StoreResult<(Uid, ModSeq)> {
    let uid = mb.uid_next;
    let next = uid
        .0
        .checked_add(1)
        .ok_or_else(|| StoreError::NotAllowed(format!("mailbox {} has no UIDs left", mb.path)))?;
    mb.uid_next = Uid(next);
    let modseq = ModSeq(mb.highest_modseq.0 + 1);
    mb.highest_modseq = modseq;
    summary.uid = uid;
    summary.modseq = modseq;
    mb.messages += 1;
    mb.size += summary.size;
    if !summary.flags.seen() {
        mb.unseen += 1;
    }
    store_summary(t, mb.id, &summary)?;
    t.bodies.insert((mb.id.0, uid.0), enc(body)?.as_slice())?;
    let change = Change::Added {
        uid,
        flags: summary.flags,
    };
    journal::record(t, ctx, mb, modseq, 0, change)?;
    Ok((uid, modseq))
}

pub fn append(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    mailbox: MailboxId,
    message: &NewMessage,
) -> StoreResult<Appended> {
    let mut mb = mailboxes::require(t, mailbox)?;
    let mut user = users::require(t, mb.user)?;
    let total: u64 = message.segments.iter().map(Segment::encoded_len).sum();
    if total != message.size {
        return Err(StoreError::Invalid(format!(
            "message size {} but segments hold {total} bytes",
            message.size
        )));
    }
    check_quota(&user, message.size)?;
    for blob in message.blobs() {
        blobs::add_ref(t, blob, 1)?;
    }
    let thread = threads::assign(t, user.id, &message.meta)?;
    let summary = MessageSummary {
        uid: Uid(0),
        modseq: ModSeq(0),
        flags: message.flags.clone(),
        internal_date: message.internal_date,
        internal_tz_minutes: message.internal_tz_minutes,
        size: message.size,
        thread,
    };
    let body = MessageBody {
        segments: message.segments.clone(),
        sha256: message.sha256,
        meta: message.meta.clone(),
    };
    let (uid, modseq) = insert(t, ctx, &mut mb, summary, &body)?;
    mailboxes::store(t, &mb)?;
    user.bytes_used += message.size;
    users::store(t, &user)?;
    Ok(Appended {
        mailbox,
        uid_validity: mb.uid_validity,
        uid,
        modseq,
    })
}

/// Deletes one message's rows, releasing its blobs and adjusting `mb` and `user` (not stored).
/// Returns whether the message existed.
pub fn remove_record(
    t: &mut Tables<'_>,
    mb: &mut Mailbox,
    user: &mut User,
    uid: Uid,
) -> StoreResult<bool> {
    let Some(summary) = load_summary(t, mb.id, uid)? else {
        return Ok(false);
    };
    let body: Option<MessageBody> = load(&t.bodies, (mb.id.0, uid.0))?;
    if let Some(body) = body {
        for blob in body.blobs() {
            blobs::add_ref(t, blob, -1)?;
        }
    }
    t.summaries.remove((mb.id.0, uid.0))?;
    t.bodies.remove((mb.id.0, uid.0))?;
    mb.messages = mb.messages.saturating_sub(1);
    mb.size = mb.size.saturating_sub(summary.size);
    if !summary.flags.seen() {
        mb.unseen = mb.unseen.saturating_sub(1);
    }
    user.bytes_used = user.bytes_used.saturating_sub(summary.size);
    Ok(true)
}

pub fn expunge(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    mailbox: MailboxId,
    uids: Option<&[Uid]>,
    only_deleted: bool,
) -> StoreResult<Vec<Uid>> {
    let mut mb = mailboxes::require(t, mailbox)?;
    let mut user = users::require(t, mb.user)?;
    let mut targets = match uids {
        Some(list) => list.to_vec(),
        None => self::uids(&t.summaries, mailbox)?,
    };
    targets.sort_unstable();
    targets.dedup();
    let mut removed = Vec::new();
    for uid in targets {
        if only_deleted {
            match load_summary(t, mailbox, uid)? {
                Some(s) if s.flags.deleted() => {}
                _ => continue,
            }
        }
        if remove_record(t, &mut mb, &mut user, uid)? {
            mb.highest_modseq = ModSeq(mb.highest_modseq.0 + 1);
            journal::record(t, ctx, &mb, mb.highest_modseq, 0, Change::Expunged { uid })?;
            removed.push(uid);
        }
    }
    if !removed.is_empty() {
        mailboxes::store(t, &mb)?;
        users::store(t, &user)?;
    }
    Ok(removed)
}

/// Copies (and with `remove_source`, moves) messages between two mailboxes of one user.
pub fn copy(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    from: MailboxId,
    uids: &[Uid],
    to: MailboxId,
    remove_source: bool,
) -> StoreResult<Copied> {
    let src = mailboxes::require(t, from)?;
    let mut dst = mailboxes::require(t, to)?;
    if src.user != dst.user {
        return Err(StoreError::NotAllowed(
            "messages can only be copied between mailboxes of one user".into(),
        ));
    }
    let mut uids = uids.to_vec();
    uids.sort_unstable();
    uids.dedup();
    let mut sources = Vec::new();
    for uid in uids {
        let Some(summary) = load_summary(t, from, uid)? else {
            continue;
        };
        let body: MessageBody = load(&t.bodies, (from.0, uid.0))?
            .ok_or_else(|| StoreError::Corrupt(format!("message {from}/{uid} has no body")))?;
        sources.push((summary, body));
    }
    let mut user = users::require(t, src.user)?;
    let total: u64 = sources.iter().map(|(s, _)| s.size).sum();
    if !remove_source {
        check_quota(&user, total)?;
    }
    let mut mapping = Vec::with_capacity(sources.len());
    for (summary, body) in &sources {
        for blob in body.blobs() {
            blobs::add_ref(t, blob, 1)?;
        }
        let (uid, _) = insert(t, ctx, &mut dst, summary.clone(), body)?;
        mapping.push((summary.uid, uid));
    }
    mailboxes::store(t, &dst)?;
    user.bytes_used += total;
    users::store(t, &user)?;
    if remove_source && !mapping.is_empty() {
        let src_uids: Vec<Uid> = mapping.iter().map(|(s, _)| *s).collect();
        expunge(t, ctx, from, Some(&src_uids), false)?;
    }
    // Junk training signal, in the same transaction (see `crate::junk`).
    if let Some((payload, expires)) = crate::junk::outbox_entry(&src, &dst, &mapping, ctx.now) {
        super::records::push(t, ctx.now, &payload, expires)?;
    }
    Ok(Copied {
        uid_validity: dst.uid_validity,
        mapping,
    })
}

// ---- reads ----------------------------------------------------------------------------------

pub fn list(
    txn: &ReadTransaction,
    mailbox: MailboxId,
    range: RangeInclusive<Uid>,
) -> StoreResult<Vec<MessageSummary>> {
    mailboxes::get_required(txn, mailbox)?;
    let table = txn.open_table(tables::SUMMARIES)?;
    let mut out = Vec::new();
    if range.start() > range.end() {
        return Ok(out);
    }
    for row in table.range((mailbox.0, range.start().0)..=(mailbox.0, range.end().0))? {
        out.push(dec(row?.1.value())?);
    }
    Ok(out)
}

pub fn get_many(
    txn: &ReadTransaction,
    mailbox: MailboxId,
    range: RangeInclusive<Uid>,
) -> StoreResult<Vec<StoredMessage>> {
    let summaries = list(txn, mailbox, range)?;
    let bodies = txn.open_table(tables::BODIES)?;
    let mut out = Vec::with_capacity(summaries.len());
    for summary in summaries {
        let body: MessageBody = load(&bodies, (mailbox.0, summary.uid.0))?.ok_or_else(|| {
            StoreError::Corrupt(format!("message {mailbox}/{} has no body", summary.uid))
        })?;
        out.push(StoredMessage {
            mailbox,
            summary,
            segments: body.segments,
            sha256: body.sha256,
            meta: body.meta,
        });
    }
    Ok(out)
}

pub fn get(
    txn: &ReadTransaction,
    mailbox: MailboxId,
    uid: Uid,
) -> StoreResult<Option<StoredMessage>> {
    Ok(get_many(txn, mailbox, uid..=uid)?.pop())
}
