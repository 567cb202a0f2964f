//! `kill -9` of a real `eider-ingest` process in the middle of DATA: the restarted daemon has no
//! partial message, no leaked reference and no counter drift, and accepts the retry.

#![allow(clippy::unwrap_used)]

use eider_model::NewUser;
use eider_model::types::Uid;
use eider_store::MailStore;
use eider_store::content::read_message;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_tests::lmtp_client::LmtpClient;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eider-ingest"))
        .env("EIDER_DATA_DIR", dir)
        .env("EIDER_LMTP_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_listening(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("eider-ingest did not start listening on {port}");
}

fn open(dir: &std::path::Path) -> EmbeddedStore {
    EmbeddedStore::open(dir, EmbeddedOptions::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_data_leaves_nothing_and_retry_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let u = store
            .create_user(NewUser {
                username: "alice".into(),
                password_hash: String::new(),
                quota: 0,
                limits: Default::default(),
                spam_level: 0,
            })
            .await
            .unwrap();
        store
            .add_address(u.id, "alice@example.org", "alice@example.org")
            .await
            .unwrap();
    }
    // A message with a large base64 attachment, so blobs are being written when we kill.
    let attachment: String = (0..40_000).map(|i| format!("{:076}\r\n", i)).collect();
    let msg = format!(
        "Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--b--\r\n",
        attachment.replace(|c: char| c.is_ascii_digit(), "Q")
    );
    let port = free_port();
    let mut child = start(dir.path(), port);
    wait_listening(port).await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = b"LHLO x\r\nMAIL FROM:<b@x>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n";
    s.write_all(head).await.unwrap();
    s.write_all(&msg.as_bytes()[..msg.len() * 2 / 3])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    drop(s);

    let mut child = start(dir.path(), port);
    wait_listening(port).await;
    let mut c = LmtpClient::connect(&format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let (_, r) = c
        .deliver("b@x", &["alice@example.org"], msg.as_bytes())
        .await
        .unwrap();
    assert_eq!(r[0].code, 250, "{r:?}");
    c.quit().await.unwrap();
    // SIGTERM: graceful stop releases the store.
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    child.wait().unwrap();

    let store = open(dir.path());
    eider_store_testkit::conformance::check_consistency(&store)
        .await
        .unwrap();
    let u = store.find_user("alice").await.unwrap().unwrap();
    let inbox = store.find_mailbox(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(inbox.messages, 1, "only the retried delivery is there");
    let m = store.get_message(inbox.id, Uid(1)).await.unwrap().unwrap();
    let bytes = read_message(&store, &m.segments).await.unwrap();
    assert!(bytes.ends_with(msg.as_bytes()));
    // Whatever the killed delivery left is unreferenced and goes with the sweep.
    let future = chrono::Utc::now().timestamp() + 10;
    store.sweep(future, 0).await.unwrap();
    eider_store_testkit::conformance::check_consistency(&store)
        .await
        .unwrap();
    let blobs = store.list_blobs(None, 100).await.unwrap();
    assert!(blobs.iter().all(|b| b.refs > 0), "{blobs:?}");
    assert_eq!(read_message(&store, &m.segments).await.unwrap(), bytes);
}
