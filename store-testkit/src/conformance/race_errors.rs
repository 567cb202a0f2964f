//! Conformance: races where some writers fail or lose their target: failed calls leave no trace
//! even inside a shared commit, and deleting a user under concurrent writes leaves nothing behind.

use super::fixtures::{
    all_uids, append_n, bytes, mailbox_id, make_user, message, put_blob, seen, simple_message,
};
use super::{StoreFactory, check_consistency};
use eider_model::{FlagOp, Flags};
use eider_store::error::StoreError;
use std::sync::Arc;

/// Concurrent writes of which many fail (over quota, missing blob, name taken, unknown mailbox):
/// a failed call leaves no trace even when it shared a commit with successful ones. Every UID
/// handed out belongs to a successful insert, so UIDNEXT − 1 equals the inserts into a mailbox.
pub async fn race_failures_leave_no_trace(f: &dyn StoreFactory) {
    use eider_model::types::{BlobId, MailboxId};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 12_000).await;
    let boxes: Vec<MailboxId> = store
        .list_mailboxes(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let inserts: Arc<Mutex<BTreeMap<MailboxId, u32>>> = Arc::default();
    let ghost = BlobId([0xEE; 32]);
    let mut handles = Vec::new();
    for t in 0..8usize {
        let (store, boxes, inserts) = (Arc::clone(&store), boxes.clone(), Arc::clone(&inserts));
        let mut msgs = Vec::new();
        for i in 0..30 {
            msgs.push(
                simple_message(
                    store.as_ref(),
                    (t * 100 + i) as u64,
                    250 + 10 * i,
                    Flags::default(),
                )
                .await,
            );
        }
        handles.push(tokio::spawn(async move {
            for (i, mut msg) in msgs.into_iter().enumerate() {
                let mb = boxes[(t + i) % boxes.len()];
                let dst = boxes[(t + 2 * i + 1) % boxes.len()];
                let bump = |mb: MailboxId, n: usize| {
                    *inserts.lock().unwrap().entry(mb).or_default() += n as u32
                };
                match i % 6 {
                    0 | 1 => match store.append(mb, msg).await {
                        Ok(_) => bump(mb, 1),
                        Err(StoreError::OverQuota) => {}
                        Err(e) => panic!("append: {e}"),
                    },
                    2 => {
                        if let eider_model::Segment::Blob { blob, .. } = &mut msg.segments[1] {
                            *blob = ghost;
                        }
                        let res = store.append(mb, msg).await;
                        assert!(
                            matches!(res, Err(StoreError::MissingBlob(_) | StoreError::OverQuota)),
                            "{res:?}"
                        );
                    }
                    3 => {
                        let uids: Vec<_> = store
                            .list_messages(mb, all_uids())
                            .await
                            .unwrap()
                            .iter()
                            .map(|m| m.uid)
                            .take(4)
                            .collect();
                        match store.copy_messages(mb, &uids, dst).await {
                            Ok(c) => bump(dst, c.mapping.len()),
                            Err(StoreError::OverQuota) => {}
                            Err(e) => panic!("copy: {e}"),
                        }
                    }
                    4 => {
                        let uids: Vec<_> = store
                            .list_messages(mb, all_uids())
                            .await
                            .unwrap()
                            .iter()
                            .map(|m| m.uid)
                            .take(2)
                            .collect();
                        if mb != dst {
                            let c = store.move_messages(mb, &uids, dst).await.expect("move");
                            bump(dst, c.mapping.len());
                        }
                    }
                    _ => {
                        let res = store.create_mailbox(u.id, "INBOX", None).await;
                        assert!(matches!(res, Err(StoreError::AlreadyExists(_))), "{res:?}");
                        let res = store
                            .set_flags(
                                MailboxId(u64::MAX),
                                &[],
                                FlagOp::Add,
                                &Flags::default(),
                                None,
                            )
                            .await;
                        assert!(matches!(res, Err(StoreError::NotFound(_))), "{res:?}");
                        store.expunge(mb, None, true).await.expect("expunge");
                    }
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let inserts = inserts.lock().unwrap().clone();
    for mb in &boxes {
        let m = store.get_mailbox(*mb).await.unwrap().unwrap();
        let n = inserts.get(mb).copied().unwrap_or(0);
        assert_eq!(
            m.uid_next.0 - 1,
            n,
            "{}: UIDs handed out vs successful inserts",
            m.path
        );
    }
    let q = store.quota(u.id).await.unwrap();
    assert!(q.used <= 12_000, "quota exceeded: {q:?}");
    check_consistency(store.as_ref()).await.unwrap();
}

/// Deleting a user while their mail is being delivered, copied and flagged: writes after the
/// delete fail with `NotFound`, and nothing of the user survives (the blob references they held,
/// shared with another user, are all released).
pub async fn race_delete_user_vs_writes(f: &dyn StoreFactory) {
    let store = f.make().await;
    let gone = make_user(store.as_ref(), "gone", 0).await;
    let keep = make_user(store.as_ref(), "keep", 0).await;
    let inbox = mailbox_id(store.as_ref(), gone.id, "INBOX").await;
    let arch = mailbox_id(store.as_ref(), gone.id, "Archive").await;
    let shared = put_blob(store.as_ref(), &bytes(5, 3000)).await;
    let keep_inbox = mailbox_id(store.as_ref(), keep.id, "INBOX").await;
    store
        .append(
            keep_inbox,
            message(b"", &[(shared, 3000)], Flags::default(), "kept"),
        )
        .await
        .unwrap();
    append_n(store.as_ref(), inbox, 5, 1).await;
    let mut handles = Vec::new();
    for t in 0..4u64 {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            for i in 0..25u64 {
                let msg = message(
                    b"H: 1\r\n",
                    &[(shared, 3000)],
                    Flags::default(),
                    &format!("d{t}-{i}"),
                );
                let res = match (t + i) % 3 {
                    0 => store.append(inbox, msg).await.map(|_| ()),
                    1 => store
                        .copy_messages(
                            inbox,
                            &[eider_model::types::Uid(1), eider_model::types::Uid(2)],
                            arch,
                        )
                        .await
                        .map(|_| ()),
                    _ => store
                        .set_flags(
                            inbox,
                            &[eider_model::types::Uid(3)],
                            FlagOp::Add,
                            &seen(),
                            None,
                        )
                        .await
                        .map(|_| ()),
                };
                match res {
                    Ok(()) | Err(StoreError::NotFound(_)) => {}
                    Err(e) => panic!("write racing delete_user: {e}"),
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.delete_user(gone.id).await.unwrap();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(store.get_mailbox(inbox).await.unwrap(), None);
    assert_eq!(store.get_mailbox(arch).await.unwrap(), None);
    let res = store
        .append(
            inbox,
            message(b"", &[(shared, 3000)], Flags::default(), "late"),
        )
        .await;
    assert!(
        matches!(res, Err(StoreError::NotFound(_))),
        "append after delete_user: {res:?}"
    );
    assert_eq!(
        store.blob_info(shared).await.unwrap().map(|b| b.refs),
        Some(1),
        "only the kept message refers to it"
    );
    check_consistency(store.as_ref()).await.unwrap();
}
