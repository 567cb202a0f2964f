//! Conformance: the per-mailbox journal (CONDSTORE/QRESYNC's source, RFC 7162) and `set_flags`.

use super::check::replay;
use super::fixtures::{all_uids, append_n, assert_err, flags, mailbox_id, make_user, seen};
use super::{StoreFactory, check_consistency};
use eider_model::types::{ModSeq, Uid};
use eider_model::{Change, FlagOp, Flags, SystemFlags};
use eider_store::error::StoreError;
use std::collections::BTreeMap;

/// Replaying `changes_since(mb, 0)` reproduces the UID set, flags and per-message modseqs, and
/// `changes_since(mb, m)` is exactly the tail above `m`.
pub async fn journal_replay_reproduces_state(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let other = mailbox_id(s, u.id, "Archive").await;
    let uids = append_n(s, inbox, 10, 1).await;
    s.set_flags(inbox, &uids[..4], FlagOp::Add, &seen(), None)
        .await
        .unwrap();
    s.set_flags(
        inbox,
        &uids[2..6],
        FlagOp::Replace,
        &flags(SystemFlags::FLAGGED, &["$Label1"]),
        None,
    )
    .await
    .unwrap();
    s.set_flags(inbox, &uids[5..], FlagOp::Remove, &seen(), None)
        .await
        .unwrap(); // no-op for most
    s.expunge(inbox, Some(&uids[7..9]), false).await.unwrap();
    s.copy_messages(inbox, &uids[..2], other).await.unwrap();
    s.move_messages(inbox, &[uids[3]], other).await.unwrap();
    append_n(s, inbox, 2, 50).await;

    for mb in [inbox, other] {
        let journal = s.changes_since(mb, ModSeq(0)).await.unwrap();
        assert!(
            journal.windows(2).all(|w| w[0].modseq <= w[1].modseq),
            "ascending by modseq"
        );
        assert!(journal.iter().all(|e| e.mailbox == mb));
        let state = replay(&journal).expect("journal starts with MailboxCreated");
        let stored: BTreeMap<Uid, (Flags, ModSeq)> = s
            .get_messages(mb, all_uids())
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.summary.uid, (m.summary.flags, m.summary.modseq)))
            .collect();
        assert_eq!(state, stored, "replayed journal == stored state");
        let highest = s.get_mailbox(mb).await.unwrap().unwrap().highest_modseq;
        assert_eq!(journal.last().map(|e| e.modseq), Some(highest));
        // Every suffix query is exactly the tail.
        for cut in journal.iter().map(|e| e.modseq) {
            let tail = s.changes_since(mb, cut).await.unwrap();
            let want: Vec<_> = journal.iter().filter(|e| e.modseq > cut).cloned().collect();
            assert_eq!(tail, want, "changes_since({cut})");
        }
    }
    let kinds: Vec<_> = s
        .changes_since(inbox, ModSeq(0))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.change)
        .collect();
    assert!(kinds.iter().any(|c| matches!(c, Change::Added { .. })));
    assert!(kinds.iter().any(|c| matches!(c, Change::Expunged { .. })));
    assert!(
        kinds
            .iter()
            .any(|c| matches!(c, Change::FlagsChanged { .. }))
    );
    check_consistency(s).await.unwrap();
}

/// Create, rename and delete of a mailbox are journaled.
pub async fn journal_records_mailbox_lifecycle(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let m = s.create_mailbox(u.id, "Old", None).await.unwrap();
    let j = s.changes_since(m.id, ModSeq(0)).await.unwrap();
    assert_eq!(j.len(), 1, "fresh mailbox journal: {j:?}");
    assert_eq!(
        (j[0].modseq, &j[0].change),
        (ModSeq(1), &Change::MailboxCreated { path: "Old".into() })
    );
    s.rename_mailbox(m.id, "New").await.unwrap();
    let j = s.changes_since(m.id, ModSeq(1)).await.unwrap();
    assert!(
        j.iter().any(|e| e.change
            == Change::MailboxRenamed {
                from: "Old".into(),
                to: "New".into()
            }),
        "rename journaled: {j:?}"
    );
    let after = s.get_mailbox(m.id).await.unwrap().unwrap();
    assert_eq!(
        Some(after.highest_modseq),
        j.last().map(|e| e.modseq),
        "rename's modseq is the highest"
    );
    check_consistency(s).await.unwrap();
    s.delete_mailbox(m.id).await.unwrap();
    // A deleted mailbox's journal may end with MailboxDeleted or be gone entirely.
    match s.changes_since(m.id, ModSeq(0)).await {
        Ok(j) if j.is_empty() => {}
        Ok(j) => assert!(
            matches!(j.last().map(|e| &e.change), Some(Change::MailboxDeleted { path }) if path == "New"),
            "journal of a deleted mailbox ends with MailboxDeleted: {j:?}"
        ),
        Err(StoreError::NotFound(_)) => {}
        Err(e) => panic!("changes_since on a deleted mailbox: {e}"),
    }
}

