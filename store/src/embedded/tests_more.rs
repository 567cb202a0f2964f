//! More backend-specific tests: names, threads, copy/move, rename, deletion, sweep, events and
//! per-operation atomicity inside a group commit.

use super::tests::{inbox, message, open, user};
use crate::content::put_blob;
use crate::error::StoreError;
use crate::mailstore::MailStore;
use eider_model::types::{BlobId, ModSeq, Uid, UserId};
use eider_model::{Change, FlagOp, Flags, MessageMeta, Segment, SystemFlags, Transfer};
use std::sync::Arc;

fn with_ids(mut msg: eider_model::NewMessage, id: &str, refs: &[&str]) -> eider_model::NewMessage {
    msg.meta = MessageMeta {
        message_id: Some(id.into()),
        references: refs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    msg
}

#[tokio::test]
async fn usernames_are_unique_after_nfc_and_lowercase() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let nfc = user(&store, "J\u{00F6}rg", 0).await;
    let err = store
        .create_user(eider_model::NewUser {
            username: "JO\u{0308}RG".into(),
            password_hash: String::new(),
            quota: 0,
            limits: Default::default(),
            spam_level: 0,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err}");
    let found = store.find_user("jo\u{0308}rg").await.unwrap().unwrap();
    assert_eq!(found.id, nfc.id);
    assert_eq!(found.username, "J\u{00F6}rg");
}

#[tokio::test]
async fn threads_follow_references_in_either_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "t", 0).await;
    let inbox = inbox(&store, &u).await;
    let blob = put_blob(&store, b"x").await.unwrap().id;
    let m = |id: &str, refs: &[&str]| with_ids(message(b"", blob, 1, 0), id, refs);
    let a = store.append(inbox, m("a@x", &[])).await.unwrap().uid;
    let b = store.append(inbox, m("b@x", &["a@x"])).await.unwrap().uid;
    let c = store.append(inbox, m("c@x", &[])).await.unwrap().uid;
    // A reply that arrives before its parent: the parent joins the reply's thread.
    let d = store.append(inbox, m("d@x", &["p@x"])).await.unwrap().uid;
    let p = store.append(inbox, m("p@x", &[])).await.unwrap().uid;
    let list = store
        .list_messages(inbox, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap();
    let thread = |uid: Uid| list.iter().find(|s| s.uid == uid).unwrap().thread;
    assert_eq!(thread(a), thread(b));
    assert_ne!(thread(a), thread(c));
    assert_eq!(thread(d), thread(p));
    assert_ne!(thread(d), thread(a));
    // Copies keep their thread.
    let sent = store.find_mailbox(u.id, "Sent").await.unwrap().unwrap().id;
    let copied = store.copy_messages(inbox, &[b], sent).await.unwrap();
    let copy = store
        .get_message(sent, copied.mapping[0].1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.summary.thread, thread(a));
    // Threads are per user.
    let v = user(&store, "v", 0).await;
    let vin = super::tests::inbox(&store, &v).await;
    let other = store.append(vin, m("b@x", &["a@x"])).await.unwrap().uid;
    let vt = store
        .get_message(vin, other)
        .await
        .unwrap()
        .unwrap()
        .summary
        .thread;
    assert_ne!(vt, thread(a));
}

#[tokio::test]
async fn copy_and_move_keep_counters_refs_and_quota() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "q", 100).await;
    let inbox = inbox(&store, &u).await;
    let archive = store
        .find_mailbox(u.id, "Archive")
        .await
        .unwrap()
        .unwrap()
        .id;
    let blob = put_blob(&store, &[b'z'; 30]).await.unwrap().id;
    store
        .append(inbox, message(b"12345", blob, 30, 0))
        .await
        .unwrap();
    store
        .append(inbox, message(b"", blob, 30, SystemFlags::SEEN))
        .await
        .unwrap();
    // 35 + 30 used; another 35 fits, a copy of both (65) does not.
    let err = store
        .append(inbox, message(b"123456", blob, 30, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OverQuota), "{err}");
    let err = store
        .copy_messages(inbox, &[Uid(1), Uid(2)], archive)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OverQuota), "{err}");
    assert_eq!(store.blob_info(blob).await.unwrap().unwrap().refs, 2);

    let moved = store
        .move_messages(inbox, &[Uid(2), Uid(1), Uid(7)], archive)
        .await
        .unwrap();
    assert_eq!(moved.mapping, [(Uid(1), Uid(1)), (Uid(2), Uid(2))]);
    let (src, dst) = (
        store.get_mailbox(inbox).await.unwrap().unwrap(),
        store.get_mailbox(archive).await.unwrap().unwrap(),
    );
    assert_eq!((src.messages, src.unseen, src.size), (0, 0, 0));
    assert_eq!((dst.messages, dst.unseen, dst.size), (2, 1, 65));
    assert_eq!(moved.uid_validity, dst.uid_validity);
    assert_eq!(store.quota(u.id).await.unwrap().used, 65);
    assert_eq!(store.blob_info(blob).await.unwrap().unwrap().refs, 2);
    let flags = store
        .get_message(archive, Uid(2))
        .await
        .unwrap()
        .unwrap()
        .summary
        .flags;
    assert!(flags.seen());
    let src_journal = store.changes_since(inbox, ModSeq(1)).await.unwrap();
    let expunged = src_journal
        .iter()
        .filter(|e| matches!(e.change, Change::Expunged { .. }))
        .count();
    assert_eq!(expunged, 2);

    let copied = store
        .copy_messages(archive, &[Uid(1)], inbox)
        .await
        .unwrap();
    assert_eq!(copied.mapping, [(Uid(1), Uid(3))]);
    assert_eq!(store.quota(u.id).await.unwrap().used, 100);
    assert_eq!(store.blob_info(blob).await.unwrap().unwrap().refs, 3);
}

