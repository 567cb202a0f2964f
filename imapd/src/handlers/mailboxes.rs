//! CREATE (with USE, RFC 6154 §5.2), DELETE, RENAME (RFC 3501 §6.3.3-5), SUBSCRIBE and
//! UNSUBSCRIBE (§6.3.6-7).
//!
//! Invariants: missing parents are created on CREATE and RENAME (RFC 3501 §6.3.3 "SHOULD
//! create any superior hierarchical names"); INBOX is never deleted, and renaming it moves its
//! messages into the new mailbox and leaves INBOX empty (§6.3.5).

use super::{Exec, HResult, ok};
use crate::proto::command::{Create, Rename};
use crate::proto::mailbox::{RawMailbox, SEPARATOR};
use crate::proto::response::Code;
use crate::session::CommandError;
use eider_model::SpecialUse;
use eider_model::types::Uid;
use eider_store::StoreError;

/// Creates every missing ancestor of `path` (without special use).
async fn create_parents(ex: &Exec<'_>, path: &str) -> Result<(), StoreError> {
    let store = ex.store();
    let mut prefix = String::new();
    let levels: Vec<&str> = path.split(SEPARATOR).collect();
    for level in &levels[..levels.len().saturating_sub(1)] {
        if !prefix.is_empty() {
            prefix.push(SEPARATOR);
        }
        prefix.push_str(level);
        if store.find_mailbox(ex.user.id, &prefix).await?.is_none() {
            match store.create_mailbox(ex.user.id, &prefix, None).await {
                Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

pub async fn create(ex: &mut Exec<'_>, c: &Create) -> HResult {
    let path = ex.path(&c.mailbox)?;
    if path == "INBOX" {
        return Err(CommandError::no(Code::AlreadyExists, "INBOX always exists").into());
    }
    let special_use: Option<SpecialUse> = match c.special_use.as_slice() {
        [] => None,
        [one] => Some(*one),
        // One attribute per mailbox in our model (RFC 6154 §5.2 allows refusing).
        _ => {
            return Err(CommandError::no(Code::UseAttr, "Only one special use per mailbox").into());
        }
    };
    if ex.store().find_mailbox(ex.user.id, &path).await?.is_some() {
        return Err(CommandError::no(Code::AlreadyExists, "Mailbox already exists").into());
    }
    create_parents(ex, &path).await?;
    ex.store()
        .create_mailbox(ex.user.id, &path, special_use)
        .await?;
    ok("CREATE completed")
}

pub async fn delete(ex: &mut Exec<'_>, m: &RawMailbox) -> HResult {
    let path = ex.path(m)?;
    if path == "INBOX" {
        return Err(CommandError::no(Code::Cannot, "INBOX cannot be deleted").into());
    }
    let Some(mailbox) = ex.store().find_mailbox(ex.user.id, &path).await? else {
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    ex.store().delete_mailbox(mailbox.id).await?;
    ok("DELETE completed")
}

pub async fn rename(ex: &mut Exec<'_>, r: &Rename) -> HResult {
    let from = ex.path(&r.from)?;
    let to = ex.path(&r.to)?;
    let store = ex.store();
    let Some(source) = store.find_mailbox(ex.user.id, &from).await? else {
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    if store.find_mailbox(ex.user.id, &to).await?.is_some() {
        return Err(CommandError::no(Code::AlreadyExists, "Target mailbox exists").into());
    }
    if to == "INBOX" {
        return Err(CommandError::no(Code::Cannot, "Cannot rename into INBOX").into());
    }
    create_parents(ex, &to).await?;
    if from == "INBOX" {
        // RFC 3501 §6.3.5: all messages move to the new mailbox; INBOX stays, empty.
        let target = store.create_mailbox(ex.user.id, &to, None).await?;
        let uids: Vec<Uid> = store
            .list_messages(source.id, Uid(1)..=Uid(u32::MAX))
            .await?
            .iter()
            .map(|s| s.uid)
            .collect();
        for batch in uids.chunks(1000) {
            store.move_messages(source.id, batch, target.id).await?;
        }
    } else {
        store.rename_mailbox(source.id, &to).await?;
    }
    ok("RENAME completed")
}

pub async fn subscribe(ex: &mut Exec<'_>, m: &RawMailbox, on: bool) -> HResult {
    let path = ex.path(m)?;
    let Some(mailbox) = ex.store().find_mailbox(ex.user.id, &path).await? else {
        if !on {
            // Unsubscribing something that does not exist has nothing left to do.
            return ok("UNSUBSCRIBE completed");
        }
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    ex.store().set_subscribed(mailbox.id, on).await?;
    ok(if on {
        "SUBSCRIBE completed"
    } else {
        "UNSUBSCRIBE completed"
    })
}
