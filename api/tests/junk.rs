//! Moving into and out of Junk emits marked.spam / marked.ham to webhooks (signed, retried)
//! and to the event stream.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::receiver;
use common::{Api, OP};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

fn hmac(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner = Sha256::new()
        .chain_update(k.map(|x| x ^ 0x36))
        .chain_update(msg)
        .finalize();
    hex::encode(
        Sha256::new()
            .chain_update(k.map(|x| x ^ 0x5c))
            .chain_update(inner)
            .finalize(),
    )
}

#[tokio::test]
async fn junk_moves_emit_signed_retried_webhooks_and_stream_events() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let junk = api.mailbox(&a, "Junk").await;
    let (url, mut hits) = receiver(1).await;
    let secret = "0123456789abcdef-secret";
    let r = api
        .json(
            Method::POST,
            "/webhooks",
            OP,
            json!({"url": url, "secret": secret}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let hook: Value = r.json().await.unwrap();
    // Users cannot manage webhooks; bad registrations are 400.
    assert_eq!(api.get("/webhooks", &t).await.status(), 403);
    for body in [
        json!({"url": "https://", "secret": secret}),
        json!({"url": "ftp://x", "secret": secret}),
        json!({"url": url, "secret": "short"}),
        json!({"url": url, "secret": secret, "events": ["marked.maybe"]}),
    ] {
        assert_eq!(
            api.json(Method::POST, "/webhooks", OP, body.clone())
                .await
                .status(),
            400,
            "{body}"
        );
    }
    let r = api.get("/users/me/updates", &t).await;
    let mut stream = r.bytes_stream();
    let uid = api
        .upload(
            &a,
            &inbox,
            b"From: spammer@example.net\r\nSubject: win\r\n\r\nbuy\r\n",
        )
        .await;
    let r = api
        .json(
            Method::PUT,
            &format!("/users/me/mailboxes/{inbox}/messages/{uid}"),
            &t,
            json!({"move_to": junk}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // First delivery refused with 500, the retry succeeds: two identical signed requests.
    for _ in 0..2 {
        let (head, body) = tokio::time::timeout(Duration::from_secs(10), hits.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(head.contains("x-eider-event: marked.spam"), "{head}");
        assert!(
            head.contains(&format!(
                "x-eider-signature: sha256={}",
                hmac(secret.as_bytes(), body.as_bytes())
            )),
            "{head}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["event"], "marked.spam");
        assert_eq!(v["user_id"], a.as_str());
        assert_eq!(v["messages"][0][0], uid);
    }
    // The stream saw it too.
    let mut seen = String::new();
    while !seen.contains("event: marked.spam") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    // Back out of Junk: ham.
    let r = api
        .json(
            Method::POST,
            &format!("/users/me/mailboxes/{junk}/messages/batch"),
            &t,
            json!({"uids": [1], "move_to": inbox}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (head, _) = tokio::time::timeout(Duration::from_secs(10), hits.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(head.contains("x-eider-event: marked.ham"), "{head}");
    // Removal.
    let id = hook["id"].as_str().unwrap();
    let r = api
        .req(Method::DELETE, &format!("/webhooks/{id}"), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = api
        .req(Method::DELETE, &format!("/webhooks/{id}"), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
