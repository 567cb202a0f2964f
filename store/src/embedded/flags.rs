//! `set_flags` of the embedded store and the flag arithmetic it uses.
//!
//! Keywords keep the case they were first set with and are matched case-insensitively
//! (RFC 3501 §2.3.2: flag names are case-insensitive).

use super::journal;
use super::mailboxes;
use super::messages::{load_summary, store_summary};
use super::tables::Tables;
use super::writer::Ctx;
use crate::error::StoreResult;
use crate::rules::apply_flags as apply;
use eider_model::types::{MailboxId, ModSeq, Uid};
use eider_model::{Change, FlagOp, Flags, FlagsChanged};

pub fn set_flags(
    t: &mut Tables<'_>,
    ctx: &mut Ctx,
    mailbox: MailboxId,
    uids: &[Uid],
    op: FlagOp,
    flags: &Flags,
    unchanged_since: Option<ModSeq>,
) -> StoreResult<FlagsChanged> {
    let mut mb = mailboxes::require(t, mailbox)?;
    let modseq = ModSeq(mb.highest_modseq.0 + 1);
    let mut uids = uids.to_vec();
    uids.sort_unstable();
    uids.dedup();
    let mut out = FlagsChanged::default();
    for uid in uids {
        let Some(mut summary) = load_summary(t, mailbox, uid)? else {
            continue;
        };
        // RFC 7162 §3.2: UNCHANGEDSINCE fails for messages modified after the given modseq.
        if unchanged_since.is_some_and(|since| summary.modseq > since) {
            out.modified.push(uid);
            continue;
        }
        let new = apply(&summary.flags, op, flags);
        if new == summary.flags {
            continue;
        }
        match (summary.flags.seen(), new.seen()) {
            (false, true) => mb.unseen = mb.unseen.saturating_sub(1),
            (true, false) => mb.unseen += 1,
            _ => {}
        }
        summary.flags = new.clone();
        summary.modseq = modseq;
        store_summary(t, mailbox, &summary)?;
        let n = u32::try_from(out.changed.len()).unwrap_or(u32::MAX);
        let change = Change::FlagsChanged {
            uid,
            flags: new.clone(),
        };
        journal::record(t, ctx, &mb, modseq, n, change)?;
        out.changed.push((uid, modseq, new));
    }
    if !out.changed.is_empty() {
        mb.highest_modseq = modseq;
        mailboxes::store(t, &mb)?;
    }
    Ok(out)
}
