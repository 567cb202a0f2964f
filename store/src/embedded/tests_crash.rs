//! Crash test: a child process appends concurrently and is killed with SIGKILL; after reopening,
//! every acknowledged append is there and every counter equals a recount.

use super::tests::{inbox, message, open, user};
use super::{EmbeddedOptions, EmbeddedStore};
use crate::content::put_blob;
use crate::mailstore::MailStore;
use eider_model::types::Uid;
use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::sync::Arc;

/// Helper run in a child process by `killed_writer_loses_no_acknowledged_append`.
#[test]
#[ignore = "helper process for killed_writer_loses_no_acknowledged_append"]
fn crash_writer_child() {
    let dir = std::env::var_os("EIDER_CRASH_CHILD_DIR").expect("EIDER_CRASH_CHILD_DIR");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Arc::new(open(std::path::Path::new(&dir)));
        let u = store.find_user("crash").await.unwrap().unwrap();
        let inbox = inbox(store.as_ref(), &u).await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for task in 0..8u32 {
            let (store, tx) = (store.clone(), tx.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    // Each message gets its own blob too, so blob commits race with appends.
                    let body = format!("task {task} message {i}");
                    let blob = put_blob(store.as_ref(), body.as_bytes()).await.unwrap();
                    let msg = message(b"P: 1\r\n", blob.id, blob.size, (i % 2) as u8);
                    let a = store.append(inbox, msg).await.unwrap();
                    if tx.send(a.uid).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut out = std::io::stdout();
        while let Some(uid) = rx.recv().await {
            writeln!(out, "ACK {}", uid.0).unwrap();
            out.flush().unwrap();
        }
    });
}

#[tokio::test]
async fn killed_writer_loses_no_acknowledged_append() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        user(&store, "crash", 0).await;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "embedded::tests_crash::crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EIDER_CRASH_CHILD_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = BTreeSet::new();
    for line in std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
    {
        if let Some(uid) = line.trim().strip_prefix("ACK ") {
            acked.insert(Uid(uid.parse().unwrap()));
        }
        if acked.len() >= 300 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        acked.len() >= 300,
        "child acknowledged only {}",
        acked.len()
    );

    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let u = store.find_user("crash").await.unwrap().unwrap();
    let inbox = inbox(&store, &u).await;
    let all = store
        .get_messages(inbox, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap();
    let present: BTreeSet<Uid> = all.iter().map(|m| m.summary.uid).collect();
    assert!(acked.is_subset(&present), "acknowledged appends lost");
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    let size: u64 = all.iter().map(|m| m.summary.size).sum();
    let unseen = all.iter().filter(|m| !m.summary.flags.seen()).count() as u32;
    assert_eq!(mb.messages as usize, all.len());
    assert_eq!((mb.size, mb.unseen), (size, unseen));
    assert!(mb.uid_next > *present.last().unwrap());
    assert_eq!(store.quota(u.id).await.unwrap().used, size);
    for m in &all {
        let body = crate::embedded::messages::MessageBody {
            segments: m.segments.clone(),
            sha256: m.sha256,
            meta: m.meta.clone(),
        };
        for blob in body.blobs() {
            let info = store.blob_info(blob).await.unwrap().unwrap();
            assert_eq!(info.refs, 1, "each message has its own blob");
        }
        let bytes = crate::content::read_message(&store, &m.segments)
            .await
            .unwrap();
        assert_eq!(bytes.len() as u64, m.summary.size);
    }
}
