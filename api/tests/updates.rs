//! The SSE change stream: live events, and resuming with Last-Event-ID.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Reads SSE frames until one of type `kind`; returns (id, data).
async fn next_event(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buf: &mut String,
    kind: &str,
) -> (String, Value) {
    loop {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let (mut ev, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    ev = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if ev == kind {
                return (id, serde_json::from_str(&data).unwrap());
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("event in time")
            .expect("stream open")
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn live_events_and_resume() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let r = api.get("/users/me/updates", &t).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut s = r.bytes_stream();
    let mut buf = String::new();
    let (ready_id, _) = next_event(&mut s, &mut buf, "ready").await;
    let uid = api
        .upload(
            &a,
            &inbox,
            b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n",
        )
        .await;
    let (_, added) = next_event(&mut s, &mut buf, "message.added").await;
    assert_eq!(added["uid"], uid);
    assert_eq!(added["mailbox"], inbox.as_str());
    let r = api
        .json(
            Method::PUT,
            &format!("/users/me/mailboxes/{inbox}/messages/{uid}"),
            &t,
            json!({"add_flags": ["\\Seen"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (after_flags, flags) = next_event(&mut s, &mut buf, "message.flags").await;
    assert_eq!(flags["flags"], json!(["\\Seen"]));
    let r = api
        .req(
            Method::DELETE,
            &format!("/users/me/mailboxes/{inbox}/messages/{uid}"),
            Some(&t),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, gone) = next_event(&mut s, &mut buf, "message.expunged").await;
    assert_eq!(gone["uid"], uid);
    drop(s);

    // Resume from before the upload: the whole history again, in order.
    let r = api
        .req(Method::GET, "/users/me/updates", Some(&t))
        .header("last-event-id", &ready_id)
        .send()
        .await
        .unwrap();
    let mut s = r.bytes_stream();
    let mut buf = String::new();
    let (_, added) = next_event(&mut s, &mut buf, "message.added").await;
    assert_eq!(added["uid"], uid);
    drop(s);
    // Resume from after the flag change: only the expunge.
    let r = api
        .req(Method::GET, "/users/me/updates", Some(&t))
        .header("last-event-id", &after_flags)
        .send()
        .await
        .unwrap();
    let mut s = r.bytes_stream();
    let mut buf = String::new();
    let (_, _) = next_event(&mut s, &mut buf, "ready").await;
    let (_, gone) = next_event(&mut s, &mut buf, "message.expunged").await;
    assert_eq!(gone["uid"], uid);
    assert!(!buf.contains("message.added"));

    // Bad Last-Event-ID, other users.
    let r = api
        .req(Method::GET, "/users/me/updates", Some(&t))
        .header("last-event-id", "!!!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b = api.user("bob", "pw", &[]).await;
    assert_eq!(
        api.get(&format!("/users/{b}/updates"), &t).await.status(),
        403
    );
    assert_eq!(
        api.get(&format!("/users/{b}/updates"), OP).await.status(),
        200
    );
}
