//! Messages of the MongoDB store: append, expunge, copy, move, and reads.
//!
//! One document per message in `messages` (unique index and shard key `(mailbox, uid)`): the
//! summary fields, the distinct blobs it references, and the postcard-encoded body. Every write
//! here runs inside the caller's transaction and keeps the invariants of `eider_model`: mailbox
//! counters and the owner's usage move with each document, and each distinct blob of a message
//! holds one reference while the message exists.

use super::blobs;
use super::codec::{
    MessageBody, blobs_of, dec, flags_of, get_u32, get_u64, message_doc, n, summary_of,
};
use super::error::DbResult;
use super::journal;
use super::mailboxes;
use super::threads;
use super::txn::{Tx, find_all, find_one};
use super::users;
use crate::error::StoreError;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid};
use eider_model::{
    Appended, Change, Copied, Mailbox, MessageSummary, NewMessage, Segment, StoredMessage, User,
};
use mongodb::bson::{Document, doc};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

fn check_quota(user: &User, extra: u64) -> DbResult<()> {
    if user.quota > 0 && user.bytes_used.saturating_add(extra) > user.quota {
        return Err(StoreError::OverQuota.into());
    }
    Ok(())
}

/// `NotAllowed` unless `count` more UIDs fit in the mailbox.
fn check_uid_space(mb: &Mailbox, count: u64) -> DbResult<()> {
    if u64::from(mb.uid_next.0) + count > u64::from(u32::MAX) {
        let msg = format!("mailbox {} has no UIDs left", mb.path);
        return Err(StoreError::NotAllowed(msg).into());
    }
    Ok(())
}

fn uid_filter(mailbox: MailboxId, uids: &[Uid]) -> Document {
    let list: Vec<i64> = uids.iter().map(|u| i64::from(u.0)).collect();
    doc! {"mailbox": n(mailbox.0), "uid": {"$in": list}}
}