#[tokio::test]
async fn rename_is_atomic_when_a_child_collides() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "r2", 0).await;
    let a = store.create_mailbox(u.id, "a", None).await.unwrap();
    let ax = store.create_mailbox(u.id, "a/x", None).await.unwrap();
    let ay = store.create_mailbox(u.id, "a/y", None).await.unwrap();
    store.create_mailbox(u.id, "b/x", None).await.unwrap();
    let err = store.rename_mailbox(a.id, "b").await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err}");
    assert_eq!(store.get_mailbox(a.id).await.unwrap().unwrap().path, "a");
    assert_eq!(store.get_mailbox(ay.id).await.unwrap().unwrap().path, "a/y");

    store.rename_mailbox(a.id, "n").await.unwrap();
    let ax2 = store.get_mailbox(ax.id).await.unwrap().unwrap();
    assert_eq!(ax2.path, "n/x");
    assert_eq!(ax2.uid_validity, ax.uid_validity);
    assert!(store.find_mailbox(u.id, "a/x").await.unwrap().is_none());
    let inbox_id = inbox(&store, &u).await;
    let err = store.rename_mailbox(inbox_id, "old").await.unwrap_err();
    assert!(matches!(err, StoreError::NotAllowed(_)), "{err}");
    let err = store.rename_mailbox(a.id, "n/x/deeper").await.unwrap_err();
    assert!(matches!(err, StoreError::NotAllowed(_)), "{err}");
    let err = store.delete_mailbox(inbox_id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotAllowed(_)), "{err}");
}

#[tokio::test]
async fn uidvalidity_grows_when_a_name_is_reused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "uv", 0).await;
    let first = store.create_mailbox(u.id, "x", None).await.unwrap();
    store.delete_mailbox(first.id).await.unwrap();
    let second = store.create_mailbox(u.id, "x", None).await.unwrap();
    assert!(second.uid_validity > first.uid_validity);
    assert_ne!(second.id, first.id);
}

#[tokio::test]
async fn delete_user_releases_blobs_and_sweep_reclaims_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "gone", 0).await;
    let keep = user(&store, "keep", 0).await;
    store
        .add_address(u.id, "gone@example.org", "Gone@example.org")
        .await
        .unwrap();
    let shared = put_blob(&store, b"shared").await.unwrap().id;
    let own = put_blob(&store, b"own!!!").await.unwrap().id;
    let ui = inbox(&store, &u).await;
    let ki = inbox(&store, &keep).await;
    store.append(ui, message(b"", shared, 6, 0)).await.unwrap();
    store.append(ui, message(b"", own, 6, 0)).await.unwrap();
    store.append(ki, message(b"", shared, 6, 0)).await.unwrap();
    store.delete_user(u.id).await.unwrap();
    assert!(store.get_user(u.id).await.unwrap().is_none());
    assert!(store.get_mailbox(ui).await.unwrap().is_none());
    assert!(
        store
            .lookup_address("gone@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.list_mailboxes(u.id).await.unwrap().is_empty());
    assert_eq!(store.blob_info(shared).await.unwrap().unwrap().refs, 1);
    assert_eq!(store.blob_info(own).await.unwrap().unwrap().refs, 0);

    // Within the grace period nothing goes; past it the unreferenced blob does.
    let now = super::unix_now();
    let swept = store.sweep(now - 3600, i64::MIN).await.unwrap();
    assert_eq!(swept.blobs, 0);
    let swept = store.sweep(now + 10, i64::MIN).await.unwrap();
    assert_eq!((swept.blobs, swept.chunks), (1, 1));
    assert!(store.blob_info(own).await.unwrap().is_none());
    assert!(store.blob_info(shared).await.unwrap().is_some());
    // An append naming the swept blob fails cleanly.
    let err = store.append(ki, message(b"", own, 6, 0)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::MissingBlob(b) if b == own),
        "{err}"
    );
    // The name is free again.
    user(&store, "GONE", 0).await;
}

