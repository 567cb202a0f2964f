//! Submission: relayed through a smarthost (a scripted SMTP server here; see
//! `submit_postfix` for the real-Postfix variant), stored in Sent as seen, replies threaded.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// A one-connection-at-a-time SMTP server that accepts everything and reports
/// (MAIL FROM, RCPT TOs, DATA) per message.
async fn fake_smarthost() -> (
    String,
    mpsc::UnboundedReceiver<(String, Vec<String>, String)>,
) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let (rd, mut wr) = s.into_split();
            let mut rd = BufReader::new(rd);
            wr.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let (mut from, mut rcpts) = (String::new(), Vec::new());
            loop {
                let mut line = String::new();
                if rd.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                let up = line.to_ascii_uppercase();
                if up.starts_with("EHLO") {
                    wr.write_all(b"250-fake\r\n250 8BITMIME\r\n").await.unwrap();
                } else if up.starts_with("MAIL FROM:") {
                    from = line[10..].trim().trim_matches(['<', '>']).to_owned();
                    wr.write_all(b"250 ok\r\n").await.unwrap();
                } else if up.starts_with("RCPT TO:") {
                    rcpts.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                    wr.write_all(b"250 ok\r\n").await.unwrap();
                } else if up.starts_with("DATA") {
                    wr.write_all(b"354 go\r\n").await.unwrap();
                    let mut data = String::new();
                    loop {
                        let mut l = String::new();
                        rd.read_line(&mut l).await.unwrap();
                        if l == ".\r\n" {
                            break;
                        }
                        data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    }
                    tx.send((from.clone(), std::mem::take(&mut rcpts), data))
                        .unwrap();
                    wr.write_all(b"250 queued\r\n").await.unwrap();
                } else if up.starts_with("QUIT") {
                    wr.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    wr.write_all(b"500 what\r\n").await.unwrap();
                }
            }
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn submit_relays_stores_sent_and_threads_replies() {
    let (host, mut relayed) = fake_smarthost().await;
    let api = Api::start_with(|c| c.api.smarthost = host).await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let t = api.login("alice", "pw").await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let sent = api.mailbox(&a, "Sent").await;
    let orig = api
        .upload(&a, &inbox, b"From: bob@example.org\r\nTo: alice@example.org\r\nSubject: Lunch?\r\nMessage-ID: <q1@example.org>\r\n\r\nTacos?\r\n")
        .await;
    let r = api
        .json(
            Method::POST,
            "/users/me/submit",
            &t,
            json!({
                "to": ["bob@example.org"], "bcc": ["carol@example.org"],
                "subject": "Re: Lunch? ✓", "text": "Yes.\n.hidden dot line", "html": "<p>Yes.</p>",
                "attachments": [{"filename": "a.txt", "content_type": "text/plain", "content": "aGVsbG8="}],
                "reply_to": {"mailbox": inbox, "uid": orig}
            }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["mailbox"], sent.as_str());
    let (from, rcpts, data) = relayed.recv().await.unwrap();
    assert_eq!(from, "alice@example.org");
    assert_eq!(rcpts, vec!["bob@example.org", "carol@example.org"]);
    assert!(data.contains("In-Reply-To: <q1@example.org>"));
    assert!(
        !data.to_ascii_lowercase().contains("carol"),
        "Bcc must not be in the message"
    );
    // The sent copy: seen, parsed back to what was submitted.
    let uid = v["uid"].as_u64().unwrap();
    let m: Value = api
        .get(&format!("/users/me/mailboxes/{sent}/messages/{uid}"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["flags"], json!(["\\Seen"]));
    assert_eq!(m["subject"], "Re: Lunch? ✓");
    assert_eq!(m["text"], "Yes.\n.hidden dot line");
    assert_eq!(m["attachments"][0]["filename"], "a.txt");
    assert_eq!(m["in_reply_to"], json!(["q1@example.org"]));
    let raw = api
        .get(
            &format!("/users/me/mailboxes/{sent}/messages/{uid}/raw"),
            &t,
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(raw, data, "the stored copy is what was relayed");
    // Gmail-like: the client saving the same message to Sent gets the stored copy back.
    let r = api
        .req(
            Method::POST,
            &format!("/users/me/mailboxes/{sent}/messages"),
            Some(&t),
        )
        .header("content-type", "message/rfc822")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["duplicate"], true);
    assert_eq!(d["uid"], uid);
    let box_: Value = api
        .get(&format!("/users/me/mailboxes/{sent}"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(box_["messages"], 1);
    // Elsewhere (not Sent) the same bytes are stored again.
    let r = api
        .req(
            Method::POST,
            &format!("/users/me/mailboxes/{inbox}/messages"),
            Some(&t),
        )
        .header("content-type", "message/rfc822")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The original is now answered.
    let o: Value = api
        .get(&format!("/users/me/mailboxes/{inbox}/messages/{orig}"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(o["flags"], json!(["\\Answered"]));
    // 4xx.
    for (body, status) in [
        (json!({"subject": "x"}), 400),
        (json!({"to": ["not an address"]}), 400),
        (
            json!({"to": ["b@example.org"], "subject": "a\r\nBcc: x@example.org"}),
            400,
        ),
        (
            json!({"to": ["b@example.org"], "from": "mallory@example.org"}),
            403,
        ),
        (
            json!({"to": ["b@example.org"], "attachments": [{"filename": "x", "content": "@@"}]}),
            400,
        ),
        (
            json!({"to": ["b@example.org"], "reply_to": {"mailbox": inbox, "uid": 999}}),
            404,
        ),
        (json!({"to": ["b@example.org"], "priority": 1}), 400),
    ] {
        let r = api
            .json(Method::POST, "/users/me/submit", &t, body.clone())
            .await;
        assert_eq!(r.status(), status, "{body}");
    }
}

#[tokio::test]
async fn submit_without_smarthost_is_refused() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let r = api
        .json(
            Method::POST,
            &format!("/users/{a}/submit"),
            OP,
            json!({"to": ["b@example.org"], "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 409);
}

/// Issue #14: the smarthost client had no timeouts, so a smarthost that accepted the connection
/// and never answered held the request (and its task) forever. Now it fails with 502 after
/// `[api] submit_reply_timeout_secs`.
#[tokio::test]
async fn a_silent_smarthost_times_out() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = l.local_addr().unwrap().to_string();
    // Accepts, keeps the connection open, never greets.
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        loop {
            conns.push(l.accept().await.unwrap().0);
        }
    });
    let api = Api::start_with(|c| {
        c.api.smarthost = host;
        c.api.submit_reply_timeout_secs = 1;
    })
    .await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let started = std::time::Instant::now();
    let r = api
        .req(Method::POST, &format!("/users/{a}/submit"), Some(OP))
        .json(&json!({"to": ["bob@example.org"], "subject": "x", "text": "x"}))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502, "{}", r.text().await.unwrap());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    held.abort();
}

/// Issue #14: any number of recipients was accepted. Over `[api] submit_max_recipients` the
/// submission is refused before the smarthost is contacted; at the cap it goes through.
#[tokio::test]
async fn recipients_are_capped() {
    let (host, mut relayed) = fake_smarthost().await;
    let api = Api::start_with(|c| {
        c.api.smarthost = host;
        c.api.submit_max_recipients = 5;
    })
    .await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let path = format!("/users/{a}/submit");
    let rcpts = |n: usize| {
        (0..n)
            .map(|i| format!("r{i}@example.org"))
            .collect::<Vec<_>>()
    };
    let submit = |to: Vec<String>, bcc: Vec<String>| {
        api.json(
            Method::POST,
            &path,
            OP,
            json!({"to": to, "bcc": bcc, "subject": "x", "text": "x"}),
        )
    };
    let r = submit(rcpts(3), rcpts(3)).await;
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap());
    let r = submit(rcpts(3), rcpts(2)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (_, got, _) = relayed.recv().await.unwrap();
    assert_eq!(got.len(), 5);
    assert!(relayed.try_recv().is_err(), "the refused one was relayed");
}
