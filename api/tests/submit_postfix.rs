//! Submission end to end with a real MTA: the API relays to Postfix on loopback (port 25), which
//! delivers back into Eider over LMTP. Rewrites the system Postfix configuration, so it runs only
//! with `EIDER_TEST_POSTFIX=1` (CI sets it) and the `postfix` command present, like
//! `ingest/tests/postfix.rs`.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::Api;
use eider_tests::postfix;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const LOG: &str = "/var/log/postfix-eider-api-test.log";

#[tokio::test(flavor = "multi_thread")]
async fn submit_through_postfix_back_into_eider() {
    if !postfix::available() {
        return;
    }
    let api = Api::start_with(|c| c.api.smarthost = "127.0.0.1:25".into()).await;
    let lmtp = api.world.spawn(eider_ingest::run).await.unwrap();
    std::fs::write(
        "/etc/postfix/main.cf",
        format!(
            "compatibility_level = 3.6\nmyhostname = eider-test.localdomain\n\
             inet_interfaces = loopback-only\ninet_protocols = ipv4\nmydestination =\n\
             mynetworks = 127.0.0.0/8\nvirtual_mailbox_domains = example.org\n\
             virtual_transport = lmtp:inet:127.0.0.1:{}\nsmtputf8_enable = yes\n\
             maillog_file = {LOG}\n",
            lmtp.port()
        ),
    )
    .unwrap();
    let _ = std::fs::remove_file(LOG);
    postfix::check_and_start();
    // Postfix may take a moment to listen after start.
    for _ in 0..50 {
        if tokio::net::TcpStream::connect("127.0.0.1:25").await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.user("alice", "pw", &["alice@example.org"]).await;
    let bob = api.user("bob", "pw", &["bob@example.org"]).await;
    let t = api.login("alice", "pw").await;
    let r = api
        .json(
            Method::POST,
            "/users/me/submit",
            &t,
            json!({"to": ["bob@example.org"], "subject": "through postfix", "text": "hello bob"}),
        )
        .await;
    let status = r.status();
    let body = r.text().await.unwrap();
    let inbox = api.mailbox(&bob, "INBOX").await;
    let mut got = None;
    if status == 201 {
        for _ in 0..200 {
            let v: Value = api
                .get(
                    &format!("/users/{bob}/mailboxes/{inbox}/messages"),
                    common::OP,
                )
                .await
                .json()
                .await
                .unwrap();
            if let Some(m) = v["items"].as_array().and_then(|a| a.first()) {
                got = Some(m.clone());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let log = std::fs::read_to_string(LOG).unwrap_or_default();
    postfix::control(&["stop"]);
    assert_eq!(status, 201, "{body}\npostfix log:\n{log}");
    let m = got.unwrap_or_else(|| panic!("nothing delivered in 20 s; postfix log:\n{log}"));
    assert_eq!(m["subject"], "through postfix");
    assert_eq!(m["from"][0]["address"], "alice@example.org");
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sent["recipients"], 1);
}
