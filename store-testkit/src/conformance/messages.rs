//! Conformance: append, get/list, copy, move, expunge, missing blobs, events.

use super::fixtures::{
    append_n, assert_err, bytes, flags, mailbox_id, make_user, message, put_blob, seen,
    simple_message,
};
use super::{StoreFactory, check_consistency};
use eider_model::types::{BlobId, MailboxId, Uid};
use eider_model::{Change, Flags, SystemFlags};
use eider_store::error::StoreError;

/// Appends get UIDs 1, 2, 3 …; get/list return what was stored; ranges select by UID.
pub async fn messages_append_get_list(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = s.find_mailbox(u.id, "INBOX").await.unwrap().unwrap();
    let mut sent = Vec::new();
    for i in 0..5u64 {
        let fl = if i % 2 == 0 {
            seen()
        } else {
            flags(SystemFlags::FLAGGED, &["$Work"])
        };
        let msg = simple_message(s, i, 300 + i as usize, fl).await;
        let ap = s.append(inbox.id, msg.clone()).await.unwrap();
        assert_eq!(
            (ap.mailbox, ap.uid, ap.uid_validity),
            (inbox.id, Uid(i as u32 + 1), inbox.uid_validity)
        );
        sent.push((ap, msg));
    }
    let mb = s.get_mailbox(inbox.id).await.unwrap().unwrap();
    assert_eq!((mb.messages, mb.unseen, mb.uid_next), (5, 2, Uid(6)));
    assert_eq!(mb.highest_modseq, sent.last().unwrap().0.modseq);
    for (ap, msg) in &sent {
        let got = s
            .get_message(inbox.id, ap.uid)
            .await
            .unwrap()
            .expect("get_message");
        assert_eq!(got.mailbox, inbox.id);
        assert_eq!(
            (got.summary.uid, got.summary.modseq, &got.summary.flags),
            (ap.uid, ap.modseq, &msg.flags)
        );
        assert_eq!(
            (
                got.summary.size,
                got.summary.internal_date,
                got.summary.internal_tz_minutes
            ),
            (msg.size, msg.internal_date, msg.internal_tz_minutes)
        );
        assert_eq!(
            (&got.segments, &got.sha256, &got.meta),
            (&msg.segments, &msg.sha256, &msg.meta),
            "stored as given"
        );
    }
    assert_eq!(s.get_message(inbox.id, Uid(99)).await.unwrap(), None);
    let listed = s.list_messages(inbox.id, Uid(2)..=Uid(4)).await.unwrap();
    assert_eq!(
        listed.iter().map(|m| m.uid.0).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    let full = s.get_messages(inbox.id, Uid(4)..=Uid(100)).await.unwrap();
    assert_eq!(
        full.iter().map(|m| m.summary.uid.0).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert_eq!(
        listed[0],
        full_summary(s, inbox.id, Uid(2)).await,
        "list and get agree"
    );
    assert!(
        s.list_messages(inbox.id, Uid(6)..=Uid(9))
            .await
            .unwrap()
            .is_empty()
    );
    let res = s
        .append(
            MailboxId(u64::MAX),
            simple_message(s, 9, 100, Flags::default()).await,
        )
        .await;
    assert_err!(res, StoreError::NotFound(_), "append to unknown mailbox");
    check_consistency(s).await.unwrap();
}

async fn full_summary(
    s: &dyn eider_store::mailstore::MailStore,
    mb: MailboxId,
    uid: Uid,
) -> eider_model::MessageSummary {
    s.get_message(mb, uid).await.unwrap().unwrap().summary
}

/// An append naming a blob that is not stored fails with `MissingBlob` and changes nothing.
pub async fn messages_append_missing_blob_has_no_effect(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    append_n(s, inbox, 1, 1).await;
    let real = put_blob(s, &bytes(7, 500)).await;
    let ghost = BlobId([0xAB; 32]);
    let before = s.get_mailbox(inbox).await.unwrap().unwrap();
    let used = s.quota(u.id).await.unwrap().used;
    let msg = message(
        b"X: y\r\n",
        &[(real, 500), (ghost, 10)],
        Flags::default(),
        "ghost",
    );
    let res = s.append(inbox, msg).await;
    assert_err!(res, StoreError::MissingBlob(id) if id == ghost, "append with a missing blob");
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap(),
        before,
        "mailbox unchanged"
    );
    assert_eq!(s.quota(u.id).await.unwrap().used, used, "usage unchanged");
    assert_eq!(
        s.blob_info(real).await.unwrap().map(|b| b.refs),
        Some(0),
        "no reference taken on the blob that exists"
    );
    assert_eq!(
        s.changes_since(inbox, before.highest_modseq).await.unwrap(),
        vec![],
        "nothing journaled"
    );
    check_consistency(s).await.unwrap();
}

/// Copy keeps flags and dates, assigns new UIDs in source order, reports COPYUID pairs.
pub async fn messages_copy_mapping(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let arch = s.find_mailbox(u.id, "Archive").await.unwrap().unwrap();
    let uids = append_n(s, inbox, 6, 1).await;
    append_n(s, arch.id, 2, 100).await;
    s.set_flags(
        inbox,
        &[uids[4]],
        eider_model::FlagOp::Add,
        &flags(SystemFlags::ANSWERED, &["kw"]),
        None,
    )
    .await
    .unwrap();
    // Unordered input with a missing UID: copied in ascending source order, missing ignored.
    let req = [uids[4], uids[1], Uid(999), uids[2]];
    let copied = s.copy_messages(inbox, &req, arch.id).await.unwrap();
    assert_eq!(copied.uid_validity, arch.uid_validity);
    assert_eq!(
        copied.mapping,
        vec![(uids[1], Uid(3)), (uids[2], Uid(4)), (uids[4], Uid(5))],
        "COPYUID mapping in source order"
    );
    for (src, dst) in &copied.mapping {
        let a = s.get_message(inbox, *src).await.unwrap().unwrap();
        let b = s.get_message(arch.id, *dst).await.unwrap().unwrap();
        assert_eq!(
            (
                &a.summary.flags,
                a.summary.internal_date,
                a.summary.size,
                &a.segments,
                &a.meta
            ),
            (
                &b.summary.flags,
                b.summary.internal_date,
                b.summary.size,
                &b.segments,
                &b.meta
            )
        );
        assert_eq!(b.mailbox, arch.id);
    }
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap().messages,
        6,
        "source untouched"
    );
    let res = s.copy_messages(inbox, &uids, MailboxId(u64::MAX)).await;
    assert_err!(res, StoreError::NotFound(_), "copy to unknown mailbox");
    let other = make_user(s, "other", 0).await;
    let theirs = mailbox_id(s, other.id, "INBOX").await;
    assert!(
        s.copy_messages(inbox, &uids, theirs).await.is_err(),
        "copy across users refused"
    );
    assert_eq!(s.get_mailbox(theirs).await.unwrap().unwrap().messages, 0);
    check_consistency(s).await.unwrap();
}

