//! Scale-out, black box: the real `eider-ingest` and `eider-imapd` binaries as separate
//! processes over one MongoDB (the SecantusDB stand-in) and one Redis (issue 6 "Proof").
//!
//! - IDLE on imapd #2 sees, within two seconds each, the EXISTS of a delivery made through
//!   ingest and the FETCH FLAGS and EXPUNGE of changes made by a client on imapd #1 (the IDLE
//!   poll of a standalone imapd is 30 s, so only the Redis bus can deliver them that fast);
//! - `kill -9` of the imapd a client is on: the client reconnects to the other one and sees
//!   everything, including mail delivered meanwhile;
//! - two ingest processes delivering 1,000 messages concurrently to one mailbox give UIDs
//!   1..=1000, each message once.
//!
//! Restarts of Redis and of the store under load are in `scale_restarts.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bins;
mod scale_support;

use eider_tests::imap_client::ImapClient;
use eider_tests::lmtp_client::LmtpClient;
use scale_support::{Cluster, Tuning, message};
use std::time::{Duration, Instant};
use tokio::time::timeout;

/// Reads untagged lines until one contains `needle`; panics after `within`.
async fn expect_line(client: &mut ImapClient, needle: &str, within: Duration) -> Duration {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let left = within.saturating_sub(started.elapsed());
        match timeout(left, client.read_line()).await {
            Ok(Ok(line)) => {
                let line = String::from_utf8_lossy(&line).into_owned();
                if line.contains(needle) {
                    return started.elapsed();
                }
                seen.push(line);
            }
            Ok(Err(e)) => panic!("connection lost waiting for {needle:?}: {e}; saw {seen:?}"),
            Err(_) => panic!("no {needle:?} within {within:?}; saw {seen:?}"),
        }
    }
}

async fn login(addr: &str, user: &str) -> ImapClient {
    let mut c = ImapClient::connect(addr).await.unwrap();
    let r = c.command(&format!("LOGIN {user} pw")).await.unwrap();
    assert!(r.is_ok(), "LOGIN on {addr}: {r:?}");
    c
}

