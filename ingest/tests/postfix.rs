//! A real MTA in front of `eider-ingest`: Postfix relays to it over LMTP (the way operators run
//! Eider). The test rewrites the system Postfix configuration, so it runs only where that is
//! allowed: `EIDER_TEST_POSTFIX=1` (CI sets it) and the `postfix` command present.

#![allow(clippy::unwrap_used)]

use eider_model::types::Uid;
use eider_store::content::read_message;
use eider_tests::harness::World;
use eider_tests::postfix;
use std::process::{Command, Stdio};
use std::time::Duration;

const LOG: &str = "/var/log/postfix-eider-test.log";

fn main_cf(port: u16) -> String {
    format!(
        "compatibility_level = 3.6\n\
         myhostname = eider-test.localdomain\n\
         inet_interfaces = loopback-only\n\
         inet_protocols = ipv4\n\
         mydestination =\n\
         mynetworks = 127.0.0.0/8\n\
         virtual_mailbox_domains = example.org\n\
         virtual_transport = lmtp:inet:127.0.0.1:{port}\n\
         smtputf8_enable = yes\n\
         maillog_file = {LOG}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_relays_to_eider_over_lmtp() {
    if !postfix::available() {
        return;
    }
    let w = World::new(|_| {}).unwrap();
    w.user("alice", "pw", &["alice@example.org"]).await.unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    std::fs::write("/etc/postfix/main.cf", main_cf(addr.port())).unwrap();
    let _ = std::fs::remove_file(LOG);
    postfix::check_and_start();
    let body = "Subject: via postfix\r\nFrom: bob@example.net\r\nMessage-ID: <pf1@example.net>\r\n\r\nRelayed by a real MTA.\r\n";
    let mut sendmail = Command::new("sendmail")
        .args(["-f", "bob@example.net", "alice@example.org"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    sendmail
        .stdin
        .take()
        .unwrap()
        .write_all(body.replace("\r\n", "\n").as_bytes())
        .unwrap();
    assert!(sendmail.wait().unwrap().success());

    let alice = w.store.find_user("alice").await.unwrap().unwrap();
    let inbox = w
        .store
        .find_mailbox(alice.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    let mut stored = None;
    for _ in 0..200 {
        if let Some(m) = w.store.get_message(inbox.id, Uid(1)).await.unwrap() {
            stored = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(LOG).unwrap_or_default();
    postfix::control(&["stop"]);
    let m = stored.unwrap_or_else(|| panic!("nothing delivered in 20 s; postfix log:\n{log}"));
    let bytes = String::from_utf8(read_message(&*w.store, &m.segments).await.unwrap()).unwrap();
    assert!(
        bytes.starts_with("Return-Path: <bob@example.net>\r\nDelivered-To: alice@example.org\r\n"),
        "{bytes}"
    );
    assert!(
        bytes.contains("Received: "),
        "Postfix adds its trace header: {bytes}"
    );
    // Postfix may add headers it finds missing (Date, To), but the body arrives untouched.
    assert!(bytes.contains("Subject: via postfix\r\n"), "{bytes}");
    assert!(
        bytes.ends_with("\r\n\r\nRelayed by a real MTA.\r\n"),
        "{bytes}"
    );
    assert!(log.contains("status=sent (250 2.0.0"), "{log}");
}
