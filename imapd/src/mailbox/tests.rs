//! Two sessions on one simulated mailbox: a tiny journal stands in for the store.

use super::*;
use crate::proto::SequenceSet;
use eider_model::SystemFlags;

/// A mailbox with a journal, like the store keeps it.
struct Sim {
    uid_next: u32,
    modseq: u64,
    live: Vec<Uid>,
    journal: Vec<JournalEntry>,
}

impl Sim {
    fn new(n: u32) -> Self {
        let mut s = Sim {
            uid_next: 1,
            modseq: 1,
            live: Vec::new(),
            journal: Vec::new(),
        };
        for _ in 0..n {
            s.add();
        }
        s
    }

    fn push(&mut self, change: Change) {
        self.modseq += 1;
        self.journal.push(JournalEntry {
            mailbox: MailboxId(1),
            modseq: ModSeq(self.modseq),
            at: 0,
            change,
        });
    }

    fn add(&mut self) -> Uid {
        let uid = Uid(self.uid_next);
        self.uid_next += 1;
        self.live.push(uid);
        self.push(Change::Added {
            uid,
            flags: Flags::default(),
        });
        uid
    }

    fn expunge(&mut self, uid: u32) {
        self.live.retain(|u| u.0 != uid);
        self.push(Change::Expunged { uid: Uid(uid) });
    }

    fn flag(&mut self, uid: u32, bits: u8) -> ModSeq {
        self.push(Change::FlagsChanged {
            uid: Uid(uid),
            flags: Flags {
                system: SystemFlags(bits),
                keywords: Default::default(),
            },
        });
        ModSeq(self.modseq)
    }

    fn mailbox(&self) -> Mailbox {
        Mailbox {
            id: MailboxId(1),
            user: Default::default(),
            path: "INBOX".into(),
            special_use: None,
            uid_validity: UidValidity(42),
            uid_next: Uid(self.uid_next),
            highest_modseq: ModSeq(self.modseq),
            subscribed: true,
            retention_days: None,
            messages: self.live.len() as u32,
            unseen: 0,
            size: 0,
        }
    }

    fn open(&self, reg: &Arc<RecentRegistry>, read_only: bool) -> SelectedView {
        SelectedView::open(
            &self.mailbox(),
            self.live.clone(),
            read_only,
            reg.clone(),
            Uid(0),
        )
    }

    fn sync(&self, v: &mut SelectedView, allow_expunge: bool) -> Vec<Update> {
        let since = v.highest_modseq();
        let entries: Vec<_> = self
            .journal
            .iter()
            .filter(|e| e.modseq > since)
            .cloned()
            .collect();
        v.apply(&entries);
        v.pending(allow_expunge)
    }
}

fn fetch(seq: u32, uid: u32, bits: u8, recent: bool, modseq: u64) -> Update {
    Update::Fetch {
        seq,
        uid: Uid(uid),
        flags: Flags {
            system: SystemFlags(bits),
            keywords: Default::default(),
        },
        recent,
        modseq: ModSeq(modseq),
    }
}

#[test]
fn recent_goes_to_exactly_one_session() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(3);
    let mut a = sim.open(&reg, false);
    assert_eq!(a.recent_count(), 3);
    let mut b = sim.open(&reg, false);
    assert_eq!(b.recent_count(), 0, "A saw them first");
    let mut ex = sim.open(&reg, true);
    assert_eq!(ex.recent_count(), 0);

    sim.add(); // uid 4
    // EXAMINE peeks without claiming, so it sees uid 4 as recent and B still gets it.
    assert_eq!(
        sim.sync(&mut ex, true),
        vec![Update::Exists(4), Update::Recent(1)]
    );
    assert_eq!(
        sim.sync(&mut b, true),
        vec![Update::Exists(4), Update::Recent(1)]
    );
    assert_eq!(
        sim.sync(&mut a, true),
        vec![Update::Exists(4), Update::Recent(3)]
    );
    assert!(b.is_recent(Uid(4)) && !a.is_recent(Uid(4)));
    // Nothing more to say.
    assert_eq!(sim.sync(&mut a, true), vec![]);
}

