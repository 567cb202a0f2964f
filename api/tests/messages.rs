//! Messages over HTTP: upload through the ingest path, list with cursors, parsed read,
//! attachments with Range, raw bytes, flags, move, delete, and the 4xx cases.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use reqwest::Method;
use serde_json::{Value, json};

fn simple(i: usize) -> Vec<u8> {
    format!(
        "From: Sender {i} <s{i}@example.org>\r\nTo: alice@example.org\r\nSubject: message {i}\r\n\
         Date: Mon, 2 Jan 2023 10:{:02}:00 +0000\r\nMessage-ID: <m{i}@example.org>\r\n\r\nBody {i}\r\n",
        i % 60
    )
    .into_bytes()
}

/// A multipart/mixed message with text, HTML (with a script and a remote image) and a base64
/// attachment large enough to be stored as its own blob.
fn rich(attachment: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(attachment);
    let mut lines = String::new();
    for chunk in b64.as_bytes().chunks(76) {
        lines.push_str(std::str::from_utf8(chunk).unwrap());
        lines.push_str("\r\n");
    }
    format!(
        "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\r\nTo: Alice <alice@example.org>\r\n\
         Subject: =?UTF-8?Q?caf=C3=A9?=\r\nDate: Tue, 3 Jan 2023 12:00:00 +0000\r\n\
         Message-ID: <rich@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
         --b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         Gr=FC=DFe, caf=E9\r\n\
         --b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p onclick=\"x()\">Hello</p><script>alert(1)</script><img src=\"https://tracker.example/p.gif\">\r\n\
         --b2--\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"r\u{e9}sum\u{e9}.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\nContent-ID: <att1@example.org>\r\n\r\n{lines}\
         --b1--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn upload_read_parsed_raw_and_attachment_ranges() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let attachment: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let raw = rich(&attachment);
    let uid = api.upload(&a, &inbox, &raw).await;
    let base = format!("/users/{a}/mailboxes/{inbox}/messages/{uid}");

    let v: Value = api.get(&base, OP).await.json().await.unwrap();
    assert_eq!(v["subject"], "café");
    assert_eq!(v["from"][0]["name"], "Jürgen");
    assert_eq!(v["from"][0]["address"], "j@example.org");
    assert_eq!(v["to"][0]["address"], "alice@example.org");
    assert_eq!(v["message_id"], "rich@example.org");
    assert!(
        v["text"].as_str().unwrap().contains("Grüße, café"),
        "{}",
        v["text"]
    );
    let html = v["html"].as_str().unwrap();
    assert!(html.contains("Hello"));
    assert!(!html.contains("script") && !html.contains("onclick") && !html.contains("tracker"));
    assert_eq!(v["remote_content_blocked"], true);
    let att = &v["attachments"][0];
    assert_eq!(att["filename"], "report.pdf");
    assert_eq!(att["content_type"], "application/pdf");
    assert_eq!(att["size"], attachment.len());
    assert_eq!(att["content_id"], "att1@example.org");
    let part = att["id"].as_str().unwrap();
    assert_eq!(part, "2");

    // Whole attachment.
    let r = api.get(&format!("{base}/attachments/{part}"), OP).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("report.pdf")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), attachment.as_slice());
    // Ranges, including ones crossing decode windows.
    let n = attachment.len();
    for (spec, lo, hi) in [
        ("bytes=0-9".to_owned(), 0, 9),
        (format!("bytes={}-", n - 5), n - 5, n - 1),
        ("bytes=-3".to_owned(), n - 3, n - 1),
        ("bytes=190000-200123".to_owned(), 190_000, 200_123),
    ] {
        let r = api
            .req(Method::GET, &format!("{base}/attachments/{part}"), Some(OP))
            .header("range", &spec)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206, "{spec}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes {lo}-{hi}/{n}")
        );
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &attachment[lo..=hi],
            "{spec}"
        );
    }
    let r = api
        .req(Method::GET, &format!("{base}/attachments/{part}"), Some(OP))
        .header("range", format!("bytes={n}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(
        api.get(&format!("{base}/attachments/9"), OP).await.status(),
        404
    );

    // Raw: byte-exact.
    let r = api.get(&format!("{base}/raw"), OP).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "message/rfc822");
    assert_eq!(r.bytes().await.unwrap().as_ref(), raw.as_slice());
}

