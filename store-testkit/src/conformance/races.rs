//! Conformance: races between concurrent writers. Each call is atomic, so the outcome of a race
//! must be one of the serial orders: the quota is never exceeded, a message is never both moved
//! and expunged, CONDSTORE conflicts are detected, a sweep never frees a blob an append took.

use super::fixtures::{
    all_uids, append_n, bytes, mailbox_id, make_user, message, now, put_blob, simple_message,
};
use super::{StoreFactory, check_consistency};
use eider_model::types::ModSeq;
use eider_model::{FlagOp, Flags};
use eider_store::error::StoreError;
use std::sync::Arc;

/// 16 tasks append 300-byte messages into several mailboxes of a user with a 10 000-byte quota:
/// exactly 33 fit, usage ends at 9 900.
pub async fn race_quota_never_exceeded(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 10_000).await;
    let boxes: Vec<_> = store
        .list_mailboxes(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut handles = Vec::new();
    for t in 0..16usize {
        let store = Arc::clone(&store);
        let mb = boxes[t % boxes.len()];
        let mut msgs = Vec::new();
        for i in 0..10 {
            msgs.push(
                simple_message(store.as_ref(), (t * 10 + i) as u64, 300, Flags::default()).await,
            );
        }
        handles.push(tokio::spawn(async move {
            let mut ok = 0u64;
            for m in msgs {
                match store.append(mb, m).await {
                    Ok(_) => ok += 1,
                    Err(StoreError::OverQuota) => {}
                    Err(e) => panic!("append: {e}"),
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for h in handles {
        ok += h.await.unwrap();
    }
    let q = store.quota(u.id).await.unwrap();
    assert_eq!(
        (ok, q.used),
        (33, 9_900),
        "exactly the messages that fit were accepted"
    );
    check_consistency(store.as_ref()).await.unwrap();
}

/// Moving a message while another task expunges it: it ends in exactly one place or nowhere.
pub async fn race_move_vs_expunge(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    let arch = mailbox_id(store.as_ref(), u.id, "Archive").await;
    let trash = mailbox_id(store.as_ref(), u.id, "Trash").await;
    let uids = append_n(store.as_ref(), inbox, 40, 1).await;
    let mut handles = Vec::new();
    for (k, chunk) in uids.chunks(5).enumerate() {
        for role in 0..3 {
            let store = Arc::clone(&store);
            let chunk = chunk.to_vec();
            handles.push(tokio::spawn(async move {
                let moved =
                    |r: Result<eider_model::Copied, StoreError>| r.map(|c| (c.mapping.len(), 0));
                match (role + k) % 3 {
                    0 => moved(store.move_messages(inbox, &chunk, arch).await),
                    1 => moved(store.move_messages(inbox, &chunk, trash).await),
                    _ => store
                        .expunge(inbox, Some(&chunk), false)
                        .await
                        .map(|v| (0, v.len())),
                }
                .expect("move/expunge")
            }));
        }
    }
    let (mut moved, mut expunged) = (0, 0);
    for h in handles {
        let (m, e) = h.await.unwrap();
        moved += m;
        expunged += e;
    }
    assert_eq!(
        moved + expunged,
        uids.len(),
        "each message was moved or expunged exactly once"
    );
    assert!(
        store
            .list_messages(inbox, all_uids())
            .await
            .unwrap()
            .is_empty()
    );
    let a = store.list_messages(arch, all_uids()).await.unwrap().len();
    let t = store.list_messages(trash, all_uids()).await.unwrap().len();
    assert_eq!(a + t, moved, "moved messages arrived once");
    check_consistency(store.as_ref()).await.unwrap();
}

/// Two clients STORE with the same UNCHANGEDSINCE: exactly one wins per message (RFC 7162 §3.2).
pub async fn race_condstore_conflict(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    let uids = append_n(store.as_ref(), inbox, 20, 1).await;
    let base: ModSeq = store
        .get_mailbox(inbox)
        .await
        .unwrap()
        .unwrap()
        .highest_modseq;
    let mut handles = Vec::new();
    for t in 0..4 {
        let store = Arc::clone(&store);
        let uids = uids.clone();
        handles.push(tokio::spawn(async move {
            let kw = super::fixtures::flags(0, &[&format!("client{t}")]);
            store
                .set_flags(inbox, &uids, FlagOp::Add, &kw, Some(base))
                .await
                .expect("set_flags")
        }));
    }
    let mut wins = vec![0; uids.len()];
    for h in handles {
        let fc = h.await.unwrap();
        assert_eq!(
            fc.changed.len() + fc.modified.len(),
            uids.len(),
            "every UID changed or reported"
        );
        for (uid, _, _) in fc.changed {
            wins[(uid.0 - 1) as usize] += 1;
        }
    }
    assert!(
        wins.iter().all(|w| *w == 1),
        "exactly one writer wins per message: {wins:?}"
    );
    for m in store.list_messages(inbox, all_uids()).await.unwrap() {
        assert_eq!(
            m.flags.keywords.len(),
            1,
            "uid {} has {:?}",
            m.uid,
            m.flags.keywords
        );
    }
    check_consistency(store.as_ref()).await.unwrap();
}

/// A sweep running while appends take references: a blob is either swept before the append
/// (which then fails with `MissingBlob`) or kept referenced, never freed under a message.
pub async fn race_sweep_vs_append(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    for round in 0..30u64 {
        let blob = put_blob(store.as_ref(), &bytes(round, 2000)).await;
        let appender = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let msg = message(b"", &[(blob, 2000)], Flags::default(), &format!("r{round}"));
                store.append(inbox, msg).await
            })
        };
        let sweeper = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.sweep(now() + 3600, 0).await })
        };
        let appended = appender.await.unwrap();
        sweeper.await.unwrap().expect("sweep");
        match appended {
            Ok(_) => assert_eq!(
                store.blob_info(blob).await.unwrap().map(|b| b.refs),
                Some(1),
                "round {round}"
            ),
            Err(StoreError::MissingBlob(b)) => assert_eq!(b, blob),
            Err(e) => panic!("round {round}: append: {e}"),
        }
        if let Err(e) = check_consistency(store.as_ref()).await {
            panic!("round {round}: {e}");
        }
    }
}

/// Many uploads of identical bytes committing at once: one blob, every commit succeeds.
pub async fn race_identical_blob_commits(f: &dyn StoreFactory) {
    let store = f.make().await;
    let data = Arc::new(bytes(9, 150_000));
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(&store);
        let data = Arc::clone(&data);
        handles.push(tokio::spawn(async move {
            super::fixtures::try_put_blob(store.as_ref(), &data).await
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap().expect("concurrent identical commit"));
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    let blobs = store.list_blobs(None, 10).await.unwrap();
    assert_eq!(blobs.len(), 1, "stored once: {blobs:?}");
    assert_eq!((blobs[0].size, blobs[0].refs), (150_000, 0));
    let chunks = store.blob_chunks(ids[0], 0..=2).await.unwrap();
    let decoded: Vec<u8> = chunks
        .iter()
        .flat_map(|c| zstd::stream::decode_all(&c[..]).unwrap())
        .collect();
    assert!(decoded == *data, "chunks decode to the original bytes");
}