/// Move is copy + expunge in one step, journaled in both mailboxes; usage unchanged.
pub async fn messages_move_is_atomic(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let trash = mailbox_id(s, u.id, "Trash").await;
    let uids = append_n(s, inbox, 5, 1).await;
    let src_before = s.get_mailbox(inbox).await.unwrap().unwrap();
    let dst_before = s.get_mailbox(trash).await.unwrap().unwrap();
    let used = s.quota(u.id).await.unwrap().used;
    let moved = s
        .move_messages(inbox, &[uids[3], uids[0]], trash)
        .await
        .unwrap();
    assert_eq!(moved.mapping, vec![(uids[0], Uid(1)), (uids[3], Uid(2))]);
    let left: Vec<_> = s
        .list_messages(inbox, super::all_uids())
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(left, vec![uids[1], uids[2], uids[4]], "source expunged");
    assert_eq!(
        s.list_messages(trash, super::all_uids())
            .await
            .unwrap()
            .len(),
        2,
        "destination added"
    );
    assert_eq!(
        s.quota(u.id).await.unwrap().used,
        used,
        "move does not change usage"
    );
    let src_j = s
        .changes_since(inbox, src_before.highest_modseq)
        .await
        .unwrap();
    let expunged: Vec<_> = src_j
        .iter()
        .filter_map(|e| match e.change {
            Change::Expunged { uid } => Some(uid),
            _ => None,
        })
        .collect();
    assert_eq!(expunged.len(), 2, "source journal: {src_j:?}");
    assert!(expunged.contains(&uids[0]) && expunged.contains(&uids[3]));
    let dst_j = s
        .changes_since(trash, dst_before.highest_modseq)
        .await
        .unwrap();
    let added: Vec<_> = dst_j
        .iter()
        .filter_map(|e| match &e.change {
            Change::Added { uid, .. } => Some(*uid),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec![Uid(1), Uid(2)],
        "destination journal: {dst_j:?}"
    );
    let src = s.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(
        src.uid_next, src_before.uid_next,
        "expunge does not move UIDNEXT"
    );
    assert!(src.highest_modseq > src_before.highest_modseq);
    check_consistency(s).await.unwrap();
}

/// Expunge by list, only `\Deleted`, and all; returns removed UIDs ascending.
pub async fn messages_expunge(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let uids = append_n(s, inbox, 8, 1).await;
    let del = flags(SystemFlags::DELETED, &[]);
    s.set_flags(
        inbox,
        &[uids[1], uids[5], uids[6]],
        eider_model::FlagOp::Add,
        &del,
        None,
    )
    .await
    .unwrap();
    let got = s
        .expunge(inbox, Some(&[uids[6], uids[0], uids[5]]), true)
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![uids[5], uids[6]],
        "only \\Deleted among the listed"
    );
    let got = s.expunge(inbox, None, true).await.unwrap();
    assert_eq!(got, vec![uids[1]], "remaining \\Deleted");
    let got = s
        .expunge(inbox, Some(&[uids[7], uids[2], Uid(999)]), false)
        .await
        .unwrap();
    assert_eq!(got, vec![uids[2], uids[7]], "listed, regardless of flags");
    check_consistency(s).await.unwrap();
    let before = s.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(
        s.expunge(inbox, Some(&[Uid(999)]), false).await.unwrap(),
        vec![]
    );
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap().highest_modseq,
        before.highest_modseq,
        "no-op expunge allocates no modseq"
    );
    let got = s.expunge(inbox, None, false).await.unwrap();
    assert_eq!(got, vec![uids[0], uids[3], uids[4]]);
    let mb = s.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((mb.messages, mb.size, mb.uid_next), (0, 0, Uid(9)));
    assert_eq!(s.quota(u.id).await.unwrap().used, 0);
    check_consistency(s).await.unwrap();
}

