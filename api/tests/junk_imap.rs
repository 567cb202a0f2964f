//! Junk training signals across processes: moves and copies made over IMAP reach webhooks and
//! event streams through the store's outbox; two API instances on one store deliver each event
//! once; an event recorded while no API runs is delivered when one starts; https:// webhooks
//! with a private CA (`[api] webhook_ca`).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, Hits, OP, receiver, receiver_with};
use eider_tests::imap_client::ImapClient;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

const SECRET: &str = "0123456789abcdef-secret";

/// Starts one more API instance on `api`'s store (as another process would).
async fn second_api(api: &Api) -> String {
    let addr = api.world.spawn(eider_api::run).await.unwrap();
    format!("http://{addr}")
}

async fn register(api: &Api, base: &str, url: &str) {
    let r = api
        .http
        .post(format!("{base}/webhooks"))
        .bearer_auth(OP)
        .json(&json!({"url": url, "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn imap(addr: SocketAddr, user: &str) -> ImapClient {
    let mut c = ImapClient::connect(&addr.to_string()).await.unwrap();
    let r = c.command(&format!("LOGIN {user} pw")).await.unwrap();
    assert!(r.is_ok(), "{}", r.status);
    c
}

async fn ok(c: &mut ImapClient, cmd: &str) {
    let r = c.command(cmd).await.unwrap();
    assert!(r.is_ok(), "{cmd}: {}", r.status);
}

/// Every webhook body received within `window`, keyed by event id, with how often it came.
async fn collect(hits: &mut Hits, window: Duration) -> BTreeMap<String, (Value, usize)> {
    let mut out: BTreeMap<String, (Value, usize)> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Some((head, body))) = tokio::time::timeout_at(deadline, hits.recv()).await {
        assert!(head.contains("x-eider-signature: sha256="), "{head}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        out.entry(id).or_insert((v, 0)).1 += 1;
    }
    out
}

/// Reads the SSE stream until `n` junk events arrived (10 s at most); returns their names.
async fn stream_events(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    n: usize,
) -> Vec<String> {
    let mut text = String::new();
    let mut names = Vec::new();
    while names.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("stream event in time")
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        names = text
            .lines()
            .filter_map(|l| l.strip_prefix("event: marked."))
            .map(|s| format!("marked.{s}"))
            .collect();
    }
    names
}

/// MOVE and COPY over IMAP, with two API instances: the webhook gets each signal exactly
/// once, the stream of the other instance sees them, Junk→Trash says nothing.
#[tokio::test]
async fn imap_moves_reach_webhook_once_and_streams_of_every_instance() {
    let api = Api::start().await;
    let b = second_api(&api).await;
    let imapd = api.world.spawn(eider_imapd::run).await.unwrap();
    let a = api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    let inbox = api.mailbox(&a, "INBOX").await;
    for i in 0..4 {
        let raw = format!("From: s@example.net\r\nSubject: m{i}\r\n\r\nbuy\r\n");
        api.upload(&a, &inbox, raw.as_bytes()).await;
    }
    let (url, mut hits) = receiver(0).await;
    register(&api, &api.base, &url).await;
    let r = api
        .http
        .get(format!("{b}/users/me/updates"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();

    let mut c = imap(imapd, "alice").await;
    ok(&mut c, "SELECT INBOX").await;
    ok(&mut c, "UID MOVE 1 Junk").await; // spam
    ok(&mut c, "UID COPY 2 Junk").await; // spam (clients without MOVE)
    ok(&mut c, "UID MOVE 3 Archive").await; // nothing
    ok(&mut c, "SELECT Junk").await;
    ok(&mut c, "UID MOVE 1 Trash").await; // deletion, not ham
    ok(&mut c, "UID MOVE 2 INBOX").await; // ham

    let got = collect(&mut hits, Duration::from_secs(4)).await;
    let names: Vec<&str> = got
        .values()
        .map(|(v, _)| v["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["marked.spam", "marked.spam", "marked.ham"],
        "{got:?}"
    );
    for (id, (v, count)) in &got {
        assert_eq!(*count, 1, "event {id} delivered {count} times: {v}");
        assert_eq!(v["user_id"], a.as_str());
    }
    let first = got.values().next().unwrap();
    assert_eq!(first.0["messages"], json!([[1, 1]]));
    let seen = stream_events(&mut stream, 3).await;
    assert_eq!(seen, ["marked.spam", "marked.spam", "marked.ham"]);
}

/// A move made while no API process runs is delivered by the next one to start.
#[tokio::test]
async fn events_recorded_without_an_api_are_delivered_later() {
    let world =
        eider_tests::harness::World::new(|c| c.api.operator_tokens = vec![OP.into()]).unwrap();
    eider_runtime::transport::install_crypto_provider();
    let u = world.user("bob", "pw", &[]).await.unwrap();
    let imapd = world.spawn(eider_imapd::run).await.unwrap();
    // A first API instance registers the hook, then stops.
    let first = eider_runtime::Shutdown::new();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(eider_api::run(l, world.ctx(), first.clone()));
    let (url, mut hits) = receiver(0).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/webhooks"))
        .bearer_auth(OP)
        .json(&json!({"url": url, "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    first.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let inbox = world
        .store
        .find_mailbox(u.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    let msg = eider_store_testkit::conformance::simple_message(
        world.store.as_ref(),
        1,
        200,
        Default::default(),
    )
    .await;
    world.store.append(inbox.id, msg).await.unwrap();
    let mut c = imap(imapd, "bob").await;
    ok(&mut c, "SELECT INBOX").await;
    ok(&mut c, "UID MOVE 1 Junk").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), hits.recv())
            .await
            .is_err(),
        "delivered although no API runs"
    );
    world.spawn(eider_api::run).await.unwrap();
    let got = collect(&mut hits, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (v, count) = got.values().next().unwrap();
    assert_eq!((v["event"].as_str(), *count), (Some("marked.spam"), 1));
}

/// https:// webhooks: delivered when `[api] webhook_ca` trusts the receiver's CA, refused
/// (TLS handshake) when nothing does.
#[tokio::test]
async fn https_webhooks_trust_the_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    let files = eider_runtime::transport::testcert::write_test_cert(dir.path()).unwrap();
    let tls = eider_runtime::transport::Tls::from_files(&files.cert, &files.key).unwrap();
    let ca = files.ca_file.to_str().unwrap().to_owned();
    for trusted in [true, false] {
        let api = Api::start_with(|c| {
            if trusted {
                c.api.webhook_ca = ca.clone();
            }
        })
        .await;
        let a = api.user("carol", "pw", &[]).await;
        let t = api.login("carol", "pw").await;
        let inbox = api.mailbox(&a, "INBOX").await;
        let junk = api.mailbox(&a, "Junk").await;
        let (url, mut hits) = receiver_with(0, Some(tls.acceptor())).await;
        assert!(url.starts_with("https://"));
        register(&api, &api.base, &url).await;
        let uid = api.upload(&a, &inbox, b"Subject: x\r\n\r\ny\r\n").await;
        let r = api
            .json(
                Method::PUT,
                &format!("/users/me/mailboxes/{inbox}/messages/{uid}"),
                &t,
                json!({"move_to": junk}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let got = collect(&mut hits, Duration::from_secs(3)).await;
        assert_eq!(
            got.len(),
            usize::from(trusted),
            "trusted={trusted}: {got:?}"
        );
    }
}