#[test]
fn expunge_is_held_during_fetch_store_search() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(5);
    let mut a = sim.open(&reg, false);
    sim.expunge(2);
    sim.expunge(4);
    sim.add(); // uid 6
    // During FETCH: no EXPUNGE, sequence numbers stay, EXISTS counts the expunged ones still.
    assert_eq!(
        sim.sync(&mut a, expunge_allowed("fetch", false)),
        vec![Update::Exists(6), Update::Recent(6)]
    );
    assert_eq!(a.seq_of(Uid(4)), Some(4));
    assert!(a.is_expunged(Uid(4)));
    // At NOOP: ascending EXPUNGEs, each adjusted for the previous one (2, then 4 → 3), then
    // the smaller RECENT count (RFC 3501 §7.3.2: the expunged ones were recent here).
    assert_eq!(
        sim.sync(&mut a, expunge_allowed("NOOP", false)),
        vec![Update::Expunge(2), Update::Expunge(3), Update::Recent(4)]
    );
    assert_eq!(a.uids(), &[Uid(1), Uid(3), Uid(5), Uid(6)]);
    assert_eq!(a.seq_of(Uid(6)), Some(4));
    assert_eq!(a.uid_of(3), Some(Uid(5)));
    assert_eq!(a.uid_of(0), None);
    assert_eq!(a.uid_of(5), None);
}

#[test]
fn expunge_allowed_table() {
    let table = [
        ("FETCH", false, false),
        ("fetch", true, true),
        ("STORE", false, false),
        ("STORE", true, true),
        ("SEARCH", false, false),
        ("SEARCH", true, true),
        ("SORT", false, false),
        ("NOOP", false, true),
        ("CHECK", false, true),
        ("EXPUNGE", false, true),
        ("COPY", false, true),
        ("IDLE", false, true),
    ];
    for (cmd, uid, want) in table {
        assert_eq!(expunge_allowed(cmd, uid), want, "{cmd} uid={uid}");
    }
}

#[test]
fn flag_changes_from_elsewhere_become_fetches() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(4);
    let mut a = sim.open(&reg, false);
    let mut b = sim.open(&reg, false);
    // B stores \Seen on 2 and reports it itself; A must hear about it, B must not twice.
    let m = sim.flag(2, SystemFlags::SEEN);
    b.note_own_flags(Uid(2), m);
    sim.flag(3, SystemFlags::FLAGGED);
    sim.flag(3, SystemFlags::FLAGGED | SystemFlags::SEEN);
    assert_eq!(
        sim.sync(&mut a, false),
        vec![
            fetch(2, 2, SystemFlags::SEEN, true, m.0),
            fetch(
                3,
                3,
                SystemFlags::FLAGGED | SystemFlags::SEEN,
                true,
                m.0 + 2
            ),
        ]
    );
    assert_eq!(
        sim.sync(&mut b, false),
        vec![fetch(
            3,
            3,
            SystemFlags::FLAGGED | SystemFlags::SEEN,
            false,
            m.0 + 2
        )]
    );
    // A flag change then an expunge: only the EXPUNGE is worth sending.
    sim.flag(1, SystemFlags::DELETED);
    sim.expunge(1);
    assert_eq!(sim.sync(&mut a, false), vec![]);
    assert_eq!(
        sim.sync(&mut a, true),
        vec![Update::Expunge(1), Update::Recent(3)]
    );
    // After the expunge the flag change of uid 4 carries its new sequence number.
    let m = sim.flag(4, SystemFlags::ANSWERED);
    assert_eq!(
        sim.sync(&mut a, true),
        vec![fetch(3, 4, SystemFlags::ANSWERED, true, m.0)]
    );
}

#[test]
fn added_then_expunged_is_never_announced_and_apply_is_idempotent() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(2);
    let mut a = sim.open(&reg, false);
    sim.add(); // 3
    sim.add(); // 4
    sim.expunge(3);
    let entries = sim.journal.clone();
    a.apply(&entries);
    a.apply(&entries); // replay: no double effect
    assert_eq!(a.pending(false), vec![Update::Exists(3), Update::Recent(3)]);
    assert_eq!(a.uids(), &[Uid(1), Uid(2), Uid(4)]);
    assert_eq!(a.pending(true), vec![]);
}