/// One call over hundreds of messages: copy, flag, move and expunge them all at once.
pub async fn messages_bulk_operations(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let arch = mailbox_id(s, u.id, "Archive").await;
    let trash = mailbox_id(s, u.id, "Trash").await;
    let uids = append_n(s, inbox, 300, 1).await;
    let c = s.copy_messages(inbox, &uids, arch).await.unwrap();
    assert_eq!(c.mapping.len(), 300);
    assert!(
        c.mapping.windows(2).all(|w| w[0].1 < w[1].1),
        "destination UIDs ascend"
    );
    let fc = s
        .set_flags(
            arch,
            &c.mapping.iter().map(|p| p.1).collect::<Vec<_>>(),
            eider_model::FlagOp::Add,
            &seen(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(fc.changed.len(), 300);
    let m = s
        .move_messages(
            arch,
            &c.mapping.iter().map(|p| p.1).collect::<Vec<_>>(),
            trash,
        )
        .await
        .unwrap();
    assert_eq!(m.mapping.len(), 300);
    let t = s.get_mailbox(trash).await.unwrap().unwrap();
    assert_eq!((t.messages, t.unseen, t.uid_next), (300, 0, Uid(301)));
    check_consistency(s).await.unwrap();
    assert_eq!(s.expunge(trash, None, false).await.unwrap().len(), 300);
    assert_eq!(s.expunge(inbox, None, false).await.unwrap(), uids);
    assert_eq!(s.quota(u.id).await.unwrap().used, 0);
    check_consistency(s).await.unwrap();
}
