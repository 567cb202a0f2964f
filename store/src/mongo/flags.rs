//! `set_flags` of the MongoDB store. Flag arithmetic is the embedded backend's
//! (`crate::rules::apply_flags`), so both backends agree on keyword case rules.

use super::codec::{flags_doc, flags_of, get_u32, get_u64, n};
use super::error::DbResult;
use super::journal;
use super::mailboxes;
use super::txn::{Tx, find_all};
use crate::rules::apply_flags;
use eider_model::types::{MailboxId, ModSeq, Uid};
use eider_model::{Change, FlagOp, Flags, FlagsChanged};
use mongodb::bson::doc;

pub async fn set_flags(
    tx: &mut Tx,
    mailbox: MailboxId,
    uids: &[Uid],
    op: FlagOp,
    flags: &Flags,
    unchanged_since: Option<ModSeq>,
) -> DbResult<FlagsChanged> {
    let mb = mailboxes::require(tx, mailbox).await?;
    let list: Vec<i64> = uids.iter().map(|u| i64::from(u.0)).collect();
    let filter = doc! {"mailbox": n(mailbox.0), "uid": {"$in": list}};
    let projection = doc! {"uid": 1, "modseq": 1, "flags": 1};
    let docs = find_all(
        &mut tx.s,
        &tx.c.messages,
        filter,
        Some(doc! {"uid": 1}),
        Some(projection),
    )
    .await?;
    let mut out = FlagsChanged::default();
    let mut todo = Vec::new();
    let mut unseen = 0i64;
    for d in &docs {
        let uid = Uid(get_u32(d, "uid")?);
        // RFC 7162 §3.2: UNCHANGEDSINCE fails for messages modified after the given modseq.
        if unchanged_since.is_some_and(|since| ModSeq(get_u64(d, "modseq").unwrap_or(0)) > since) {
            out.modified.push(uid);
            continue;
        }
        let current = flags_of(d)?;
        let new = apply_flags(&current, op, flags);
        if new == current {
            continue;
        }
        match (current.seen(), new.seen()) {
            (false, true) => unseen -= 1,
            (true, false) => unseen += 1,
            _ => {}
        }
        todo.push((uid, new));
    }
    if todo.is_empty() {
        return Ok(out);
    }
    let before = mailboxes::bump(tx, mailbox, doc! {"modseq": 1i64, "unseen": unseen}).await?;
    let modseq = ModSeq(get_u64(&before, "modseq")? + 1);
    for (seq, (uid, new)) in (0u32..).zip(todo) {
        tx.c.messages
            .update_one(
                doc! {"mailbox": n(mailbox.0), "uid": i64::from(uid.0)},
                doc! {"$set": {"flags": flags_doc(&new), "modseq": n(modseq.0)}},
            )
            .session(&mut tx.s)
            .await?;
        let change = Change::FlagsChanged {
            uid,
            flags: new.clone(),
        };
        journal::record(tx, mb.user, mailbox, modseq, seq, &change).await?;
        out.changed.push((uid, modseq, new));
    }
    Ok(out)
}
