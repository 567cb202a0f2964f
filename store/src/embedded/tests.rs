//! Backend-specific tests of the embedded store (the cross-backend contract is checked by the
//! conformance suite): persistence across reopen, the directory lock, group commit, counters,
//! reference counts and the sweep.

use super::{EmbeddedOptions, EmbeddedStore};
use crate::content::{put_blob, read_message};
use crate::error::StoreError;
use crate::mailstore::MailStore;
use eider_model::types::{BlobId, MailboxId, Uid};
use eider_model::{
    FlagOp, Flags, MessageMeta, NewMessage, NewUser, Segment, SystemFlags, Transfer, User,
    UserLimits,
};
use std::sync::Arc;

pub fn open(dir: &std::path::Path) -> EmbeddedStore {
    EmbeddedStore::open(dir, EmbeddedOptions::default()).expect("open store")
}

pub async fn user(store: &dyn MailStore, name: &str, quota: u64) -> User {
    store
        .create_user(NewUser {
            username: name.into(),
            password_hash: "x".into(),
            quota,
            limits: UserLimits::default(),
            spam_level: 50,
        })
        .await
        .expect("create user")
}

pub async fn inbox(store: &dyn MailStore, user: &User) -> MailboxId {
    store
        .find_mailbox(user.id, "inbox")
        .await
        .expect("find")
        .expect("INBOX exists")
        .id
}

/// A message of an inline prefix plus one identity blob segment over `body`.
pub fn message(prefix: &[u8], blob: BlobId, body_len: u64, flags: u8) -> NewMessage {
    NewMessage {
        flags: Flags {
            system: SystemFlags(flags),
            keywords: Default::default(),
        },
        internal_date: 1_700_000_000,
        internal_tz_minutes: 60,
        segments: vec![
            Segment::Inline(prefix.to_vec()),
            Segment::Blob {
                blob,
                offset: 0,
                len: body_len,
                transfer: Transfer::Identity,
                encoded_len: body_len,
            },
        ],
        size: prefix.len() as u64 + body_len,
        sha256: [0; 32],
        meta: MessageMeta::default(),
    }
}

#[tokio::test]
async fn append_read_flags_expunge_keep_counters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let alice = user(&store, "Alice", 0).await;
    let boxes = store.list_mailboxes(alice.id).await.unwrap();
    let paths: Vec<_> = boxes.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]
    );
    let inbox = inbox(&store, &alice).await;

    let body = b"Subject: hi\r\n\r\nhello world\r\n".repeat(5000);
    let blob = put_blob(&store, &body).await.unwrap();
    assert!(!blob.existed);
    let msg = message(b"Return-Path: <a@b>\r\n", blob.id, body.len() as u64, 0);
    let a1 = store.append(inbox, msg.clone()).await.unwrap();
    let a2 = store
        .append(inbox, message(b"X: y\r\n", blob.id, body.len() as u64, 1))
        .await
        .unwrap();
    assert_eq!((a1.uid, a2.uid), (Uid(1), Uid(2)));
    assert!(a2.modseq > a1.modseq);

    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((mb.messages, mb.unseen, mb.uid_next), (2, 1, Uid(3)));
    assert_eq!(mb.size, msg.size + 6 + body.len() as u64);
    assert_eq!(store.quota(alice.id).await.unwrap().used, mb.size);
    assert_eq!(store.blob_info(blob.id).await.unwrap().unwrap().refs, 2);

    let got = store.get_message(inbox, Uid(1)).await.unwrap().unwrap();
    let bytes = read_message(&store, &got.segments).await.unwrap();
    assert_eq!(&bytes[..20], &b"Return-Path: <a@b>\r\n"[..]);
    assert_eq!(&bytes[20..], body.as_slice());

    let seen = Flags {
        system: SystemFlags(SystemFlags::SEEN | SystemFlags::DELETED),
        keywords: Default::default(),
    };
    let changed = store
        .set_flags(inbox, &[Uid(1), Uid(9)], FlagOp::Add, &seen, None)
        .await
        .unwrap();
    assert_eq!(changed.changed.len(), 1);
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((mb.unseen, mb.highest_modseq), (0, changed.changed[0].1));

    let gone = store.expunge(inbox, None, true).await.unwrap();
    assert_eq!(gone, [Uid(1)]);
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((mb.messages, mb.size), (1, 6 + body.len() as u64));
    assert_eq!(store.quota(alice.id).await.unwrap().used, mb.size);
    assert_eq!(store.blob_info(blob.id).await.unwrap().unwrap().refs, 1);
    let journal = store
        .changes_since(inbox, eider_model::types::ModSeq(1))
        .await
        .unwrap();
    assert_eq!(
        journal.len(),
        4,
        "2 added, 1 flags, 1 expunged: {journal:?}"
    );
}

