//! The selected-mailbox view of one IMAP session (sans-I/O: it is fed store data, never calls it).
//!
//! Owns the message sequence numbers as the *client* knows them, the seq ↔ UID mapping, the
//! session's `\Recent` set (see [`recent`]), and the queue of changes made elsewhere that the
//! client has not been told about yet.
//!
//! Invariants:
//! - `uids` is strictly ascending; message `n` (1-based) is `uids[n - 1]`. A message expunged in
//!   the store keeps its sequence number until its EXPUNGE response is sent (RFC 3501 §7.4.1), so
//!   `uids` still holds it and `expunged` marks it.
//! - `added` holds UIDs appended elsewhere and not yet announced with EXISTS; all are above
//!   every UID in `uids`, ascending.
//! - Journal entries at or below `highest_modseq` were already applied; applying is idempotent.
//!
//! Typical use: after SELECT read the mailbox record *first*, then its summaries, and
//! [`SelectedView::open`]; before each tagged response call the store's `changes_since(
//! view.highest_modseq())`, [`SelectedView::apply`] the entries and send
//! [`SelectedView::pending`] with [`expunge_allowed`] for the running command.

mod encode;
pub mod recent;

use crate::proto::SequenceSet;
use crate::proto::seqset::SeqBound;
use eider_model::types::{MailboxId, ModSeq, Uid, UidValidity};
use eider_model::{Change, Flags, JournalEntry, Mailbox, MessageSummary};
use recent::RecentRegistry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// One untagged status update for the client, in the order it must be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// `* n EXPUNGE`; `n` is valid at the moment it is sent (earlier EXPUNGEs already applied).
    Expunge(u32),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* seq FETCH (UID uid FLAGS (flags [\Recent]) MODSEQ (modseq))` for a change made by
    /// another session. The encoder adds `\Recent` when `recent`, and MODSEQ only when CONDSTORE
    /// is enabled (RFC 7162 §3.2).
    Fetch {
        seq: u32,
        uid: Uid,
        flags: Flags,
        recent: bool,
        modseq: ModSeq,
    },
}

/// A message sequence number beyond the last message (RFC 3501 §9: the client must not send
/// one); the command is answered `BAD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid message sequence number")]
pub struct BadSequence;

/// What [`SelectedView::apply`] noticed beyond message changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The mailbox was deleted: the session should leave the selected state (e.g. `* BYE`).
    pub mailbox_deleted: bool,
}

/// RFC 3501 §7.4.1: EXPUNGE must not be sent while responding to FETCH, STORE or SEARCH (nor
/// when no command is in progress); the UID forms are different commands and may get it. SORT
/// and THREAD (RFC 5256) also answer with sequence numbers, so they are treated like SEARCH.
/// `command` is the command name (any case), `uid` whether it came with the `UID` prefix.
pub fn expunge_allowed(command: &str, uid: bool) -> bool {
    if uid {
        return true;
    }
    !["FETCH", "STORE", "SEARCH", "SORT", "THREAD"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(command))
}

/// The selected mailbox as one session sees it.
#[derive(Debug)]
pub struct SelectedView {
    mailbox: MailboxId,
    uid_validity: UidValidity,
    read_only: bool,
    registry: Arc<RecentRegistry>,
    seed: Uid,
    uids: Vec<Uid>,
    expunged: BTreeSet<Uid>,
    added: Vec<Uid>,
    recent: HashSet<Uid>,
    flag_changes: BTreeMap<Uid, (Flags, ModSeq)>,
    /// Flag changes this session made and already reported itself (STORE's own FETCH
    /// responses): the matching journal entry must not be echoed back.
    own_changes: HashMap<Uid, ModSeq>,
    highest_modseq: ModSeq,
}

impl SelectedView {
    /// Builds the view after SELECT (`read_only: false`) or EXAMINE (`true`). `uids` are the
    /// mailbox's messages (any order; duplicates are dropped), read *after* `mailbox` so that
    /// replaying the journal from `mailbox.highest_modseq` cannot miss a change. `seed` is the
    /// `\Recent` horizon to use if this process has not seen the mailbox yet (see [`recent`]).
    pub fn open(
        mailbox: &Mailbox,
        mut uids: Vec<Uid>,
        read_only: bool,
        registry: Arc<RecentRegistry>,
        seed: Uid,
    ) -> Self {
        uids.sort_unstable();
        uids.dedup();
        let mut view = Self {
            mailbox: mailbox.id,
            uid_validity: mailbox.uid_validity,
            read_only,
            registry,
            seed,
            uids: Vec::new(),
            expunged: BTreeSet::new(),
            added: Vec::new(),
            recent: HashSet::new(),
            flag_changes: BTreeMap::new(),
            own_changes: HashMap::new(),
            highest_modseq: mailbox.highest_modseq,
        };
        view.admit(uids);
        view
    }