async fn deliver(addr: &str, rcpt: &str, tag: &str) {
    let mut lmtp = LmtpClient::connect(addr).await.unwrap();
    let (rcpts, data) = lmtp
        .deliver("sender@example.org", &[rcpt], &message(tag))
        .await
        .unwrap();
    assert_eq!(rcpts[0].code, 250, "{rcpts:?}");
    assert_eq!(data.len(), 1, "{data:?}");
    assert_eq!(data[0].code, 250, "{data:?}");
    let _ = lmtp.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_across_imapds_and_reconnect_after_kill9() {
    let Some(mut cluster) = Cluster::start("idle", Tuning::default()) else {
        return;
    };
    let t = Instant::now();
    let store = cluster.store().await;
    let (alice, _) = cluster.user(store.as_ref(), "alice").await;
    // imapd's per-user connection leases (`ctx.counters`, key `imap:{user id}`).
    let leases = format!("eider:conn:imap:{}", alice.0);
    eprintln!("store and user ready after {:?}", t.elapsed());
    let ingest = cluster.spawn("eider-ingest");
    let imapd1 = cluster.spawn("eider-imapd");
    let mut imapd2 = cluster.spawn("eider-imapd");
    eprintln!("daemons listening after {:?}", t.elapsed());
    let rcpt = "alice@example.test";

    // A first message, so that the IDLE session has something selected.
    deliver(&ingest.addr, rcpt, "m1").await;
    let mut a = login(&imapd1.addr, "alice").await;
    let mut b = login(&imapd2.addr, "alice").await;
    assert!(a.command("SELECT INBOX").await.unwrap().is_ok());
    let sel = b.command("SELECT INBOX").await.unwrap();
    assert!(
        sel.lines().iter().any(|l| l.contains("* 1 EXISTS")),
        "{sel:?}"
    );
    b.send_raw(b"i1 IDLE\r\n").await.unwrap();
    let cont = b.read_line().await.unwrap();
    assert!(cont.starts_with(b"+"), "{}", String::from_utf8_lossy(&cont));
    // IDLE subscribes before `+ idling`; give the buses a moment to be connected to Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let within = Duration::from_secs(2);
    let sent = Instant::now();
    deliver(&ingest.addr, rcpt, "m2").await;
    expect_line(&mut b, "* 2 EXISTS", within).await;
    let exists = sent.elapsed();

    let sent = Instant::now();
    let r = a.command("STORE 1 +FLAGS (\\Flagged)").await.unwrap();
    assert!(r.is_ok(), "{r:?}");
    expect_line(&mut b, "\\Flagged", within).await;
    let fetch = sent.elapsed();

    let r = a.command("STORE 2 +FLAGS (\\Deleted)").await.unwrap();
    assert!(r.is_ok(), "{r:?}");
    expect_line(&mut b, "\\Deleted", within).await;
    let sent = Instant::now();
    let r = a.command("EXPUNGE").await.unwrap();
    assert!(r.is_ok(), "{r:?}");
    expect_line(&mut b, "* 2 EXPUNGE", within).await;
    let expunge = sent.elapsed();
    eprintln!(
        "IDLE on imapd #2, from the command: EXISTS {exists:?} (LMTP delivery included), FETCH {fetch:?}, EXPUNGE {expunge:?}"
    );

    // Connection leases: one per logged-in session, whichever process holds it.
    let leases_before = cluster.zcard(&leases);

    // imapd #2 dies with b connected; mail keeps arriving meanwhile.
    imapd2.kill9();
    let dead = Instant::now();
    // Untagged lines already in flight (e.g. `* 1 RECENT` after the expunge) may come first.
    let lost = timeout(Duration::from_secs(5), async {
        loop {
            match b.read_line().await {
                Ok(line) if line.starts_with(b"* ") => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(
        matches!(lost, Ok(Err(_))),
        "the client sees its connection drop: {lost:?}"
    );
    deliver(&ingest.addr, rcpt, "m3").await;
    // It reconnects to the surviving imapd and sees everything: m1 (flagged), m3; m2 expunged.
    let mut b = login(&imapd1.addr, "alice").await;
    let sel = b.command("SELECT INBOX").await.unwrap();
    assert!(sel.is_ok(), "{sel:?}");
    assert!(
        sel.lines().iter().any(|l| l.contains("* 2 EXISTS")),
        "{sel:?}"
    );
    let f = b
        .command("UID FETCH 1:* (UID FLAGS ENVELOPE)")
        .await
        .unwrap();
    let lines = f.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("UID 1 ") && lines[0].contains("\\Flagged"),
        "{lines:?}"
    );
    assert!(lines[0].contains("<m1@scale.test>"), "{lines:?}");
    assert!(
        lines[1].contains("UID 3 ") && lines[1].contains("<m3@scale.test>"),
        "{lines:?}"
    );
    // And IDLE on the survivor goes on working for it.
    b.send_raw(b"i2 IDLE\r\n").await.unwrap();
    assert!(b.read_line().await.unwrap().starts_with(b"+"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    deliver(&ingest.addr, rcpt, "m4").await;
    expect_line(&mut b, "* 3 EXISTS", within).await;

    // The dead process's leases are no longer counted once the lease TTL (3 s) has passed:
    // a, and b's new session, remain.
    let ttl = Duration::from_secs(3);
    let during = cluster.zcard(&leases);
    tokio::time::sleep((ttl + Duration::from_millis(1500)).saturating_sub(dead.elapsed())).await;
    // Expired members are dropped by the next acquire; one more login makes it run.
    let c = login(&imapd1.addr, "alice").await;
    let after = cluster.zcard(&leases);
    eprintln!(
        "leases of alice: {leases_before} before kill -9, {during} just after, {after} after the TTL"
    );
    assert_eq!(leases_before, 2, "one lease per session (a on #1, b on #2)");
    assert_eq!(during, 3, "the dead #2's lease still counts before its TTL");
    assert_eq!(after, 3, "a, b and c on #1; the dead #2's lease expired");
    drop(c);
    drop(imapd1);
    drop(ingest);
}

/// Delivers `tags` one after another on one LMTP connection; returns the tags answered `250`.
async fn deliver_all(addr: String, rcpt: &'static str, tags: Vec<String>) -> Vec<String> {
    let mut lmtp = LmtpClient::connect(&addr).await.unwrap();
    let mut ok = Vec::new();
    for tag in tags {
        let (rcpts, data) = lmtp
            .deliver("sender@example.org", &[rcpt], &message(&tag))
            .await
            .unwrap();
        assert_eq!(rcpts[0].code, 250, "{tag}: {rcpts:?}");
        assert_eq!(data.first().map(|r| r.code), Some(250), "{tag}: {data:?}");
        ok.push(tag);
    }
    let _ = lmtp.quit().await;
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_ingests_deliver_1000_messages_with_gap_free_uids() {
    const TOTAL: usize = 1000;
    /// LMTP connections per ingest process.
    const CONNS: usize = 4;
    let Some(mut cluster) = Cluster::start("uids", Tuning::default()) else {
        return;
    };
    let store = cluster.store().await;
    let (_, inbox) = cluster.user(store.as_ref(), "bob").await;
    let ingests = [cluster.spawn("eider-ingest"), cluster.spawn("eider-ingest")];

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, ingest) in ingests.iter().enumerate() {
        for c in 0..CONNS {
            let tags: Vec<String> = (0..TOTAL / (2 * CONNS))
                .map(|i| format!("p{n}c{c}m{i}"))
                .collect();
            tasks.push(tokio::spawn(deliver_all(
                ingest.addr.clone(),
                "bob@example.test",
                tags,
            )));
        }
    }
    let mut sent = std::collections::BTreeSet::new();
    for t in tasks {
        sent.extend(t.await.unwrap());
    }
    let took = started.elapsed();
    eprintln!(
        "{TOTAL} messages through 2 ingest processes x {CONNS} connections: {took:?} ({:.0} msg/s)",
        TOTAL as f64 / took.as_secs_f64()
    );
    assert_eq!(sent.len(), TOTAL);

    use eider_model::types::Uid;
    let listed = store
        .list_messages(inbox, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap();
    let uids: Vec<u32> = listed.iter().map(|m| m.uid.0).collect();
    let expected: Vec<u32> = (1..=TOTAL as u32).collect();
    assert_eq!(uids, expected, "UIDs 1..=1000, each once, no gap");
    let stored = store
        .get_messages(inbox, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap();
    let ids: std::collections::BTreeSet<String> = stored
        .iter()
        .filter_map(|m| m.meta.message_id.clone())
        .map(|id| id.trim_end_matches("@scale.test").to_owned())
        .collect();
    assert_eq!(ids, sent, "every delivered message stored exactly once");
    let mailbox = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(mailbox.messages as usize, TOTAL);
    assert_eq!(mailbox.uid_next, Uid(TOTAL as u32 + 1));
}