#[tokio::test]
async fn reopen_after_drop_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let (uid, blob) = {
        let store = open(dir.path());
        let u = user(&store, "bob", 0).await;
        let blob = put_blob(&store, b"persisted body").await.unwrap();
        store
            .append(inbox(&store, &u).await, message(b"", blob.id, 14, 0))
            .await
            .unwrap();
        (u.id, blob.id)
    };
    let store = open(dir.path());
    let u = store.find_user("BOB").await.unwrap().unwrap();
    assert_eq!(u.id, uid);
    let got = store
        .get_message(inbox(&store, &u).await, Uid(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read_message(&store, &got.segments).await.unwrap(),
        b"persisted body"
    );
    assert_eq!(store.blob_info(blob).await.unwrap().unwrap().refs, 1);
    // Counters continue, never reused.
    let v = user(&store, "carol", 0).await;
    assert!(v.id > uid);
}

#[tokio::test]
async fn second_open_is_refused_with_the_holder_pid() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path());
    let err = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unavailable(_)), "{text}");
    assert!(
        text.contains(&format!("process {}", std::process::id())),
        "{text}"
    );
    assert!(
        text.contains("eider serve") && text.contains("MongoDB"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let u = user(store.as_ref(), "dave", 0).await;
    let inbox = inbox(store.as_ref(), &u).await;
    let blob = put_blob(store.as_ref(), b"shared").await.unwrap();
    let before = store
        .stats()
        .commits
        .load(std::sync::atomic::Ordering::Relaxed);
    let n = 200u32;
    let mut tasks = Vec::new();
    for i in 0..n {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Every fifth append names a blob that does not exist: it must fail alone.
            let id = if i % 5 == 4 { BlobId([7; 32]) } else { blob.id };
            store.append(inbox, message(b"p", id, 6, 0)).await
        }));
    }
    let mut uids = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(a) => uids.push(a.uid),
            Err(StoreError::MissingBlob(b)) => assert_eq!((i % 5, b), (4, BlobId([7; 32]))),
            Err(e) => panic!("append {i}: {e}"),
        }
    }
    let ok = n - n / 5;
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len() as u32, ok, "distinct UIDs");
    let commits = store
        .stats()
        .commits
        .load(std::sync::atomic::Ordering::Relaxed)
        - before;
    assert!(
        commits < u64::from(ok),
        "{commits} commits for {ok} appends"
    );
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!((mb.messages, mb.uid_next), (ok, Uid(ok + 1)));
    assert_eq!(
        store.blob_info(blob.id).await.unwrap().unwrap().refs,
        u64::from(ok)
    );
}

/// Helper run in a child process by `another_process_is_refused`: holds the store open until its
/// stdin closes. Ignored in normal runs (it does nothing useful on its own).
#[test]
#[ignore = "helper process for another_process_is_refused"]
fn lock_holder_child() {
    use std::io::Write;
    let dir = std::env::var_os("EIDER_LOCK_CHILD_DIR").expect("EIDER_LOCK_CHILD_DIR");
    let _store = open(std::path::Path::new(&dir));
    println!("\nLOCKED");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn another_process_is_refused_until_it_exits() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "embedded::tests::lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EIDER_LOCK_CHILD_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok);
    let locked = lines.any(|l| l.trim() == "LOCKED");
    assert!(locked, "the child never reported holding the lock");
    let err = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&format!("process {}", child.id())), "{text}");
    assert!(text.contains("eider serve"), "{text}");
    drop(child.stdin.take());
    // Keep reading so the child's last words do not hit a closed pipe.
    lines.for_each(drop);
    assert!(child.wait().unwrap().success());
    // The lock died with the process.
    drop(open(dir.path()));
}