    /// Appends `uids` (ascending, above every known UID) to the client-visible list and works
    /// out which of them are recent in this session.
    fn admit(&mut self, uids: Vec<Uid>) {
        let Some(&max) = uids.last() else { return };
        let horizon = if self.read_only {
            self.registry
                .peek(self.mailbox, self.uid_validity, self.seed)
        } else {
            self.registry
                .claim(self.mailbox, self.uid_validity, max, self.seed)
        };
        self.recent
            .extend(uids.iter().copied().filter(|u| *u > horizon));
        self.uids.extend(uids);
    }

    pub fn mailbox(&self) -> MailboxId {
        self.mailbox
    }

    pub fn uid_validity(&self) -> UidValidity {
        self.uid_validity
    }

    /// True after EXAMINE: no command may change the mailbox.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The modseq up to which the journal has been applied (the next `changes_since` argument).
    pub fn highest_modseq(&self) -> ModSeq {
        self.highest_modseq
    }

    /// Number of messages as the client knows it (the last EXISTS, minus EXPUNGEs sent).
    pub fn exists(&self) -> u32 {
        u32::try_from(self.uids.len()).unwrap_or(u32::MAX)
    }

    /// UIDs in sequence order, as the client knows them.
    pub fn uids(&self) -> &[Uid] {
        &self.uids
    }

    /// The UID of message `seq` (1-based).
    pub fn uid_of(&self, seq: u32) -> Option<Uid> {
        let i = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.uids.get(i).copied()
    }

    /// The sequence number of `uid`, if the client knows the message.
    pub fn seq_of(&self, uid: Uid) -> Option<u32> {
        let i = self.uids.binary_search(&uid).ok()?;
        u32::try_from(i + 1).ok()
    }

    /// The messages a command's set names, as (sequence number, UID) ascending, without
    /// duplicates. With `uid`, `set` holds UIDs: `*` is the highest UID the client knows and
    /// UIDs of no known message are skipped (RFC 3501 §6.4.8). Without, it holds sequence
    /// numbers: `*` is the last message, and a number above it is an error (answer `BAD`); on an
    /// empty mailbox every sequence set is (RFC 3501 §9 `seq-number`). The saved result `$`
    /// (RFC 5182) is the caller's to substitute; here it names nothing.
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<(u32, Uid)>, BadSequence> {
        let SequenceSet::Ranges(ranges) = set else {
            return Ok(Vec::new());
        };
        if uid {
            let max = self.uids.last().map_or(0, |u| u.0);
            let mut out = Vec::new();
            for (a, b) in set.ranges(max) {
                let from = self.uids.partition_point(|u| u.0 < a);
                let to = self.uids.partition_point(|u| u.0 <= b);
                for i in from..to {
                    out.push((u32::try_from(i + 1).unwrap_or(u32::MAX), self.uids[i]));
                }
            }
            return Ok(out);
        }
        let exists = self.exists();
        let too_big = ranges.iter().any(|(a, b)| {
            [a, b]
                .iter()
                .any(|x| matches!(x, SeqBound::Num(n) if *n > exists))
        });
        if exists == 0 || too_big {
            return Err(BadSequence);
        }
        Ok(set
            .iter(exists)
            .filter_map(|seq| Some((seq, self.uid_of(seq)?)))
            .collect())
    }

    /// Whether `uid` is `\Recent` in this session.
    pub fn is_recent(&self, uid: Uid) -> bool {
        self.recent.contains(&uid)
    }