/// UNCHANGEDSINCE (RFC 7162 §3.2): messages changed after the given modseq are left alone and
/// reported in `modified`; the others change, all under one new modseq.
pub async fn set_flags_unchanged_since(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let uids = append_n(s, inbox, 4, 1).await;
    let base = s.get_mailbox(inbox).await.unwrap().unwrap().highest_modseq;
    let fc = s
        .set_flags(
            inbox,
            &[uids[1]],
            FlagOp::Add,
            &flags(SystemFlags::FLAGGED, &[]),
            None,
        )
        .await
        .unwrap();
    let bumped = fc.changed[0].1;
    assert!(bumped > base);
    let fc = s
        .set_flags(inbox, &uids, FlagOp::Add, &seen(), Some(base))
        .await
        .unwrap();
    assert_eq!(
        fc.modified,
        vec![uids[1]],
        "uid changed after UNCHANGEDSINCE is reported"
    );
    let changed: Vec<Uid> = fc.changed.iter().map(|c| c.0).collect();
    assert_eq!(changed, vec![uids[0], uids[2], uids[3]]);
    let ms = fc.changed[0].1;
    assert!(
        ms > bumped && fc.changed.iter().all(|c| c.1 == ms),
        "one new shared modseq: {fc:?}"
    );
    assert!(
        fc.changed.iter().all(|c| c.2 == seen()),
        "reported flags are the new flags"
    );
    let skipped = s.get_message(inbox, uids[1]).await.unwrap().unwrap();
    assert_eq!(
        (skipped.summary.modseq, skipped.summary.flags.seen()),
        (bumped, false),
        "modified message untouched"
    );
    // UNCHANGEDSINCE equal to the message's modseq passes (only strictly greater fails).
    let fc = s
        .set_flags(inbox, &[uids[1]], FlagOp::Add, &seen(), Some(bumped))
        .await
        .unwrap();
    assert_eq!((fc.changed.len(), fc.modified.len()), (1, 0));
    let mb = s.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(mb.unseen, 0);
    // UNCHANGEDSINCE 0: every message has a modseq above it (RFC 7162 §3.2).
    let fc = s
        .set_flags(
            inbox,
            &uids,
            FlagOp::Add,
            &flags(SystemFlags::DRAFT, &[]),
            Some(ModSeq(0)),
        )
        .await
        .unwrap();
    assert!(fc.changed.is_empty(), "{fc:?}");
    let mut modified = fc.modified.clone();
    modified.sort();
    assert_eq!(modified, uids, "all reported modified");
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap().highest_modseq,
        mb.highest_modseq
    );
    let res = s
        .set_flags(
            eider_model::types::MailboxId(u64::MAX),
            &uids,
            FlagOp::Add,
            &seen(),
            None,
        )
        .await;
    assert_err!(res, StoreError::NotFound(_), "set_flags on unknown mailbox");
    check_consistency(s).await.unwrap();
}

/// A `set_flags` that changes nothing allocates no modseq and journals nothing.
pub async fn set_flags_noop_keeps_modseq(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let uids = append_n(s, inbox, 3, 1).await;
    s.set_flags(
        inbox,
        &uids,
        FlagOp::Add,
        &flags(SystemFlags::SEEN, &["Kw"]),
        None,
    )
    .await
    .unwrap();
    let before = s.get_mailbox(inbox).await.unwrap().unwrap();
    let cases: [(FlagOp, Flags); 4] = [
        (FlagOp::Add, seen()),
        (FlagOp::Add, flags(SystemFlags::SEEN, &["Kw"])),
        (FlagOp::Remove, flags(SystemFlags::DELETED, &["other"])),
        (FlagOp::Replace, flags(SystemFlags::SEEN, &["Kw"])),
    ];
    for (op, fl) in cases {
        let fc = s.set_flags(inbox, &uids, op, &fl, None).await.unwrap();
        assert!(fc.changed.is_empty(), "{op:?} {fl:?} changed {fc:?}");
        let fc = s
            .set_flags(inbox, &[Uid(999)], op, &fl, None)
            .await
            .unwrap();
        assert!(
            fc.changed.is_empty() && fc.modified.is_empty(),
            "missing uid ignored"
        );
    }
    let after = s.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(after.highest_modseq, before.highest_modseq, "no new modseq");
    assert!(
        s.changes_since(inbox, before.highest_modseq)
            .await
            .unwrap()
            .is_empty(),
        "nothing journaled"
    );
    // Replace to a different set does change, and the keyword goes away.
    let fc = s
        .set_flags(inbox, &uids[..1], FlagOp::Replace, &Flags::default(), None)
        .await
        .unwrap();
    assert_eq!(fc.changed.len(), 1);
    assert_eq!(fc.changed[0].2, Flags::default());
    assert_eq!(s.get_mailbox(inbox).await.unwrap().unwrap().unseen, 1);
    check_consistency(s).await.unwrap();
}
