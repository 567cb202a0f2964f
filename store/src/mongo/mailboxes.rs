//! Mailboxes of the MongoDB store: creation, rename, deletion, attributes and lookups.
//!
//! A mailbox is two documents with the same `_id`: its attributes in `mailboxes` (unique index
//! `(user, path)`) and its counters in `mailbox_counters` (`uid_next`, `modseq`, `messages`,
//! `unseen`, `size`), created together. Every change that needs a UID or MODSEQ takes it from the
//! counter document with `findOneAndUpdate` + `$inc` inside the change's transaction. Paths are
//! checked and `INBOX` canonicalised exactly as the embedded backend does.

use super::blobs;
use super::codec::{counters_doc, get_u64, mailbox_doc, mailbox_of, n};
use super::error::{DbResult, corrupt_missing};
use super::journal;
use super::txn::{Tx, find_all, find_one};
use super::users::{self, dup_as};
use crate::error::StoreError;
use crate::rules::{INBOX, normalize_path};
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid, UidValidity, UserId};
use eider_model::{Change, Mailbox, SpecialUse, StoreEvent};
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use std::collections::BTreeMap;

/// Creates a mailbox with pre-allocated `id` and `uid_validity`; journals `MailboxCreated` at 1.
pub async fn insert(
    tx: &mut Tx,
    user: UserId,
    path: &str,
    special_use: Option<SpecialUse>,
    id: MailboxId,
    uid_validity: UidValidity,
) -> DbResult<Mailbox> {
    users::require(tx, user).await?;
    let path = normalize_path(path)?;
    let key = doc! {"user": n(user.0), "path": &path};
    if find_one(&mut tx.s, &tx.c.mailboxes, key).await?.is_some() {
        return Err(StoreError::AlreadyExists(format!("mailbox {path}")).into());
    }
    let mailbox = Mailbox {
        id,
        user,
        path: path.clone(),
        special_use,
        uid_validity,
        uid_next: Uid(1),
        highest_modseq: ModSeq(1),
        subscribed: true,
        retention_days: None,
        messages: 0,
        unseen: 0,
        size: 0,
    };
    tx.c.mailboxes
        .insert_one(mailbox_doc(&mailbox))
        .session(&mut tx.s)
        .await
        .map_err(|e| dup_as(e, format!("mailbox {path}")))?;
    tx.c.mailbox_counters
        .insert_one(counters_doc(&mailbox))
        .session(&mut tx.s)
        .await?;
    let change = Change::MailboxCreated { path };
    journal::record(tx, user, id, ModSeq(1), 0, &change).await?;
    Ok(mailbox)
}

async fn counters(tx: &mut Tx, id: MailboxId) -> DbResult<Document> {
    find_one(&mut tx.s, &tx.c.mailbox_counters, doc! {"_id": n(id.0)})
        .await?
        .ok_or_else(|| corrupt_missing(format!("counters of mailbox {id}")))
}

pub async fn get(tx: &mut Tx, id: MailboxId) -> DbResult<Option<Mailbox>> {
    let Some(d) = find_one(&mut tx.s, &tx.c.mailboxes, doc! {"_id": n(id.0)}).await? else {
        return Ok(None);
    };
    let c = counters(tx, id).await?;
    Ok(Some(mailbox_of(&d, &c)?))
}

/// Like [`get`] but `NotFound` when absent.
pub async fn require(tx: &mut Tx, id: MailboxId) -> DbResult<Mailbox> {
    get(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("mailbox {id}")).into())
}

/// Applies `inc` to a mailbox's counters and returns them as they were before.
pub async fn bump(tx: &mut Tx, id: MailboxId, inc: Document) -> DbResult<Document> {
    tx.c.mailbox_counters
        .find_one_and_update(doc! {"_id": n(id.0)}, doc! {"$inc": inc})
        .return_document(ReturnDocument::Before)
        .session(&mut tx.s)
        .await?
        .ok_or_else(|| corrupt_missing(format!("counters of mailbox {id}")))
}

/// Allocates the next MODSEQ of a mailbox.
pub async fn next_modseq(tx: &mut Tx, id: MailboxId) -> DbResult<ModSeq> {
    let before = bump(tx, id, doc! {"modseq": 1i64}).await?;
    Ok(ModSeq(get_u64(&before, "modseq")? + 1))
}

pub async fn list(tx: &mut Tx, user: UserId) -> DbResult<Vec<Mailbox>> {
    let docs = find_all(
        &mut tx.s,
        &tx.c.mailboxes,
        doc! {"user": n(user.0)},
        Some(doc! {"path": 1}),
        None,
    )
    .await?;
    let ids: Vec<Bson> = docs.iter().filter_map(|d| d.get("_id").cloned()).collect();
    let filter = doc! {"_id": {"$in": ids}};
    let mut counters = BTreeMap::new();
    for c in find_all(&mut tx.s, &tx.c.mailbox_counters, filter, None, None).await? {
        counters.insert(get_u64(&c, "_id")?, c);
    }
    let mut out = Vec::with_capacity(docs.len());
    for d in &docs {
        let id = get_u64(d, "_id")?;
        let c = counters
            .get(&id)
            .ok_or_else(|| corrupt_missing(format!("counters of mailbox {id}")))?;
        out.push(mailbox_of(d, c)?);
    }
    Ok(out)
}

