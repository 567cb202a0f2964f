//! The reference store's message writes: `append`, `set_flags` and `expunge` of its
//! `MailStore` implementation.

use super::MemStore;
use super::state::*;
use eider_model::types::*;
use eider_model::*;
use eider_store::error::{StoreError, StoreResult};
use std::collections::BTreeSet;

impl MemStore {
    pub(super) fn mem_append(&self, mailbox: MailboxId, msg: NewMessage) -> StoreResult<Appended> {
        self.with(|s| {
            let mb = s.mb(mailbox)?.clone();
            s.fits(mb.user, msg.size)?;
            for b in msg.blobs() {
                if !s.blobs.contains_key(&b) {
                    return Err(StoreError::MissingBlob(b));
                }
            }
            // Own id first (a reply may have named it), then the ids it names; all are recorded.
            let linked: Vec<String> = msg
                .meta
                .message_id
                .iter()
                .chain(&msg.meta.in_reply_to)
                .chain(&msg.meta.references)
                .cloned()
                .collect();
            let found = linked
                .iter()
                .find_map(|id| s.threads.get(&(mb.user, id.clone())).copied());
            let thread = match found {
                Some(t) => t,
                None => ThreadId(s.id()),
            };
            for id in linked {
                s.threads.entry((mb.user, id)).or_insert(thread);
            }
            let stored = StoredMessage {
                mailbox,
                summary: MessageSummary {
                    uid: Uid(0),
                    modseq: ModSeq(0),
                    flags: msg.flags,
                    internal_date: msg.internal_date,
                    internal_tz_minutes: msg.internal_tz_minutes,
                    size: msg.size,
                    thread,
                },
                segments: msg.segments,
                sha256: msg.sha256,
                meta: msg.meta,
            };
            let (uid, modseq) = s.insert_msg(mailbox, stored);
            Ok(Appended {
                mailbox,
                uid_validity: mb.uid_validity,
                uid,
                modseq,
            })
        })
    }

    pub(super) fn mem_set_flags(
        &self,
        mailbox: MailboxId,
        uids: &[Uid],
        op: FlagOp,
        flags: &Flags,
        since: Option<ModSeq>,
    ) -> StoreResult<FlagsChanged> {
        self.with(|s| {
            s.mb(mailbox)?;
            let mut out = FlagsChanged::default();
            let mut todo = Vec::new();
            for uid in uids.iter().copied().collect::<BTreeSet<_>>() {
                let Some(m) = s.msgs.get(&(mailbox, uid)) else {
                    continue;
                };
                if since.is_some_and(|ms| m.summary.modseq > ms) {
                    out.modified.push(uid);
                    continue;
                }
                let new = apply_flags(op, &m.summary.flags, flags);
                if new != m.summary.flags {
                    todo.push((uid, new));
                }
            }
            if todo.is_empty() {
                return Ok(out);
            }
            let b = s.boxes.get_mut(&mailbox).expect("box");
            b.highest_modseq = ModSeq(b.highest_modseq.0 + 1);
            let modseq = b.highest_modseq;
            let user = b.user;
            for (uid, new) in todo {
                let m = s.msgs.get_mut(&(mailbox, uid)).expect("msg");
                let b = s.boxes.get_mut(&mailbox).expect("box");
                match (m.summary.flags.seen(), new.seen()) {
                    (true, false) => b.unseen += 1,
                    (false, true) => b.unseen -= 1,
                    _ => {}
                }
                m.summary.flags = new.clone();
                m.summary.modseq = modseq;
                s.journal.entry(mailbox).or_default().push(JournalEntry {
                    mailbox,
                    modseq,
                    at: now(),
                    change: Change::FlagsChanged {
                        uid,
                        flags: new.clone(),
                    },
                });
                out.changed.push((uid, modseq, new));
            }
            s.events.push(StoreEvent {
                user,
                mailbox,
                modseq,
            });
            Ok(out)
        })
    }

    pub(super) fn mem_expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>> {
        self.with(|s| {
            s.mb(mailbox)?;
            let gone: Vec<Uid> = s
                .msgs
                .range((mailbox, Uid(0))..=(mailbox, Uid(u32::MAX)))
                .filter(|(k, m)| {
                    uids.is_none_or(|l| l.contains(&k.1))
                        && (!only_deleted || m.summary.flags.deleted())
                })
                .map(|(k, _)| k.1)
                .collect();
            for uid in &gone {
                s.remove_msg(mailbox, *uid);
            }
            Ok(gone)
        })
    }
}
