//! Mailboxes of the embedded store: creation, rename, deletion, attributes and lookups.
//!
//! Invariants: `mailbox_paths` has exactly one `(user, path)` row per mailbox; `INBOX` is stored
//! spelled so (any case of the first path component `inbox` is canonicalised); UIDVALIDITY comes
//! from the `uidvalidity` counter, which is strictly increasing and at least the current time, so
//! a mailbox re-created under the same name never reuses an old value.

use super::journal;
use super::messages;
use super::tables::{self, Tables, dec, enc, load};
use super::users;
use super::writer::Ctx;
use crate::error::{StoreError, StoreResult};
use crate::rules::{INBOX, normalize_path};
use eider_model::types::{MailboxId, ModSeq, Uid, UidValidity, UserId};
use eider_model::{Change, Mailbox, SpecialUse};
use redb::{ReadTransaction, ReadableTable};

pub fn require(t: &Tables<'_>, id: MailboxId) -> StoreResult<Mailbox> {
    load(&t.mailboxes, id.0)?.ok_or_else(|| StoreError::NotFound(format!("mailbox {id}")))
}

pub fn store(t: &mut Tables<'_>, mailbox: &Mailbox) -> StoreResult<()> {
    t.mailboxes.insert(mailbox.id.0, enc(mailbox)?.as_slice())?;
    Ok(())
}

fn next_uid_validity(t: &mut Tables<'_>, ctx: &Ctx) -> StoreResult<UidValidity> {
    let last = t.meta.get("uidvalidity")?.map(|g| g.value()).unwrap_or(0);
    let now = u64::try_from(ctx.now).unwrap_or(0).min(u64::from(u32::MAX));
    let next = last.saturating_add(1).max(now);
    let value = u32::try_from(next)
        .map_err(|_| StoreError::Internal("UIDVALIDITY space exhausted".into()))?;
    t.meta.insert("uidvalidity", next)?;
    Ok(UidValidity(value))
}

pub fn create(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    user: UserId,
    path: &str,
    special_use: Option<SpecialUse>,
) -> StoreResult<Mailbox> {
    users::require(t, user)?;
    let path = normalize_path(path)?;
    if t.mailbox_paths.get((user.0, path.as_str()))?.is_some() {
        return Err(StoreError::AlreadyExists(format!("mailbox {path}")));
    }
    let id = MailboxId(t.next_id("mailbox")?);
    let mailbox = Mailbox {
        id,
        user,
        path: path.clone(),
        special_use,
        uid_validity: next_uid_validity(t, ctx)?,
        uid_next: Uid(1),
        highest_modseq: ModSeq(1),
        subscribed: true,
        retention_days: None,
        messages: 0,
        unseen: 0,
        size: 0,
    };
    store(t, &mailbox)?;
    t.mailbox_paths.insert((user.0, path.as_str()), id.0)?;
    journal::record(
        t,
        ctx,
        &mailbox,
        ModSeq(1),
        0,
        Change::MailboxCreated { path },
    )?;
    Ok(mailbox)
}

pub fn rename(t: &mut Tables<'_>, ctx: &mut Ctx, id: MailboxId, new_path: &str) -> StoreResult<()> {
    let mailbox = require(t, id)?;
    if mailbox.path == INBOX {
        return Err(StoreError::NotAllowed("INBOX cannot be renamed".into()));
    }
    let new_path = normalize_path(new_path)?;
    if new_path == mailbox.path {
        return Err(StoreError::AlreadyExists(format!("mailbox {new_path}")));
    }
    let old_prefix = format!("{}/", mailbox.path);
    if new_path.starts_with(&old_prefix) {
        return Err(StoreError::NotAllowed(format!(
            "cannot move {} into itself",
            mailbox.path
        )));
    }
    let user = mailbox.user;
    let mut moving = Vec::new();
    for row in t.mailbox_paths.range((user.0, "")..(user.0 + 1, ""))? {
        let (k, v) = row?;
        let path = k.value().1;
        if path == mailbox.path || path.starts_with(&old_prefix) {
            let target = format!("{new_path}{}", &path[mailbox.path.len()..]);
            moving.push((path.to_string(), target, v.value()));
        }
    }
    // Remove first, so that paths freed by this very rename can be reused by it.
    for (old, _, _) in &moving {
        t.mailbox_paths.remove((user.0, old.as_str()))?;
    }
    for (old, target, mb_id) in moving {
        if t.mailbox_paths.get((user.0, target.as_str()))?.is_some() {
            return Err(StoreError::AlreadyExists(format!("mailbox {target}")));
        }
        t.mailbox_paths.insert((user.0, target.as_str()), mb_id)?;
        let mut mb = require(t, MailboxId(mb_id))?;
        mb.path = target.clone();
        mb.highest_modseq = ModSeq(mb.highest_modseq.0 + 1);
        store(t, &mb)?;
        let change = Change::MailboxRenamed {
            from: old,
            to: target,
        };
        journal::record(t, ctx, &mb, mb.highest_modseq, 0, change)?;
    }
    Ok(())
}