pub async fn ids_of_user(tx: &mut Tx, user: UserId) -> DbResult<Vec<MailboxId>> {
    let docs = find_all(
        &mut tx.s,
        &tx.c.mailboxes,
        doc! {"user": n(user.0)},
        Some(doc! {"path": 1}),
        Some(doc! {"_id": 1}),
    )
    .await?;
    docs.iter()
        .map(|d| Ok(MailboxId(get_u64(d, "_id")?)))
        .collect()
}

pub async fn find(tx: &mut Tx, user: UserId, path: &str) -> DbResult<Option<Mailbox>> {
    let Ok(path) = normalize_path(path) else {
        return Ok(None);
    };
    let key = doc! {"user": n(user.0), "path": path};
    let Some(d) = find_one(&mut tx.s, &tx.c.mailboxes, key).await? else {
        return Ok(None);
    };
    let id = MailboxId(get_u64(&d, "_id")?);
    let c = counters(tx, id).await?;
    Ok(Some(mailbox_of(&d, &c)?))
}

pub async fn rename(tx: &mut Tx, id: MailboxId, new_path: &str) -> DbResult<()> {
    let mailbox = require(tx, id).await?;
    if mailbox.path == INBOX {
        return Err(StoreError::NotAllowed("INBOX cannot be renamed".into()).into());
    }
    let new_path = normalize_path(new_path)?;
    if new_path == mailbox.path {
        return Err(StoreError::AlreadyExists(format!("mailbox {new_path}")).into());
    }
    let old_prefix = format!("{}/", mailbox.path);
    if new_path.starts_with(&old_prefix) {
        let msg = format!("cannot move {} into itself", mailbox.path);
        return Err(StoreError::NotAllowed(msg).into());
    }
    let user = mailbox.user;
    let mut moving = Vec::new();
    let mut taken = BTreeMap::new();
    for d in find_all(
        &mut tx.s,
        &tx.c.mailboxes,
        doc! {"user": n(user.0)},
        Some(doc! {"path": 1}),
        None,
    )
    .await?
    {
        let path = d.get_str("path")?.to_string();
        let mb = get_u64(&d, "_id")?;
        if path == mailbox.path || path.starts_with(&old_prefix) {
            let target = format!("{new_path}{}", &path[mailbox.path.len()..]);
            moving.push((path, target, MailboxId(mb)));
        } else {
            taken.insert(path, mb);
        }
    }
    if let Some((_, target, _)) = moving.iter().find(|(_, t, _)| taken.contains_key(t)) {
        return Err(StoreError::AlreadyExists(format!("mailbox {target}")).into());
    }
    // Two passes, so that paths freed by this very rename can be reused by it without tripping
    // the unique (user, path) index on the way.
    for (_, _, mb) in &moving {
        let parked = format!("\u{0}rename\u{0}{}", mb.0);
        set_fields(tx, *mb, doc! {"path": parked}).await?;
    }
    for (old, target, mb) in moving {
        set_fields(tx, mb, doc! {"path": &target}).await?;
        let modseq = next_modseq(tx, mb).await?;
        let change = Change::MailboxRenamed {
            from: old,
            to: target,
        };
        journal::record(tx, user, mb, modseq, 0, &change).await?;
    }
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: MailboxId) -> DbResult<()> {
    let mailbox = require(tx, id).await?;
    if mailbox.path == INBOX {
        return Err(StoreError::NotAllowed("INBOX cannot be deleted".into()).into());
    }
    remove(tx, id).await
}

/// Deletes a mailbox with its messages and journal, releasing blob references and the owner's
/// usage (no INBOX check: also used by `delete_user`).
pub async fn remove(tx: &mut Tx, id: MailboxId) -> DbResult<()> {
    let mailbox = require(tx, id).await?;
    let docs = find_all(
        &mut tx.s,
        &tx.c.messages,
        doc! {"mailbox": n(id.0)},
        None,
        Some(doc! {"size": 1, "blobs": 1}),
    )
    .await?;
    let mut release: BTreeMap<BlobId, i64> = BTreeMap::new();
    let mut size = 0u64;
    for d in &docs {
        size += get_u64(d, "size")?;
        for blob in super::codec::blobs_of(d)? {
            *release.entry(blob).or_default() -= 1;
        }
    }
    blobs::add_refs(tx, &release).await?;
    tx.c.messages
        .delete_many(doc! {"mailbox": n(id.0)})
        .session(&mut tx.s)
        .await?;
    users::add_usage(tx, mailbox.user, -n(size)).await?;
    journal::remove_mailbox(tx, id).await?;
    tx.c.mailbox_counters
        .delete_one(doc! {"_id": n(id.0)})
        .session(&mut tx.s)
        .await?;
    tx.c.mailboxes
        .delete_one(doc! {"_id": n(id.0)})
        .session(&mut tx.s)
        .await?;
    tx.event(StoreEvent {
        user: mailbox.user,
        mailbox: id,
        modseq: ModSeq(mailbox.highest_modseq.0 + 1),
    });
    Ok(())
}

/// Sets attribute fields that carry no modseq (subscription, special use, retention).
pub async fn set_fields(tx: &mut Tx, id: MailboxId, set: Document) -> DbResult<()> {
    let r =
        tx.c.mailboxes
            .update_one(doc! {"_id": n(id.0)}, doc! {"$set": set})
            .session(&mut tx.s)
            .await?;
    if r.matched_count == 0 {
        return Err(StoreError::NotFound(format!("mailbox {id}")).into());
    }
    Ok(())
}
