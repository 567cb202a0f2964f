//! Real LMTP clients against `eider-ingest`: Python's `smtplib.LMTP` and `swaks`. What they
//! delivered is read back from the store and compared byte for byte. Each test skips (or fails
//! under `EIDER_REQUIRE_ALL=1`) when its tool is missing.

#![allow(clippy::unwrap_used)]

use eider_common::content::read_message;
use eider_common::types::Uid;
use eider_tests::harness::World;
use eider_tests::{have_command, require};
use std::net::SocketAddr;
use std::process::Command;

const MSG: &str = "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <m2@example.net>\r\n\r\nHallo Alice.\r\n..\r\nEnde.\r\n";

async fn world() -> (World, SocketAddr) {
    let w = World::new(|_| {}).unwrap();
    w.user("alice", "pw", &["alice@example.org"]).await.unwrap();
    w.user("bob", "pw", &["bob@example.org"]).await.unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    (w, addr)
}

async fn inbox_message(w: &World, user: &str, uid: u32) -> Vec<u8> {
    let u = w.store.find_user(user).await.unwrap().unwrap();
    let mb = w.store.find_mailbox(u.id, "INBOX").await.unwrap().unwrap();
    let m = w.store.get_message(mb.id, Uid(uid)).await.unwrap().unwrap();
    read_message(&*w.store, &m.segments).await.unwrap()
}

/// Runs a blocking child process off the async runtime.
async fn run(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_smtplib_lmtp_multi_recipient() {
    if !require("python3", have_command("python3")) {
        return;
    }
    let (w, addr) = world().await;
    // smtplib.LMTP.sendmail reads one reply after DATA (the first accepted recipient's); the
    // second accepted recipient's reply is read with getreply(), as RFC 2033 §4.2 sends one each.
    let script = r#"
import smtplib, sys
host, port, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
c = smtplib.LMTP(host, port)
refused = c.sendmail('bob@example.net', ['alice@example.org', 'ghost@example.org', 'bob@example.org'], msg)
code, text = c.getreply()
print(sorted(refused.keys()), code)
c.sendmail('bob@example.net', ['alice@example.org'], msg)
c.quit()
"#;
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        script,
        &addr.ip().to_string(),
        &addr.port().to_string(),
        MSG,
    ]);
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "['ghost@example.org'] 250");
    let want =
        |rcpt: &str| format!("Return-Path: <bob@example.net>\r\nDelivered-To: {rcpt}\r\n{MSG}");
    assert_eq!(
        inbox_message(&w, "alice", 1).await,
        want("alice@example.org").as_bytes()
    );
    assert_eq!(
        inbox_message(&w, "alice", 2).await,
        want("alice@example.org").as_bytes()
    );
    assert_eq!(
        inbox_message(&w, "bob", 1).await,
        want("bob@example.org").as_bytes()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn swaks_lmtp() {
    if !require("swaks", have_command("swaks")) {
        return;
    }
    let (w, addr) = world().await;
    let file = w.dir.path().join("msg.eml");
    // swaks ends the data with CRLF.CRLF after the file's last byte: give it the message
    // without its final line ending, so what arrives is MSG exactly.
    std::fs::write(&file, MSG.strip_suffix("\r\n").unwrap()).unwrap();
    let mut cmd = Command::new("swaks");
    cmd.args([
        "--server",
        &addr.ip().to_string(),
        "--port",
        &addr.port().to_string(),
        "--protocol",
        "LMTP",
        "--from",
        "bob@example.net",
        "--to",
        "alice@example.org,bob@example.org",
        "--data",
    ])
    .arg(&file);
    let out = run(cmd).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("<-  250 2.0.0 Saved").count(), 2, "{text}");
    let want =
        format!("Return-Path: <bob@example.net>\r\nDelivered-To: alice@example.org\r\n{MSG}");
    assert_eq!(
        String::from_utf8_lossy(&inbox_message(&w, "alice", 1).await),
        want
    );
}