#[test]
fn mailbox_deletion_is_reported() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(1);
    let mut a = sim.open(&reg, false);
    sim.push(Change::MailboxDeleted {
        path: "INBOX".into(),
    });
    let entries = sim.journal.clone();
    assert!(a.apply(&entries).mailbox_deleted);
}

#[test]
fn resync_after_a_pruned_journal() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(4);
    let mut a = sim.open(&reg, false);
    let before = a.highest_modseq();
    sim.expunge(2);
    let m = sim.flag(3, SystemFlags::SEEN);
    sim.add(); // 5
    // The journal was pruned: rebuild from summaries instead.
    let summaries: Vec<MessageSummary> = sim
        .live
        .iter()
        .map(|&uid| MessageSummary {
            uid,
            modseq: if uid == Uid(3) { m } else { before },
            flags: Flags {
                system: SystemFlags(if uid == Uid(3) { SystemFlags::SEEN } else { 0 }),
                keywords: Default::default(),
            },
            internal_date: 0,
            internal_tz_minutes: 0,
            size: 1,
            thread: Default::default(),
        })
        .collect();
    a.resync(&summaries, ModSeq(sim.modseq));
    assert_eq!(a.highest_modseq(), ModSeq(sim.modseq));
    assert_eq!(
        a.pending(true),
        vec![
            Update::Expunge(2),
            fetch(2, 3, SystemFlags::SEEN, true, m.0),
            Update::Exists(4),
            Update::Recent(4),
        ]
    );
    assert_eq!(a.uids(), &[Uid(1), Uid(3), Uid(4), Uid(5)]);
    // Replaying the (unpruned) journal afterwards changes nothing.
    assert_eq!(sim.sync(&mut a, true), vec![]);
}

#[test]
fn resolve_sets() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(6);
    sim.expunge(2);
    sim.expunge(5);
    let a = sim.open(&reg, false); // uids 1 3 4 6
    let set = |s: &str| SequenceSet::parse_str(s).unwrap();
    let ok = |v: &[(u32, u32)]| Ok(v.iter().map(|&(s, u)| (s, Uid(u))).collect::<Vec<_>>());
    type Resolved = Result<Vec<(u32, Uid)>, BadSequence>;
    let table: &[(&str, bool, Resolved)] = &[
        ("1:*", false, ok(&[(1, 1), (2, 3), (3, 4), (4, 6)])),
        ("*", false, ok(&[(4, 6)])),
        ("3,1,3", false, ok(&[(1, 1), (3, 4)])),
        ("4:2", false, ok(&[(2, 3), (3, 4), (4, 6)])),
        ("5", false, Err(BadSequence)),
        ("2:5", false, Err(BadSequence)),
        ("1:*", true, ok(&[(1, 1), (2, 3), (3, 4), (4, 6)])),
        ("2", true, ok(&[])),
        ("2:4", true, ok(&[(2, 3), (3, 4)])),
        ("5:*", true, ok(&[(4, 6)])),
        ("9:*", true, ok(&[(4, 6)])),
        ("7:9", true, ok(&[])),
        ("*", true, ok(&[(4, 6)])),
        ("$", true, ok(&[])),
    ];
    for (s, uid, want) in table {
        assert_eq!(&a.resolve(&set(s), *uid), want, "{s} uid={uid}");
    }
    let empty = Sim::new(0).open(&reg, false);
    assert_eq!(empty.resolve(&set("1:*"), false), Err(BadSequence));
    assert_eq!(empty.resolve(&set("1:*"), true), Ok(vec![]));
}

#[test]
fn mass_expunge_numbers() {
    let reg = Arc::new(RecentRegistry::new());
    let mut sim = Sim::new(10);
    let mut a = sim.open(&reg, false);
    for uid in [1, 2, 5, 9, 10] {
        sim.expunge(uid);
    }
    // 1 → 1, 2 → 1, 5 → 3, 9 → 6, 10 → 6
    let mut want: Vec<Update> = [1, 1, 3, 6, 6].into_iter().map(Update::Expunge).collect();
    want.push(Update::Recent(5));
    assert_eq!(sim.sync(&mut a, true), want);
    assert_eq!(a.uids(), &[Uid(3), Uid(4), Uid(6), Uid(7), Uid(8)]);
    assert_eq!(a.recent_count(), 5);
}
