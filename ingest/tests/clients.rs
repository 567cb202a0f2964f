//! Real LMTP clients against `eider-ingest`: Python's `smtplib.LMTP` and `swaks`. What they
//! delivered is read back from the store and compared byte for byte. Each test skips (or fails
//! under `EIDER_REQUIRE_ALL=1`) when its tool is missing.

#![allow(clippy::unwrap_used)]

use eider_model::types::Uid;
use eider_store::content::read_message;
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

#[tokio::test(flavor = "multi_thread")]
async fn python_starttls_then_delivery() {
    if !require("python3", have_command("python3")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    eider_runtime::transport::testcert::write_test_cert(dir.path()).unwrap();
    let (cert, key, ca) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    let w = World::new(|c| {
        c.tls.cert = cert.display().to_string();
        c.tls.key = key.display().to_string();
    })
    .unwrap();
    w.user("alice", "pw", &["alice@example.org"]).await.unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    let script = r#"
import smtplib, ssl, sys
host, port, ca, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
ctx = ssl.create_default_context(cafile=ca)
c = smtplib.LMTP(host, port)
c.ehlo()
assert c.has_extn('starttls'), c.esmtp_features
c.starttls(context=ctx)
c.ehlo()
assert not c.has_extn('starttls'), c.esmtp_features
print(c.sendmail('bob@example.net', ['alice@example.org'], msg))
print(c.sock.version())
"#;
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(&ca)
        .arg(MSG);
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("{}") && stdout.contains("TLSv1."),
        "{stdout}"
    );
    let want =
        format!("Return-Path: <bob@example.net>\r\nDelivered-To: alice@example.org\r\n{MSG}");
    assert_eq!(inbox_message(&w, "alice", 1).await, want.as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_refuses_pipelined_plaintext() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    eider_runtime::transport::testcert::write_test_cert(dir.path()).unwrap();
    let w = World::new(|c| {
        c.tls.cert = dir.path().join("cert.pem").display().to_string();
        c.tls.key = dir.path().join("key.pem").display().to_string();
    })
    .unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // An attacker's injected command rides in the same packet as STARTTLS.
    s.write_all(b"LHLO x\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(
        out.contains("250-STARTTLS") || out.contains("250 STARTTLS"),
        "{out}"
    );
    assert!(out.contains("503 5.5.1"), "{out}");
    assert!(!out.contains("220 2.0.0"), "must not start TLS: {out}");
}
