//! Gmail-like search over HTTP, run by the IMAP SEARCH engine.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use reqwest::Method;
use serde_json::{Value, json};

fn msg(from: &str, subject: &str, body: &str, attach: bool) -> Vec<u8> {
    if attach {
        format!(
            "From: {from}\r\nTo: alice@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n\
             --b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\nxyz\r\n--b--\r\n"
        )
        .into_bytes()
    } else {
        format!("From: {from}\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\r\n{body}\r\n")
            .into_bytes()
    }
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn uids(api: &Api, user: &str, q: &str) -> Vec<(String, u64)> {
    let r = api
        .req(
            Method::GET,
            &format!("/users/{user}/search?q={}", enc(q)),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{q}");
    let v: Value = r.json().await.unwrap();
    let mut out: Vec<(String, u64)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mailbox"].as_str().unwrap().to_owned(),
                m["uid"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn gmail_like_queries() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let sent = api.mailbox(&a, "Sent").await;
    let trash = api.mailbox(&a, "Trash").await;
    api.upload(
        &a,
        &inbox,
        &msg("bob@example.org", "Lunch plans", "tacos on friday", false),
    )
    .await; // 1
    api.upload(
        &a,
        &inbox,
        &msg("carol@example.org", "Report", "see the numbers", true),
    )
    .await; // 2
    api.upload(
        &a,
        &sent,
        &msg("alice@example.org", "Re: Lunch plans", "yes tacos", false),
    )
    .await; // 1
    api.upload(
        &a,
        &trash,
        &msg("bob@example.org", "old tacos", "tacos", false),
    )
    .await; // 1
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{a}/mailboxes/{inbox}/messages/2"),
            OP,
            json!({"add_flags": ["\\Seen"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let i = |u| (inbox.clone(), u);
    let s = |u| (sent.clone(), u);
    let t = |u| (trash.clone(), u);
    for (q, want) in [
        ("from:bob", vec![i(1)]),
        ("tacos", {
            let mut v = vec![i(1), s(1)];
            v.sort();
            v
        }),
        ("tacos in:anywhere", {
            let mut v = vec![i(1), s(1), t(1)];
            v.sort();
            v
        }),
        ("tacos in:sent", vec![s(1)]),
        ("subject:\"lunch plans\"", {
            let mut v = vec![i(1), s(1)];
            v.sort();
            v
        }),
        ("has:attachment", vec![i(2)]),
        ("is:unread in:INBOX", vec![i(1)]),
        ("is:read", vec![i(2)]),
        ("larger:100000", vec![]),
        ("-tacos in:inbox", vec![i(2)]),
    ] {
        assert_eq!(uids(&api, &a, q).await, want, "{q}");
    }
    for bad in ["is:purple", "before:2024/99/99", "larger:x"] {
        let r = api
            .req(
                Method::GET,
                &format!("/users/{a}/search?q={}", enc(bad)),
                Some(OP),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = api
        .req(
            Method::GET,
            &format!("/users/{a}/search?q={}", enc("in:Nowhere")),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        api.get(&format!("/users/{a}/search"), OP).await.status(),
        400
    );
    // Paging through everything, newest first, with a cursor.
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let v: Value = api
            .get(
                &format!("/users/{a}/search?q=in:anywhere&limit=1{cursor}"),
                OP,
            )
            .await
            .json()
            .await
            .unwrap();
        seen += v["items"].as_array().unwrap().len();
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, 4);
}
