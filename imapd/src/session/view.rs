//! A session's view of the selected mailbox: the message sequence numbers the client knows, and
//! the changes from other sessions it has not been told about yet (RFC 3501 §7.4.1, §5.2).
//!
//! Invariants: `uids` is strictly ascending and is exactly what the client believes the mailbox
//! holds (message N is `uids[N-1]`); a message expunged elsewhere stays visible until an EXPUNGE
//! response is sent, which only happens when the command allows it (never during FETCH, STORE or
//! SEARCH by sequence number, RFC 3501 §7.4.1); new messages are announced with EXISTS before
//! they can be addressed.

use super::error::CommandError;
use crate::proto::flag;
use crate::proto::response::{Data, EncodeOptions, FetchItem, FetchWriter, Response};
use crate::proto::seqset::SequenceSet;
use eider_common::model::Flags;
use std::collections::{BTreeMap, BTreeSet};

/// A change to the selected mailbox, as the store reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailboxEvent {
    /// A message arrived; `recent` if this session is the one that gets `\Recent` for it.
    Added {
        uid: u32,
        recent: bool,
    },
    Expunged {
        uid: u32,
    },
    FlagsChanged {
        uid: u32,
        flags: Flags,
        modseq: u64,
    },
}

/// An untagged update for the client, in the order to send them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// `* n EXPUNGE`.
    Expunge(u32),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* msn FETCH (UID uid FLAGS (...) [MODSEQ (m)])`.
    Flags {
        msn: u32,
        uid: u32,
        flags: Flags,
        recent: bool,
        modseq: u64,
    },
}

impl Update {
    /// Appends the wire form; MODSEQ is included only when CONDSTORE is on (RFC 7162 §3.2).
    pub fn encode(&self, out: &mut Vec<u8>, opts: EncodeOptions, condstore: bool) {
        match self {
            Update::Expunge(n) => Response::Data(Data::Expunge(*n)).encode(out, opts),
            Update::Exists(n) => Response::Data(Data::Exists(*n)).encode(out, opts),
            Update::Recent(n) => Response::Data(Data::Recent(*n)).encode(out, opts),
            Update::Flags {
                msn,
                uid,
                flags,
                recent,
                modseq,
            } => {
                let mut w = FetchWriter::begin(out, *msn, opts);
                w.item(out, &FetchItem::Uid(*uid));
                w.item(out, &FetchItem::Flags(&flag::from_model(flags, *recent)));
                if condstore {
                    w.item(out, &FetchItem::ModSeq(*modseq));
                }
                w.end(out);
            }
        }
    }
}

/// When EXPUNGE responses may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPoint {
    /// NOOP, CHECK, IDLE, and the end of most commands: everything may be reported.
    Full,
    /// The end of FETCH, STORE or SEARCH by sequence number: no EXPUNGE (RFC 3501 §7.4.1).
    NoExpunge,
}

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxView {
    uids: Vec<u32>,
    recent: BTreeSet<u32>,
    new: BTreeSet<u32>,
    expunged: BTreeSet<u32>,
    flags: BTreeMap<u32, (Flags, u64)>,
    /// The SEARCHRES result (RFC 5182), as UIDs.
    saved: Vec<u32>,
}

impl MailboxView {
    /// The view right after SELECT: `uids` ascending, `recent` the ones this session reports as
    /// `\Recent`.
    pub fn new(mut uids: Vec<u32>, recent: impl IntoIterator<Item = u32>) -> Self {
        uids.sort_unstable();
        uids.dedup();
        MailboxView {
            uids,
            recent: recent.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Messages the client knows about.
    pub fn exists(&self) -> u32 {
        u32::try_from(self.uids.len()).unwrap_or(u32::MAX)
    }

    pub fn recent_count(&self) -> u32 {
        let n = self.uids.iter().filter(|u| self.recent.contains(u)).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    pub fn is_recent(&self, uid: u32) -> bool {
        self.recent.contains(&uid)
    }

    /// The sequence number of `uid`, if the client knows it.
    pub fn msn(&self, uid: u32) -> Option<u32> {
        let i = self.uids.binary_search(&uid).ok()?;
        u32::try_from(i + 1).ok()
    }

    /// The UID of message `msn`.
    pub fn uid(&self, msn: u32) -> Option<u32> {
        self.uids
            .get(usize::try_from(msn).ok()?.checked_sub(1)?)
            .copied()
    }

    /// Whether `uid` was expunged by someone else but not yet reported (a FETCH of it may be
    /// answered with NO, RFC 2180 §4.1.2).
    pub fn is_expunged(&self, uid: u32) -> bool {
        self.expunged.contains(&uid)
    }

    /// Records a change; it reaches the client at the next [`MailboxView::sync`].
    pub fn apply(&mut self, event: MailboxEvent) {
        match event {
            MailboxEvent::Added { uid, recent } => {
                if self.uids.binary_search(&uid).is_err() {
                    self.new.insert(uid);
                    if recent {
                        self.recent.insert(uid);
                    }
                }
            }
            MailboxEvent::Expunged { uid } => {
                if self.new.remove(&uid) {
                    // Never announced: the client never needs to hear about it.
                    self.recent.remove(&uid);
                } else if self.uids.binary_search(&uid).is_ok() {
                    self.expunged.insert(uid);
                }
                self.flags.remove(&uid);
            }
            MailboxEvent::FlagsChanged { uid, flags, modseq } => {
                self.flags.insert(uid, (flags, modseq));
            }
        }
    }

    /// The updates to send now, applying them to the view.
    pub fn sync(&mut self, point: SyncPoint) -> Vec<Update> {
        let mut out = Vec::new();
        if point == SyncPoint::Full {
            // Descending, so every number sent is valid when the client applies it in order.
            for uid in std::mem::take(&mut self.expunged).into_iter().rev() {
                if let Ok(i) = self.uids.binary_search(&uid) {
                    self.uids.remove(i);
                    self.recent.remove(&uid);
                    out.push(Update::Expunge(u32::try_from(i + 1).unwrap_or(u32::MAX)));
                }
            }
        }
        if !self.new.is_empty() {
            let recent_before = self.recent_count();
            let new = std::mem::take(&mut self.new);
            self.uids.extend(new.iter().copied());
            self.uids.sort_unstable();
            self.uids.dedup();
            out.push(Update::Exists(self.exists()));
            if self.recent_count() != recent_before {
                out.push(Update::Recent(self.recent_count()));
            }
        }
        for (uid, (flags, modseq)) in std::mem::take(&mut self.flags) {
            if let Some(msn) = self.msn(uid) {
                let recent = self.recent.contains(&uid);
                out.push(Update::Flags {
                    msn,
                    uid,
                    flags,
                    recent,
                    modseq,
                });
            }
        }
        out
    }

    /// Resolves a set to `(msn, uid)` pairs, ascending. Sequence numbers beyond the mailbox are
    /// a client error (BAD, RFC 3501 §9 "seq-number"); UIDs that do not exist are skipped
    /// (RFC 3501 §6.4.8). `$` uses the saved search result (RFC 5182).
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<(u32, u32)>, CommandError> {
        if *set == SequenceSet::Saved {
            return Ok(self
                .saved
                .iter()
                .filter_map(|u| Some((self.msn(*u)?, *u)))
                .collect());
        }
        if uid {
            let max = self.uids.last().copied().unwrap_or(0);
            return Ok(self
                .uids
                .iter()
                .enumerate()
                .filter(|(_, u)| set.contains(**u, max))
                .filter_map(|(i, u)| Some((u32::try_from(i + 1).ok()?, *u)))
                .collect());
        }
        let max = self.exists();
        if let SequenceSet::Ranges(rs) = set {
            let too_big = rs.iter().any(|(a, b)| {
                [a, b]
                    .iter()
                    .any(|x| matches!(x, crate::proto::seqset::SeqBound::Num(n) if *n > max))
            });
            if too_big {
                return Err(CommandError::Bad("Invalid message sequence number".into()));
            }
        }
        Ok(set
            .iter(max)
            .filter_map(|msn| Some((msn, self.uid(msn)?)))
            .collect())
    }

    /// Saves a SEARCH result for `$` (RFC 5182 §2.1), as UIDs.
    pub fn save(&mut self, uids: Vec<u32>) {
        self.saved = uids;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Flags {
        let mut f = Flags::default();
        f.system.0 = eider_common::model::SystemFlags::SEEN;
        f
    }

    #[test]
    fn resolve_table() {
        let view = MailboxView::new(vec![3, 5, 9, 12], []);
        type Want = Result<&'static [(u32, u32)], ()>;
        let cases: &[(&str, bool, Want)] = &[
            ("1", false, Ok(&[(1, 3)])),
            ("2:*", false, Ok(&[(2, 5), (3, 9), (4, 12)])),
            ("*", false, Ok(&[(4, 12)])),
            ("5", false, Err(())),
            ("1:5", false, Err(())),
            ("5:12", true, Ok(&[(2, 5), (3, 9), (4, 12)])),
            ("4", true, Ok(&[])),
            ("13:*", true, Ok(&[(4, 12)])),
            ("1:*", true, Ok(&[(1, 3), (2, 5), (3, 9), (4, 12)])),
        ];
        for (s, uid, want) in cases {
            let set = SequenceSet::parse_str(s).unwrap();
            let got = view.resolve(&set, *uid).map_err(|_| ());
            assert_eq!(got.as_deref(), want.as_deref(), "{s} uid={uid}");
        }
        let empty = MailboxView::new(vec![], []);
        assert_eq!(
            empty
                .resolve(&SequenceSet::parse_str("1:*").unwrap(), true)
                .unwrap(),
            vec![]
        );
        assert!(
            empty
                .resolve(&SequenceSet::parse_str("1").unwrap(), false)
                .is_err()
        );
    }

    #[test]
    fn saved_result() {
        let mut view = MailboxView::new(vec![3, 5, 9], []);
        view.save(vec![5, 9, 42]);
        assert_eq!(
            view.resolve(&SequenceSet::Saved, false).unwrap(),
            vec![(2, 5), (3, 9)]
        );
    }

    #[test]
    fn changes_are_reported_at_the_right_time() {
        let mut view = MailboxView::new(vec![1, 2, 3, 4], [4]);
        assert_eq!(view.recent_count(), 1);
        view.apply(MailboxEvent::Expunged { uid: 2 });
        view.apply(MailboxEvent::Expunged { uid: 4 });
        view.apply(MailboxEvent::Added {
            uid: 7,
            recent: true,
        });
        view.apply(MailboxEvent::Added {
            uid: 8,
            recent: false,
        });
        view.apply(MailboxEvent::Expunged { uid: 8 }); // never announced: silent
        view.apply(MailboxEvent::FlagsChanged {
            uid: 3,
            flags: seen(),
            modseq: 9,
        });
        // During FETCH: no EXPUNGE; the expunged messages keep their numbers.
        assert_eq!(
            view.sync(SyncPoint::NoExpunge),
            vec![
                Update::Exists(5),
                Update::Recent(2),
                Update::Flags {
                    msn: 3,
                    uid: 3,
                    flags: seen(),
                    recent: false,
                    modseq: 9
                }
            ]
        );
        assert!(view.is_expunged(2));
        assert_eq!(view.uid(5), Some(7));
        // At NOOP: EXPUNGE in descending order, then nothing new.
        assert_eq!(
            view.sync(SyncPoint::Full),
            vec![Update::Expunge(4), Update::Expunge(2)]
        );
        assert_eq!(view.exists(), 3);
        assert_eq!(view.msn(7), Some(3));
        assert_eq!(view.recent_count(), 1);
        assert!(view.sync(SyncPoint::Full).is_empty());
        // A new recent message changes RECENT.
        view.apply(MailboxEvent::Added {
            uid: 10,
            recent: true,
        });
        assert_eq!(
            view.sync(SyncPoint::Full),
            vec![Update::Exists(4), Update::Recent(2)]
        );
        // Flags of a message expunged before the report are dropped.
        view.apply(MailboxEvent::FlagsChanged {
            uid: 10,
            flags: seen(),
            modseq: 11,
        });
        view.apply(MailboxEvent::Expunged { uid: 10 });
        assert_eq!(view.sync(SyncPoint::Full), vec![Update::Expunge(4)]);
    }

    #[test]
    fn updates_encode() {
        let opts = EncodeOptions::default();
        let flags = Update::Flags {
            msn: 2,
            uid: 7,
            flags: seen(),
            recent: true,
            modseq: 12,
        };
        let cases = [
            (Update::Expunge(3), false, "* 3 EXPUNGE\r\n"),
            (Update::Exists(9), false, "* 9 EXISTS\r\n"),
            (Update::Recent(1), false, "* 1 RECENT\r\n"),
            (
                flags.clone(),
                false,
                "* 2 FETCH (UID 7 FLAGS (\\Seen \\Recent))\r\n",
            ),
            (
                flags,
                true,
                "* 2 FETCH (UID 7 FLAGS (\\Seen \\Recent) MODSEQ (12))\r\n",
            ),
        ];
        for (u, condstore, want) in cases {
            let mut out = Vec::new();
            u.encode(&mut out, opts, condstore);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
