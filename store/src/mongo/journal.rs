//! The per-mailbox change journal of the MongoDB store (collection `journal`).
//!
//! One document per change: `{mailbox, modseq, n, at, change}` where `n` numbers the entries
//! sharing one modseq (a `set_flags` call over many messages), `at` is a BSON date (the TTL index
//! prunes on it) and `change` the postcard-encoded [`Change`]. Written in the transaction that
//! makes the change, so the journal never disagrees with the data.

use super::codec::{corrupt, dec, enc, get_u64, n};
use super::error::DbResult;
use super::txn::{Tx, find_all};
use eider_model::types::{MailboxId, ModSeq, UnixTime, UserId};
use eider_model::{Change, JournalEntry, StoreEvent};
use mongodb::bson::{Bson, DateTime, doc};

fn date(at: UnixTime) -> DateTime {
    DateTime::from_millis(at.saturating_mul(1000))
}

/// Journals `change` of `mailbox` (owned by `user`) under `modseq` / `n` and queues the event.
pub async fn record(
    tx: &mut Tx,
    user: UserId,
    mailbox: MailboxId,
    modseq: ModSeq,
    seq: u32,
    change: &Change,
) -> DbResult<()> {
    let d = doc! {
        "mailbox": n(mailbox.0),
        "modseq": n(modseq.0),
        "n": i64::from(seq),
        "at": date(tx.now),
        "change": enc(change)?,
    };
    tx.c.journal.insert_one(d).session(&mut tx.s).await?;
    tx.event(StoreEvent {
        user,
        mailbox,
        modseq,
    });
    Ok(())
}

/// Removes all entries of a mailbox (when it is deleted).
pub async fn remove_mailbox(tx: &mut Tx, mailbox: MailboxId) -> DbResult<()> {
    tx.c.journal
        .delete_many(doc! {"mailbox": n(mailbox.0)})
        .session(&mut tx.s)
        .await?;
    Ok(())
}

/// Removes entries written before `before`; returns how many.
pub async fn prune(tx: &mut Tx, before: UnixTime) -> DbResult<u64> {
    let r =
        tx.c.journal
            .delete_many(doc! {"at": {"$lt": date(before)}})
            .session(&mut tx.s)
            .await?;
    Ok(r.deleted_count)
}

pub async fn changes_since(
    tx: &mut Tx,
    mailbox: MailboxId,
    since: ModSeq,
) -> DbResult<Vec<JournalEntry>> {
    let filter = doc! {"mailbox": n(mailbox.0), "modseq": {"$gt": n(since.0)}};
    let sort = doc! {"modseq": 1, "n": 1};
    let docs = find_all(&mut tx.s, &tx.c.journal, filter, Some(sort), None).await?;
    docs.iter()
        .map(|d| {
            let at = match d.get("at") {
                Some(Bson::DateTime(t)) => t.timestamp_millis().div_euclid(1000),
                other => return Err(corrupt(format!("journal date {other:?}"))),
            };
            Ok(JournalEntry {
                mailbox,
                modseq: ModSeq(get_u64(d, "modseq")?),
                at,
                change: dec(d, "change")?,
            })
        })
        .collect()
}