#[tokio::test]
async fn sweep_removes_stale_uploads_and_old_journal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "s", 0).await;
    let inbox = inbox(&store, &u).await;
    let upload = store.blob_begin().await.unwrap();
    store
        .blob_put_chunk(upload, 0, vec![1, 2, 3])
        .await
        .unwrap();
    let blob = put_blob(&store, b"abc").await.unwrap().id;
    store.append(inbox, message(b"", blob, 3, 0)).await.unwrap();
    let now = super::unix_now();
    let swept = store.sweep(now + 10, now + 10).await.unwrap();
    assert_eq!((swept.uploads, swept.chunks, swept.blobs), (1, 1, 0));
    assert!(swept.journal_entries >= 2, "{swept:?}");
    assert!(
        store
            .changes_since(inbox, ModSeq(0))
            .await
            .unwrap()
            .is_empty()
    );
    let err = store.blob_put_chunk(upload, 1, vec![]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
}

#[tokio::test]
async fn recommitting_an_unreferenced_blob_restarts_its_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = put_blob(&store, b"again").await.unwrap().id;
    let created = store.blob_info(id).await.unwrap().unwrap().created;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(put_blob(&store, b"again").await.unwrap().existed);
    let refreshed = store.blob_info(id).await.unwrap().unwrap().created;
    assert!(refreshed > created);
    let swept = store.sweep(refreshed, i64::MIN).await.unwrap();
    assert_eq!(swept.blobs, 0, "created == cutoff is still protected");
    store.blob_ref(id).await.unwrap();
    let swept = store.sweep(refreshed + 100, i64::MIN).await.unwrap();
    assert_eq!(swept.blobs, 0, "referenced blobs are kept");
    store.blob_unref(id).await.unwrap();
    assert!(store.blob_unref(id).await.is_err());
}

#[tokio::test]
async fn events_follow_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let u = user(&store, "e", 0).await;
    let inbox = inbox(&store, &u).await;
    let mut events = store.subscribe();
    let blob = put_blob(&store, b"e").await.unwrap().id;
    let a = store.append(inbox, message(b"", blob, 1, 0)).await.unwrap();
    let ev = events.recv().await.unwrap();
    assert_eq!((ev.user, ev.mailbox, ev.modseq), (u.id, inbox, a.modseq));
    let flags = Flags {
        system: SystemFlags(SystemFlags::FLAGGED),
        keywords: Default::default(),
    };
    let changed = store
        .set_flags(inbox, &[a.uid], FlagOp::Add, &flags, Some(ModSeq(1)))
        .await
        .unwrap();
    assert_eq!(changed.modified, [a.uid], "modseq above UNCHANGEDSINCE");
    assert!(events.try_recv().is_err(), "no change, no event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_operation_leaves_no_trace_in_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let u = user(store.as_ref(), "batch", 0).await;
    let inbox = inbox(store.as_ref(), &u).await;
    let blob = put_blob(store.as_ref(), b"0123456789").await.unwrap().id;
    let missing = BlobId([0xee; 32]);
    let mut tasks = Vec::new();
    for i in 0..100u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut msg = message(b"", blob, 10, 0);
            if i % 3 == 0 {
                // The existing blob's reference is taken before the missing one is noticed.
                msg.segments.push(Segment::Blob {
                    blob: missing,
                    offset: 0,
                    len: 1,
                    transfer: Transfer::Identity,
                    encoded_len: 1,
                });
                msg.size += 1;
            }
            store.append(inbox, msg).await.is_ok()
        }));
    }
    let mut ok = 0u64;
    for t in tasks {
        ok += u64::from(t.await.unwrap());
    }
    assert_eq!(ok, 66);
    assert_eq!(store.blob_info(blob).await.unwrap().unwrap().refs, ok);
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((u64::from(mb.messages), mb.size), (ok, ok * 10));
    assert_eq!(store.quota(u.id).await.unwrap().used, ok * 10);
    assert!(store.get_user(UserId(999)).await.unwrap().is_none());
}