    /// Number of client-visible messages that are recent in this session (the RECENT count).
    pub fn recent_count(&self) -> u32 {
        let n = self.uids.iter().filter(|u| self.recent.contains(u)).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// True if `uid` was expunged elsewhere and its EXPUNGE is not sent yet (RFC 2180 §4.1:
    /// FETCH of such a message may answer NO or return nothing for it).
    pub fn is_expunged(&self, uid: Uid) -> bool {
        self.expunged.contains(&uid)
    }

    /// Records that this session itself reported `uid`'s flags as of `modseq` (its STORE
    /// response), so the journal entry for that change is not echoed as an unsolicited FETCH.
    pub fn note_own_flags(&mut self, uid: Uid, modseq: ModSeq) {
        self.own_changes.insert(uid, modseq);
        if self
            .flag_changes
            .get(&uid)
            .is_some_and(|(_, m)| *m <= modseq)
        {
            self.flag_changes.remove(&uid);
        }
    }

    /// Applies journal entries (ascending modseq, as `changes_since` returns them). Entries of
    /// other mailboxes and entries already applied are ignored.
    pub fn apply(&mut self, entries: &[JournalEntry]) -> Applied {
        let mut out = Applied::default();
        // One store call may journal several entries under one modseq (`set_flags` gives every
        // changed message the same one), so compare with the modseq before this batch.
        let applied_up_to = self.highest_modseq;
        for e in entries {
            if e.mailbox != self.mailbox || e.modseq <= applied_up_to {
                continue;
            }
            self.highest_modseq = self.highest_modseq.max(e.modseq);
            match &e.change {
                Change::Added { uid, .. } => self.on_added(*uid),
                Change::Expunged { uid } => self.on_expunged(*uid),
                Change::FlagsChanged { uid, flags } => self.on_flags(*uid, flags, e.modseq),
                Change::MailboxDeleted { .. } => out.mailbox_deleted = true,
                Change::MailboxCreated { .. } | Change::MailboxRenamed { .. } => {}
            }
        }
        out
    }

    /// Rebuilds the pending changes from a fresh listing when the journal cannot be trusted to
    /// be complete: `changes_since` may have pruned old entries (its contract), so a caller that
    /// sees the first entry skip past `highest_modseq() + 1`, or the mailbox's highest modseq
    /// above the view's after applying everything, calls this with the mailbox's current
    /// summaries (all of them, ascending) and highest modseq. Messages gone from the listing
    /// become pending EXPUNGEs, new ones pending EXISTS, and every known message whose modseq is
    /// above the view's gets an unsolicited FETCH.
    pub fn resync(&mut self, summaries: &[MessageSummary], highest_modseq: ModSeq) {
        let present = |uid: &Uid| summaries.binary_search_by_key(uid, |s| s.uid).is_ok();
        let gone: Vec<Uid> = self.uids.iter().copied().filter(|u| !present(u)).collect();
        self.expunged.extend(gone);
        self.added.retain(present);
        let max = self.max_known();
        for s in summaries {
            if max.is_none_or(|m| s.uid > m) {
                self.added.push(s.uid);
            } else if s.modseq > self.highest_modseq
                && self.uids.binary_search(&s.uid).is_ok()
                && self.own_changes.get(&s.uid).is_none_or(|m| *m < s.modseq)
            {
                self.flag_changes.insert(s.uid, (s.flags.clone(), s.modseq));
            }
        }
        self.highest_modseq = self.highest_modseq.max(highest_modseq);
    }

    fn max_known(&self) -> Option<Uid> {
        self.added.last().or(self.uids.last()).copied()
    }

    fn on_added(&mut self, uid: Uid) {
        if self.max_known().is_none_or(|m| uid > m) {
            self.added.push(uid);
        }
    }

    fn on_expunged(&mut self, uid: Uid) {
        self.flag_changes.remove(&uid);
        self.own_changes.remove(&uid);
        if let Ok(i) = self.added.binary_search(&uid) {
            // Never announced: the client never learns it existed.
            self.added.remove(i);
        } else if self.uids.binary_search(&uid).is_ok() {
            self.expunged.insert(uid);
        }
    }

    fn on_flags(&mut self, uid: Uid, flags: &Flags, modseq: ModSeq) {
        if let Some(&own) = self.own_changes.get(&uid) {
            if modseq <= own {
                return;
            }
            self.own_changes.remove(&uid);
        }
        // Changes to messages not announced yet are not sent: the client fetches their flags
        // after EXISTS anyway.
        if self.uids.binary_search(&uid).is_ok() && !self.expunged.contains(&uid) {
            self.flag_changes.insert(uid, (flags.clone(), modseq));
        }
    }

    /// Drains the updates the client may be sent now. `allow_expunge` comes from
    /// [`expunge_allowed`]; when false, expunged messages keep their sequence numbers and their
    /// EXPUNGE stays queued. EXPUNGEs are sent in ascending order, each number adjusted for the
    /// ones before it (as in RFC 3501 §7.4.1's example).
    pub fn pending(&mut self, allow_expunge: bool) -> Vec<Update> {
        let mut out = Vec::new();
        let mut recent_gone = false;
        if allow_expunge && !self.expunged.is_empty() {
            let expunged = std::mem::take(&mut self.expunged);
            // The k-th expunged message (0-based, ascending) at index i is number i + 1 - k
            // once the k before it are gone; one pass keeps a mass expunge linear.
            let mut removed = 0usize;
            for (i, uid) in self.uids.iter().enumerate() {
                if expunged.contains(uid) {
                    out.push(Update::Expunge(
                        u32::try_from(i + 1 - removed).unwrap_or(u32::MAX),
                    ));
                    recent_gone |= self.recent.remove(uid);
                    removed += 1;
                }
            }
            self.uids.retain(|u| !expunged.contains(u));
        }
        for (uid, (flags, modseq)) in std::mem::take(&mut self.flag_changes) {
            if let Some(seq) = self.seq_of(uid) {
                out.push(Update::Fetch {
                    seq,
                    uid,
                    flags,
                    recent: self.recent.contains(&uid),
                    modseq,
                });
            }
        }
        if !self.added.is_empty() {
            let added = std::mem::take(&mut self.added);
            self.admit(added);
            out.push(Update::Exists(self.exists()));
            out.push(Update::Recent(self.recent_count()));
        } else if recent_gone {
            // RFC 3501 §7.3.2: the RECENT count is sent again when the mailbox size changes;
            // expunging a recent message changes it (Dovecot does the same).
            out.push(Update::Recent(self.recent_count()));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
