//! The per-mailbox change journal of the embedded store.
//!
//! Every change to a mailbox is written under `(mailbox, modseq, n)` in the same transaction that
//! makes it, plus a `(at, mailbox, modseq, n)` row in `journal_time` so pruning by age needs no
//! scan. `n` numbers the entries sharing one modseq (a `set_flags` call over many messages).

use super::tables::{self, Tables, dec, enc};
use super::writer::Ctx;
use crate::error::StoreResult;
use eider_model::types::{MailboxId, ModSeq, UnixTime};
use eider_model::{Change, JournalEntry, Mailbox, StoreEvent};
use redb::{ReadTransaction, ReadableTable};

/// Journals `change` under `modseq` (entry number `n` within it) and queues the wake-up event.
pub fn record(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    mailbox: &Mailbox,
    modseq: ModSeq,
    n: u32,
    change: Change,
) -> StoreResult<()> {
    let entry = JournalEntry {
        mailbox: mailbox.id,
        modseq,
        at: ctx.now,
        change,
    };
    t.journal
        .insert((mailbox.id.0, modseq.0, n), enc(&entry)?.as_slice())?;
    t.journal_time
        .insert((ctx.now, mailbox.id.0, modseq.0, n), ())?;
    let event = StoreEvent {
        user: mailbox.user,
        mailbox: mailbox.id,
        modseq,
    };
    // One event per (mailbox, modseq) is enough: the journal carries the details.
    if ctx.events.last() != Some(&event) {
        ctx.event(event);
    }
    Ok(())
}

/// Removes all journal entries of a mailbox (when it is deleted).
pub fn remove_mailbox(t: &mut Tables<'_>, mailbox: MailboxId) -> StoreResult<()> {
    let mut keys = Vec::new();
    for row in t
        .journal
        .range((mailbox.0, 0, 0)..=(mailbox.0, u64::MAX, u32::MAX))?
    {
        let (k, v) = row?;
        let entry: JournalEntry = dec(v.value())?;
        keys.push((k.value(), entry.at));
    }
    for ((mb, modseq, n), at) in keys {
        t.journal.remove((mb, modseq, n))?;
        t.journal_time.remove((at, mb, modseq, n))?;
    }
    Ok(())
}

/// Removes entries written before `before`; returns how many.
pub fn prune(t: &mut Tables<'_>, before: UnixTime) -> StoreResult<u64> {
    let mut keys = Vec::new();
    for row in t
        .journal_time
        .range((i64::MIN, 0, 0, 0)..(before, 0, 0, 0))?
    {
        keys.push(row?.0.value());
    }
    for (at, mb, modseq, n) in &keys {
        t.journal.remove((*mb, *modseq, *n))?;
        t.journal_time.remove((*at, *mb, *modseq, *n))?;
    }
    Ok(keys.len() as u64)
}

pub fn changes_since(
    txn: &ReadTransaction,
    mailbox: MailboxId,
    since: ModSeq,
) -> StoreResult<Vec<JournalEntry>> {
    let table = txn.open_table(tables::JOURNAL)?;
    let mut out = Vec::new();
    let Some(start) = since.0.checked_add(1) else {
        return Ok(out);
    };
    for row in table.range((mailbox.0, start, 0)..=(mailbox.0, u64::MAX, u32::MAX))? {
        out.push(dec(row?.1.value())?);
    }
    Ok(out)
}
