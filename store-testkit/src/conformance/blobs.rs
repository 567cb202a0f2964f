//! Conformance: blob reference counts and the sweep.
//!
//! A blob's `refs` is the number of messages naming it (each distinct blob once per message) plus
//! explicit `blob_ref`s. The sweep deletes exactly the zero-reference blobs created before its
//! cutoff, and uploads opened before it that were never committed; never a referenced blob.

use super::check::check_consistency_with;
use super::fixtures::{all_uids, bytes, mailbox_id, make_user, message, now, put_blob};
use super::{StoreFactory, check_consistency};
use eider_model::types::{BlobId, ModSeq};
use eider_model::{Flags, Segment, Transfer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// Random copy / move / expunge / delete_mailbox / delete_user over shared blobs, with explicit
/// references mixed in; refcounts are recounted after every step.
pub async fn blob_refcounts_follow_references(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let mut rng = StdRng::seed_from_u64(7);
    let a = make_user(s, "a", 0).await;
    let b = make_user(s, "b", 0).await;
    let pool: Vec<(BlobId, u64)> = {
        let mut v = Vec::new();
        for i in 0..5u64 {
            let d = bytes(i, 100 + 3000 * i as usize);
            v.push((put_blob(s, &d).await, d.len() as u64));
        }
        v
    };
    // One message naming the same blob twice, plus as its text blob: one reference.
    let inbox_a = mailbox_id(s, a.id, "INBOX").await;
    let mut twice = message(b"H: 1\r\n", &[pool[0], pool[0]], Flags::default(), "twice");
    twice.segments.push(Segment::Blob {
        blob: pool[0].0,
        offset: 10,
        len: 20,
        transfer: Transfer::Identity,
        encoded_len: 20,
    });
    twice.size += 20;
    twice.meta.text_blob = Some(pool[0].0);
    s.append(inbox_a, twice).await.unwrap();
    assert_eq!(
        s.blob_info(pool[0].0).await.unwrap().unwrap().refs,
        1,
        "distinct blobs counted once per message"
    );
    let mut explicit: BTreeMap<BlobId, u64> = BTreeMap::new();
    for step in 0..120 {
        let user = if rng.gen_bool(0.5) { a.id } else { b.id };
        let mbs = s.list_mailboxes(user).await.unwrap();
        let src = mbs[rng.gen_range(0..mbs.len())].id;
        let dst = mbs[rng.gen_range(0..mbs.len())].id;
        let uids: Vec<_> = s
            .list_messages(src, all_uids())
            .await
            .unwrap()
            .iter()
            .map(|m| m.uid)
            .filter(|_| rng.gen_bool(0.4))
            .collect();
        match rng.gen_range(0..10) {
            0..=3 => {
                let parts: Vec<_> = (0..rng.gen_range(1..3))
                    .map(|_| pool[rng.gen_range(0..pool.len())])
                    .collect();
                s.append(
                    src,
                    message(b"H: x\r\n", &parts, Flags::default(), &format!("s{step}")),
                )
                .await
                .unwrap();
            }
            4 => {
                s.copy_messages(src, &uids, dst).await.unwrap();
            }
            5 if src != dst => {
                s.move_messages(src, &uids, dst).await.unwrap();
            }
            6 => {
                s.expunge(src, Some(&uids), false).await.unwrap();
            }
            7 => {
                let blob = pool[rng.gen_range(0..pool.len())].0;
                s.blob_ref(blob).await.unwrap();
                *explicit.entry(blob).or_default() += 1;
            }
            8 => {
                if let Some((&blob, n)) = explicit.iter_mut().find(|(_, n)| **n > 0) {
                    s.blob_unref(blob).await.unwrap();
                    *n -= 1;
                }
            }
            _ => {
                let mb = &mbs[rng.gen_range(0..mbs.len())];
                if mb.path != "INBOX" && rng.gen_bool(0.3) {
                    s.delete_mailbox(mb.id).await.unwrap();
                    s.create_mailbox(user, &mb.path, mb.special_use)
                        .await
                        .unwrap();
                }
            }
        }
        if let Err(e) = check_consistency_with(s, &explicit).await {
            panic!("step {step}: {e}");
        }
    }
    s.delete_user(b.id).await.unwrap();
    check_consistency_with(s, &explicit).await.unwrap();
    for (blob, n) in std::mem::take(&mut explicit) {
        for _ in 0..n {
            s.blob_unref(blob).await.unwrap();
        }
    }
    s.delete_user(a.id).await.unwrap();
    check_consistency(s).await.unwrap();
    for (id, _) in &pool {
        assert_eq!(
            s.blob_info(*id).await.unwrap().map(|b| b.refs),
            Some(0),
            "all references released"
        );
    }
}

/// Sleeps until the clock's second is past `t`, so blobs written next have a later `created`.
async fn next_second(t: i64) {
    while now() <= t {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub async fn sweep_removes_only_unreferenced_old_blobs(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let referenced_old = put_blob(s, &bytes(1, 70_000)).await;
    let orphan_old = put_blob(s, &bytes(2, 500)).await;
    let stale_upload = s.blob_begin().await.unwrap();
    s.blob_put_chunk(
        stale_upload,
        0,
        zstd::bulk::compress(b"never committed", 3).unwrap(),
    )
    .await
    .unwrap();
    let ap = s
        .append(
            inbox,
            message(b"", &[(referenced_old, 70_000)], Flags::default(), "old"),
        )
        .await
        .unwrap();

    let nothing = s.sweep(0, 0).await.unwrap();
    assert_eq!(
        (nothing.blobs, nothing.uploads, nothing.journal_entries),
        (0, 0, 0),
        "cutoff in the past removes nothing"
    );

    // Everything above (blobs and the stale upload) was created at or before `t_old`; the
    // cutoff below lies in a later second, so all of it counts as old whatever the backend's
    // speed.
    let t_old = chrono::Utc::now().timestamp();
    assert!(s.blob_info(orphan_old).await.unwrap().unwrap().created <= t_old);
    next_second(t_old).await;
    let orphan_new = put_blob(s, &bytes(3, 600)).await;
    let referenced_new = put_blob(s, &bytes(4, 700)).await;
    s.append(
        inbox,
        message(b"", &[(referenced_new, 700)], Flags::default(), "new"),
    )
    .await
    .unwrap();
    let cutoff = s.blob_info(orphan_new).await.unwrap().unwrap().created;
    assert!(t_old < cutoff);

    let stats = s.sweep(cutoff, 0).await.unwrap();
    assert_eq!(stats.blobs, 1, "only the old orphan goes: {stats:?}");
    assert!(stats.chunks >= 1, "its chunks go too: {stats:?}");
    assert_eq!(stats.uploads, 1, "the stale upload goes: {stats:?}");
    assert_eq!(s.blob_info(orphan_old).await.unwrap(), None);
    for keep in [referenced_old, orphan_new, referenced_new] {
        assert!(
            s.blob_info(keep).await.unwrap().is_some(),
            "blob {keep} must survive"
        );
    }
    assert!(
        s.blob_chunks(referenced_old, 0..=1).await.unwrap().len() == 2,
        "referenced chunks intact"
    );
    check_consistency(s).await.unwrap();

    s.expunge(inbox, Some(&[ap.uid]), false).await.unwrap();
    let stats = s.sweep(now() + 3600, 0).await.unwrap();
    assert_eq!(
        stats.blobs, 2,
        "released + young orphan go once past the cutoff: {stats:?}"
    );
    assert_eq!(s.blob_info(referenced_old).await.unwrap(), None);
    assert_eq!(s.blob_info(orphan_new).await.unwrap(), None);
    assert!(
        s.blob_info(referenced_new).await.unwrap().is_some(),
        "referenced blob never swept"
    );
    let left = s.list_blobs(None, 100).await.unwrap();
    assert!(
        left.iter().all(|b| b.refs > 0),
        "no zero-ref blob left: {left:?}"
    );
    check_consistency(s).await.unwrap();

    // Journal pruning.
    let stats = s.sweep(0, now() + 3600).await.unwrap();
    assert!(
        stats.journal_entries > 0,
        "old journal entries pruned: {stats:?}"
    );
    assert_eq!(stats.blobs, 0);
    let left = s.changes_since(inbox, ModSeq(0)).await.unwrap();
    assert!(left.len() < 4, "journal pruned: {left:?}");
    check_consistency(s).await.unwrap();
}
