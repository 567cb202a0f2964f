//! Conformance: quota is exact. An append or copy that would take usage above the limit fails with
//! `OverQuota` and changes nothing; reaching the limit exactly is allowed; move keeps usage.

use super::fixtures::{all_uids, assert_err, mailbox_id, make_user, simple_message};
use super::{StoreFactory, check_consistency};
use eider_model::{Flags, UserUpdate};
use eider_store::error::StoreError;

/// Append up to the exact limit succeeds; one byte more fails and changes nothing.
pub async fn quota_exact_limit(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 1000).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    for seed in 0..3 {
        let msg = simple_message(s, seed, 300, Flags::default()).await;
        assert_eq!(msg.size, 300);
        s.append(inbox, msg).await.unwrap();
    }
    let exact = simple_message(s, 10, 100, Flags::default()).await;
    let over = simple_message(s, 11, 101, Flags::default()).await;
    let before = s.get_mailbox(inbox).await.unwrap().unwrap();
    let res = s.append(inbox, over.clone()).await;
    assert_err!(res, StoreError::OverQuota, "append 1 byte over quota");
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap(),
        before,
        "failed append changed nothing"
    );
    assert_eq!(s.quota(u.id).await.unwrap().used, 900);
    s.append(inbox, exact)
        .await
        .expect("append reaching the quota exactly");
    assert_eq!(s.quota(u.id).await.unwrap().used, 1000);
    check_consistency(s).await.unwrap();
    // Raising the quota lets the same message in; 0 means unlimited.
    s.update_user(
        u.id,
        UserUpdate {
            quota: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.append(inbox, over).await.expect("unlimited quota");
    let q = s.quota(u.id).await.unwrap();
    assert_eq!((q.limit, q.used), (0, 1101));
    check_consistency(s).await.unwrap();
}

/// Copy checks the whole batch against the quota; move never changes usage, even when full.
pub async fn quota_copy_and_move(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 1000).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let arch = mailbox_id(s, u.id, "Archive").await;
    let mut uids = Vec::new();
    for seed in 0..4 {
        let msg = simple_message(s, seed, 200, Flags::default()).await;
        uids.push(s.append(inbox, msg).await.unwrap().uid);
    }
    // 800 used: copying two (400) would exceed, even though the first alone (200) would fit.
    let before_dst = s.get_mailbox(arch).await.unwrap().unwrap();
    let res = s.copy_messages(inbox, &uids[..2], arch).await;
    assert_err!(res, StoreError::OverQuota, "copy over quota");
    assert_eq!(
        s.get_mailbox(arch).await.unwrap().unwrap(),
        before_dst,
        "failed copy changed nothing"
    );
    assert_eq!(s.quota(u.id).await.unwrap().used, 800);
    let copied = s
        .copy_messages(inbox, &uids[..1], arch)
        .await
        .expect("copy reaching quota exactly");
    assert_eq!(copied.mapping.len(), 1);
    assert_eq!(s.quota(u.id).await.unwrap().used, 1000);
    // Full: moves still work and keep usage.
    let moved = s
        .move_messages(inbox, &uids[1..], arch)
        .await
        .expect("move at full quota");
    assert_eq!(moved.mapping.len(), 3);
    assert_eq!(s.quota(u.id).await.unwrap().used, 1000, "move keeps usage");
    assert_eq!(s.list_messages(arch, all_uids()).await.unwrap().len(), 4);
    check_consistency(s).await.unwrap();
    // Lowering the quota below usage does not delete anything; new appends fail.
    s.update_user(
        u.id,
        UserUpdate {
            quota: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let res = s
        .append(inbox, simple_message(s, 99, 50, Flags::default()).await)
        .await;
    assert_err!(
        res,
        StoreError::OverQuota,
        "append while over a lowered quota"
    );
    s.expunge(arch, None, false).await.unwrap();
    assert_eq!(
        s.quota(u.id).await.unwrap().used,
        200,
        "the original in INBOX remains"
    );
    s.expunge(inbox, None, false).await.unwrap();
    assert_eq!(s.quota(u.id).await.unwrap().used, 0);
    check_consistency(s).await.unwrap();
}
