//! The driver over an in-memory stream: a large BODY[] is streamed in bounded windows (the
//! output buffer never holds more than a window plus the high-water mark), and a large APPEND
//! is stored without the connection buffering it.

use super::*;
use crate::server::Options;
use eider_model::NewUser;
use eider_runtime::Context;
use eider_runtime::config::Config;
use eider_store::MailStore;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn big_message(mib: usize) -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nSubject: big\r\n\r\n".to_vec();
    let mut i: u64 = 0;
    while m.len() < mib << 20 {
        i += 1;
        m.extend_from_slice(
            format!("line {i:>10} of a long plain text body........\r\n").as_bytes(),
        );
    }
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn large_append_and_fetch_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MailStore> =
        Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap());
    store
        .create_user(NewUser {
            username: "u".into(),
            password_hash: eider_runtime::password::hash("p").unwrap(),
            quota: 0,
            limits: Default::default(),
            spam_level: 0,
        })
        .await
        .unwrap();
    let ctx = Context::new(Arc::new(Config::default()), store);
    let shared = Arc::new(Shared::new(ctx, Options::default()));
    let (client, server) = tokio::io::duplex(64 * 1024);
    let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let mut conn = Conn::new(Box::new(server), peer, shared, Shutdown::new());
    let task = tokio::spawn(async move {
        conn.run().await.unwrap();
        (conn.wire.peak, conn.rx.has_buffered())
    });
    let (r, mut w) = tokio::io::split(client);
    let mut r = BufReader::new(r);
    let msg = big_message(20);
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    w.write_all(format!("a LOGIN u p\r\nb APPEND INBOX {{{}+}}\r\n", msg.len()).as_bytes())
        .await
        .unwrap();
    // Written while the server reads: it must consume the literal as it arrives.
    w.write_all(&msg).await.unwrap();
    w.write_all(b"\r\nc SELECT INBOX\r\nd FETCH 1 BODY.PEEK[]\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        if let Some(n) = line
            .strip_prefix("* 1 FETCH (BODY[] {")
            .and_then(|s| s.trim_end().strip_suffix('}'))
        {
            let mut body = vec![0; n.parse().unwrap()];
            r.read_exact(&mut body).await.unwrap();
            got = body;
        }
        assert!(!line.starts_with("b NO") && !line.contains("BAD"), "{line}");
        if line.starts_with("d ") {
            break;
        }
    }
    assert!(
        got == msg,
        "BODY[] differs: {} vs {} bytes",
        got.len(),
        msg.len()
    );
    w.write_all(b"e LOGOUT\r\n").await.unwrap();
    let mut rest = String::new();
    r.read_to_string(&mut rest).await.unwrap();
    let (peak, _) = task.await.unwrap();
    assert!(peak < 1 << 20, "output buffer peaked at {peak} bytes");
}