pub async fn append(tx: &mut Tx, mailbox: MailboxId, message: &NewMessage) -> DbResult<Appended> {
    let mb = mailboxes::require(tx, mailbox).await?;
    let user = users::require(tx, mb.user).await?;
    let total: u64 = message.segments.iter().map(Segment::encoded_len).sum();
    if total != message.size {
        return Err(StoreError::Invalid(format!(
            "message size {} but segments hold {total} bytes",
            message.size
        ))
        .into());
    }
    check_quota(&user, message.size)?;
    check_uid_space(&mb, 1)?;
    blobs::add_one_each(tx, &message.blobs()).await?;
    let thread = threads::assign(tx, user.id, &message.meta).await?;
    let unseen = i64::from(!message.flags.seen());
    let inc = doc! {
        "uid_next": 1i64, "modseq": 1i64, "messages": 1i64,
        "unseen": unseen, "size": n(message.size),
    };
    let before = mailboxes::bump(tx, mailbox, inc).await?;
    let uid = Uid(get_u32(&before, "uid_next")?);
    let modseq = ModSeq(get_u64(&before, "modseq")? + 1);
    let summary = MessageSummary {
        uid,
        modseq,
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
    tx.c.messages
        .insert_one(message_doc(mailbox, &summary, &body)?)
        .session(&mut tx.s)
        .await?;
    users::add_usage(tx, user.id, n(message.size)).await?;
    let change = Change::Added {
        uid,
        flags: summary.flags,
    };
    journal::record(tx, user.id, mailbox, modseq, 0, &change).await?;
    Ok(Appended {
        mailbox,
        uid_validity: mb.uid_validity,
        uid,
        modseq,
    })
}

pub async fn expunge(
    tx: &mut Tx,
    mailbox: MailboxId,
    uids: Option<&[Uid]>,
    only_deleted: bool,
) -> DbResult<Vec<Uid>> {
    let mb = mailboxes::require(tx, mailbox).await?;
    let filter = match uids {
        Some(list) => uid_filter(mailbox, list),
        None => doc! {"mailbox": n(mailbox.0)},
    };
    let projection = doc! {"uid": 1, "size": 1, "flags": 1, "blobs": 1};
    let docs = find_all(
        &mut tx.s,
        &tx.c.messages,
        filter,
        Some(doc! {"uid": 1}),
        Some(projection),
    )
    .await?;
    let mut removed = Vec::new();
    let (mut size, mut unseen) = (0u64, 0i64);
    let mut release: BTreeMap<BlobId, i64> = BTreeMap::new();
    for d in &docs {
        let flags = flags_of(d)?;
        if only_deleted && !flags.deleted() {
            continue;
        }
        removed.push(Uid(get_u32(d, "uid")?));
        size += get_u64(d, "size")?;
        unseen += i64::from(!flags.seen());
        for blob in blobs_of(d)? {
            *release.entry(blob).or_default() -= 1;
        }
    }
    if removed.is_empty() {
        return Ok(removed);
    }
    let count = removed.len() as i64;
    blobs::add_refs(tx, &release).await?;
    tx.c.messages
        .delete_many(uid_filter(mailbox, &removed))
        .session(&mut tx.s)
        .await?;
    let inc = doc! {"modseq": count, "messages": -count, "unseen": -unseen, "size": -n(size)};
    let before = mailboxes::bump(tx, mailbox, inc).await?;
    let first = get_u64(&before, "modseq")? + 1;
    users::add_usage(tx, mb.user, -n(size)).await?;
    for (i, uid) in (0u64..).zip(&removed) {
        let change = Change::Expunged { uid: *uid };
        journal::record(tx, mb.user, mailbox, ModSeq(first + i), 0, &change).await?;
    }
    Ok(removed)
}

/// Copies (and with `remove_source`, moves) messages between two mailboxes of one user.
pub async fn copy(
    tx: &mut Tx,
    from: MailboxId,
    uids: &[Uid],
    to: MailboxId,
    remove_source: bool,
) -> DbResult<Copied> {
    let src = mailboxes::require(tx, from).await?;
    let dst = mailboxes::require(tx, to).await?;
    if src.user != dst.user {
        return Err(StoreError::NotAllowed(
            "messages can only be copied between mailboxes of one user".into(),
        )
        .into());
    }
    let mut uids = uids.to_vec();
    uids.sort_unstable();
    uids.dedup();
    let sources = find_all(
        &mut tx.s,
        &tx.c.messages,
        uid_filter(from, &uids),
        Some(doc! {"uid": 1}),
        None,
    )
    .await?;
    let user = users::require(tx, src.user).await?;
    let mut total = 0u64;
    let mut unseen = 0i64;
    let mut refs: BTreeMap<BlobId, i64> = BTreeMap::new();
    for d in &sources {
        total += get_u64(d, "size")?;
        unseen += i64::from(!flags_of(d)?.seen());
        for blob in blobs_of(d)? {
            *refs.entry(blob).or_default() += 1;
        }
    }
    if !remove_source {
        check_quota(&user, total)?;
    }
    if sources.is_empty() {
        return Ok(Copied {
            uid_validity: dst.uid_validity,
            mapping: Vec::new(),
        });
    }
    let count = sources.len() as i64;
    check_uid_space(&dst, count as u64)?;
    blobs::add_refs(tx, &refs).await?;
    let inc = doc! {
        "uid_next": count, "modseq": count, "messages": count,
        "unseen": unseen, "size": n(total),
    };
    let before = mailboxes::bump(tx, to, inc).await?;
    let first_uid = get_u32(&before, "uid_next")?;
    let first_modseq = get_u64(&before, "modseq")? + 1;
    let mut mapping = Vec::with_capacity(sources.len());
    let mut docs = Vec::with_capacity(sources.len());
    let mut journal = Vec::with_capacity(sources.len());
    for (i, d) in (0u32..).zip(&sources) {
        let (uid, modseq) = (Uid(first_uid + i), ModSeq(first_modseq + u64::from(i)));
        mapping.push((Uid(get_u32(d, "uid")?), uid));
        let mut copy = d.clone();
        copy.remove("_id");
        copy.insert("mailbox", n(to.0));
        copy.insert("uid", i64::from(uid.0));
        copy.insert("modseq", n(modseq.0));
        journal.push((
            modseq,
            Change::Added {
                uid,
                flags: flags_of(d)?,
            },
        ));
        docs.push(copy);
    }
    tx.c.messages.insert_many(docs).session(&mut tx.s).await?;
    users::add_usage(tx, user.id, n(total)).await?;
    for (modseq, change) in &journal {
        journal::record(tx, user.id, to, *modseq, 0, change).await?;
    }
    if remove_source {
        let src_uids: Vec<Uid> = mapping.iter().map(|(s, _)| *s).collect();
        expunge(tx, from, Some(&src_uids), false).await?;
    }
    // Junk training signal, in the same transaction (see `crate::junk`).
    if let Some((payload, expires)) = crate::junk::outbox_entry(&src, &dst, &mapping, tx.now) {
        super::records::push(tx, payload, expires).await?;
    }
    Ok(Copied {
        uid_validity: dst.uid_validity,
        mapping,
    })
}

// ---- reads ------------------------------------------------------------------------------------

async fn require_exists(tx: &mut Tx, mailbox: MailboxId) -> DbResult<()> {
    let filter = doc! {"_id": n(mailbox.0)};
    match find_one(&mut tx.s, &tx.c.mailboxes, filter).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("mailbox {mailbox}")).into()),
    }
}

async fn range_docs(
    tx: &mut Tx,
    mailbox: MailboxId,
    range: &RangeInclusive<Uid>,
    projection: Option<Document>,
) -> DbResult<Vec<Document>> {
    require_exists(tx, mailbox).await?;
    if range.start() > range.end() {
        return Ok(Vec::new());
    }
    let filter = doc! {
        "mailbox": n(mailbox.0),
        "uid": {"$gte": i64::from(range.start().0), "$lte": i64::from(range.end().0)},
    };
    find_all(
        &mut tx.s,
        &tx.c.messages,
        filter,
        Some(doc! {"uid": 1}),
        projection,
    )
    .await
}

pub async fn list(
    tx: &mut Tx,
    mailbox: MailboxId,
    range: RangeInclusive<Uid>,
) -> DbResult<Vec<MessageSummary>> {
    let docs = range_docs(tx, mailbox, &range, Some(doc! {"body": 0, "blobs": 0})).await?;
    docs.iter().map(summary_of).collect()
}

pub async fn get_many(
    tx: &mut Tx,
    mailbox: MailboxId,
    range: RangeInclusive<Uid>,
) -> DbResult<Vec<StoredMessage>> {
    let docs = range_docs(tx, mailbox, &range, None).await?;
    docs.iter()
        .map(|d| {
            let body: MessageBody = dec(d, "body")?;
            Ok(StoredMessage {
                mailbox,
                summary: summary_of(d)?,
                segments: body.segments,
                sha256: body.sha256,
                meta: body.meta,
            })
        })
        .collect()
}