pub fn delete(t: &mut Tables<'_>, ctx: &mut Ctx, id: MailboxId) -> StoreResult<()> {
    let mailbox = require(t, id)?;
    if mailbox.path == INBOX {
        return Err(StoreError::NotAllowed("INBOX cannot be deleted".into()));
    }
    remove(t, ctx, id)
}

/// Deletes a mailbox with its messages and journal (no INBOX check: also used by delete_user).
pub fn remove(t: &mut Tables<'_>, ctx: &mut Ctx, id: MailboxId) -> StoreResult<()> {
    let mut mailbox = require(t, id)?;
    let mut user = users::require(t, mailbox.user)?;
    for uid in messages::uids(&t.summaries, id)? {
        messages::remove_record(t, &mut mailbox, &mut user, uid)?;
    }
    users::store(t, &user)?;
    journal::remove_mailbox(t, id)?;
    t.mailbox_paths
        .remove((mailbox.user.0, mailbox.path.as_str()))?;
    t.mailboxes.remove(id.0)?;
    ctx.event(eider_model::StoreEvent {
        user: mailbox.user,
        mailbox: id,
        modseq: ModSeq(mailbox.highest_modseq.0 + 1),
    });
    Ok(())
}

/// Changes a mailbox attribute that carries no modseq (subscription, special use, retention).
pub fn update(t: &mut Tables<'_>, id: MailboxId, f: impl FnOnce(&mut Mailbox)) -> StoreResult<()> {
    let mut mailbox = require(t, id)?;
    f(&mut mailbox);
    store(t, &mailbox)
}

pub fn ids_of_user(
    table: &impl ReadableTable<(u64, &'static str), u64>,
    user: UserId,
) -> StoreResult<Vec<MailboxId>> {
    Ok(table
        .range((user.0, "")..(user.0 + 1, ""))?
        .map(|r| r.map(|(_, v)| MailboxId(v.value())))
        .collect::<Result<_, _>>()?)
}

// ---- reads ----------------------------------------------------------------------------------

pub fn get(txn: &ReadTransaction, id: MailboxId) -> StoreResult<Option<Mailbox>> {
    load(&txn.open_table(tables::MAILBOXES)?, id.0)
}

/// Like [`get`] but `NotFound` when absent.
pub fn get_required(txn: &ReadTransaction, id: MailboxId) -> StoreResult<Mailbox> {
    get(txn, id)?.ok_or_else(|| StoreError::NotFound(format!("mailbox {id}")))
}

pub fn list(txn: &ReadTransaction, user: UserId) -> StoreResult<Vec<Mailbox>> {
    let ids = ids_of_user(&txn.open_table(tables::MAILBOX_PATHS)?, user)?;
    let table = txn.open_table(tables::MAILBOXES)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(g) = table.get(id.0)? {
            out.push(dec(g.value())?);
        }
    }
    Ok(out)
}

pub fn find(txn: &ReadTransaction, user: UserId, path: &str) -> StoreResult<Option<Mailbox>> {
    let Ok(path) = normalize_path(path) else {
        return Ok(None);
    };
    let paths = txn.open_table(tables::MAILBOX_PATHS)?;
    let Some(id) = paths.get((user.0, path.as_str()))? else {
        return Ok(None);
    };
    get(txn, MailboxId(id.value()))
}