#[tokio::test]
async fn listing_pages_by_uid_and_date_both_ways() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let inbox = api.mailbox(&a, "INBOX").await;
    for i in 0..11 {
        api.upload(&a, &inbox, &simple(i)).await;
    }
    for (query, want) in [
        ("", (1..=11).collect::<Vec<u64>>()),
        ("&order=desc", (1..=11).rev().collect()),
        ("&sort=date", (1..=11).collect()),
        ("&sort=date&order=desc", (1..=11).rev().collect()),
    ] {
        let mut got = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = api
                .get(
                    &format!("/users/{a}/mailboxes/{inbox}/messages?limit=4{query}{cursor}"),
                    OP,
                )
                .await;
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            for m in v["items"].as_array().unwrap() {
                got.push(m["uid"].as_u64().unwrap());
                assert!(m["subject"].as_str().unwrap().starts_with("message "));
                assert!(
                    m["from"][0]["address"]
                        .as_str()
                        .unwrap()
                        .ends_with("@example.org")
                );
                assert!(m["preview"].as_str().unwrap().contains("Body"));
                assert_eq!(m["has_attachments"], false);
                assert!(m["thread"].is_string());
            }
            match v["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(got, want, "{query}");
    }
    let first: Value = api
        .get(
            &format!("/users/{a}/mailboxes/{inbox}/messages?limit=2"),
            OP,
        )
        .await
        .json()
        .await
        .unwrap();
    let uid_cursor = first["next_cursor"].as_str().unwrap();
    for bad in [
        "sort=size".to_owned(),
        "order=up".to_owned(),
        "cursor=@@".to_owned(),
        format!("sort=date&cursor={uid_cursor}"),
        "limit=-1".to_owned(),
        "x=1".to_owned(),
    ] {
        let r = api
            .get(&format!("/users/{a}/mailboxes/{inbox}/messages?{bad}"), OP)
            .await;
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn flags_move_delete_single_and_batch() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let archive = api.mailbox(&a, "Archive").await;
    for i in 0..5 {
        api.upload(&a, &inbox, &simple(i)).await;
    }
    let m = format!("/users/me/mailboxes/{inbox}/messages");
    let r = api
        .json(
            Method::PUT,
            &format!("{m}/1"),
            &t,
            json!({"add_flags": ["\\Seen", "$Important"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = api.get(&format!("{m}/1"), &t).await.json().await.unwrap();
    assert_eq!(v["flags"], json!(["\\Seen", "$Important"]));
    let r = api
        .json(
            Method::PUT,
            &format!("{m}/1"),
            &t,
            json!({"remove_flags": ["$Important"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mb: Value = api
        .get(&format!("/users/me/mailboxes/{inbox}"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mb["unseen"], 4);
    // Batch flags, then batch move, then batch delete.
    let r = api
        .json(
            Method::POST,
            &format!("{m}/batch"),
            &t,
            json!({"uids": [2, 3], "add_flags": ["\\Flagged"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = api
        .json(
            Method::POST,
            &format!("{m}/batch"),
            &t,
            json!({"uids": [2, 3], "move_to": archive}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["moved"].as_array().unwrap().len(), 2);
    let moved: Value = api
        .get(&format!("/users/me/mailboxes/{archive}/messages"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["items"].as_array().unwrap().len(), 2);
    assert!(
        moved["items"][0]["flags"]
            .as_array()
            .unwrap()
            .contains(&json!("\\Flagged"))
    );
    let r = api
        .json(
            Method::POST,
            &format!("{m}/batch"),
            &t,
            json!({"uids": [4], "delete": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = api
        .req(Method::DELETE, &format!("{m}/5"), Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = api
        .req(Method::DELETE, &format!("{m}/5"), Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let left: Value = api.get(&m, &t).await.json().await.unwrap();
    assert_eq!(left["items"].as_array().unwrap().len(), 1);
    // Single move.
    let r = api
        .json(
            Method::PUT,
            &format!("{m}/1"),
            &t,
            json!({"move_to": archive}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(api.get(&format!("{m}/1"), &t).await.status(), 404);
    // 4xx.
    for (path, body, status) in [
        (format!("{m}/batch"), json!({"uids": []}), 400),
        (format!("{m}/batch"), json!({"uids": [0]}), 400),
        (
            format!("{m}/batch"),
            json!({"uids": [1], "delete": true, "add_flags": ["\\Seen"]}),
            400,
        ),
        (
            format!("{m}/batch"),
            json!({"uids": [1], "colour": "red"}),
            400,
        ),
        (
            format!("{m}/batch"),
            json!({"uids": [1], "add_flags": ["bad flag"]}),
            400,
        ),
        (
            format!("{m}/batch"),
            json!({"uids": [1], "move_to": "999999"}),
            404,
        ),
    ] {
        let r = api.json(Method::POST, &path, &t, body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
    }
    let r = api
        .json(
            Method::PUT,
            &format!("/users/me/mailboxes/{archive}/messages/1"),
            &t,
            json!({"colour": 1}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(api.get(&format!("{m}/0"), &t).await.status(), 404);
    assert_eq!(api.get(&format!("{m}/x"), &t).await.status(), 404);
}

#[tokio::test]
async fn upload_limits_and_content_types() {
    let api = Api::start_with(|c| c.limits.max_message_size = 10_000).await;
    let a = api.user("alice", "pw", &[]).await;
    let inbox = api.mailbox(&a, "INBOX").await;
    let path = format!("/users/{a}/mailboxes/{inbox}/messages");
    let big = vec![b'a'; 20_000];
    let r = api
        .req(Method::POST, &path, Some(OP))
        .header("content-type", "message/rfc822")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Without a Content-Length (chunked), the limit is enforced while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let stream = futures::stream::iter(chunks);
    let r = api
        .req(Method::POST, &path, Some(OP))
        .header("content-type", "message/rfc822")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = api
        .req(Method::POST, &path, Some(OP))
        .header("content-type", "text/plain")
        .body(simple(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = api
        .req(Method::POST, &format!("{path}?flags=bad%20flag"), Some(OP))
        .header("content-type", "message/rfc822")
        .body(simple(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = api
        .req(Method::POST, &path, Some(OP))
        .header("content-type", "message/rfc822")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = api
        .req(Method::POST, &format!("{path}?flags=%5CSeen"), Some(OP))
        .header("content-type", "message/rfc822")
        .body(simple(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mb: Value = api
        .get(&format!("/users/{a}/mailboxes/{inbox}"), OP)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mb["messages"], 1);
    assert_eq!(mb["unseen"], 0);
    // Over quota.
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{a}"),
            OP,
            json!({"quota": 10}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = api
        .req(Method::POST, &path, Some(OP))
        .header("content-type", "message/rfc822")
        .body(simple(2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507);
}
