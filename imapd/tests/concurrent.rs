//! Two sessions on one mailbox: one changes flags, expunges and moves while the other fetches
//! and IDLEs; every untagged response and its sequence numbers are checked, including the rule
//! that EXPUNGE is withheld during FETCH/STORE/SEARCH (RFC 3501 §7.4.1) and the \Recent rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;
use std::time::{Duration, Instant};

/// Reads `n` untagged responses, failing if they take longer than `within`.
async fn untagged(c: &mut Client, n: usize, within: Duration) -> Vec<String> {
    let started = Instant::now();
    let mut out = Vec::new();
    while out.len() < n {
        let left = within
            .checked_sub(started.elapsed())
            .unwrap_or(Duration::ZERO);
        let r = tokio::time::timeout(left, c.response())
            .await
            .unwrap_or_else(|_| panic!("only {out:?} within {within:?}"))
            .expect("connection closed");
        out.push(String::from_utf8_lossy(&r).trim_end().to_owned());
    }
    out
}

fn untagged_of(r: &[String]) -> Vec<&str> {
    r.iter()
        .filter(|l| l.starts_with('*'))
        .map(String::as_str)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sessions_see_each_others_changes() {
    let w = World::start().await;
    for i in 1..=5 {
        w.deliver("INBOX", &common::sample_message(i)).await;
    }
    let mut a = Client::login(w.addr).await;
    let mut b = Client::login(w.addr).await;
    let r = a.cmd("a1", "SELECT INBOX").await;
    assert!(
        r.contains(&"* 5 EXISTS".to_owned()) && r.contains(&"* 5 RECENT".to_owned()),
        "{r:?}"
    );
    // \Recent went to the first session (RFC 3501 §2.3.2).
    let r = b.cmd("b1", "SELECT INBOX").await;
    assert!(
        r.contains(&"* 5 EXISTS".to_owned()) && r.contains(&"* 0 RECENT".to_owned()),
        "{r:?}"
    );

    // B idles; A's flag change reaches it within a second.
    b.send(b"b2 IDLE\r\n").await;
    let r = untagged(&mut b, 1, Duration::from_secs(2)).await;
    assert!(r[0].starts_with("+ "), "{r:?}");
    let r = a.cmd("a2", "STORE 2 +FLAGS (\\Flagged)").await;
    assert_eq!(
        untagged_of(&r),
        ["* 2 FETCH (FLAGS (\\Flagged \\Recent))"],
        "{r:?}"
    );
    let r = untagged(&mut b, 1, Duration::from_secs(1)).await;
    assert_eq!(r, ["* 2 FETCH (UID 2 FLAGS (\\Flagged))"]);

    // A deletes and expunges message 3: B gets the flag change and the EXPUNGE while idling.
    let r = a.cmd("a3", "STORE 3 +FLAGS.SILENT (\\Deleted)").await;
    assert!(untagged_of(&r).is_empty(), "{r:?}");
    let r = a.cmd("a4", "EXPUNGE").await;
    // Message 3 was recent in A: the RECENT count changes with it (RFC 3501 §7.3.2).
    assert_eq!(untagged_of(&r), ["* 3 EXPUNGE", "* 4 RECENT"], "{r:?}");
    let r = untagged(&mut b, 2, Duration::from_secs(1)).await;
    assert_eq!(r, ["* 3 FETCH (UID 3 FLAGS (\\Deleted))", "* 3 EXPUNGE"]);

    // New mail: B, idling read-write, is the first session told, so it is recent there.
    w.deliver("INBOX", &common::sample_message(6)).await;
    let r = untagged(&mut b, 2, Duration::from_secs(1)).await;
    assert_eq!(r, ["* 5 EXISTS", "* 1 RECENT"]);
    b.send(b"DONE\r\n").await;
    let r = b.until("b2").await;
    assert_eq!(r, ["b2 OK IDLE terminated"]);
    let r = a.cmd("a5", "NOOP").await;
    assert_eq!(untagged_of(&r), ["* 5 EXISTS", "* 4 RECENT"], "{r:?}");

    // A expunges message 1; B's FETCH must not get the EXPUNGE, its NOOP must.
    a.cmd("a6", "STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    let r = a.cmd("a7", "EXPUNGE").await;
    assert_eq!(untagged_of(&r), ["* 1 EXPUNGE", "* 3 RECENT"], "{r:?}");
    let r = b.cmd("b3", "FETCH 1:* (UID)").await;
    let u = untagged_of(&r);
    assert!(!u.iter().any(|l| l.contains("EXPUNGE")), "{r:?}");
    // Message 1 is gone from the store but keeps its number until B is told.
    assert_eq!(
        u.iter().filter(|l| l.contains("FETCH (UID")).count(),
        4,
        "{r:?}"
    );
    let r = b.cmd("b4", "SEARCH ALL").await;
    assert!(
        !untagged_of(&r).iter().any(|l| l.contains("EXPUNGE")),
        "{r:?}"
    );
    assert_eq!(untagged_of(&r), ["* SEARCH 2 3 4 5"], "{r:?}");
    // STORE is the third command during which EXPUNGE must wait (RFC 3501 §7.4.1).
    let r = b.cmd("b4a", "STORE 2 +FLAGS (\\Flagged)").await;
    assert_eq!(untagged_of(&r), ["* 2 FETCH (FLAGS (\\Flagged))"], "{r:?}");
    let r = b.cmd("b5", "NOOP").await;
    assert!(
        untagged_of(&r).contains(&"* 1 FETCH (UID 1 FLAGS (\\Deleted))")
            || untagged_of(&r).contains(&"* 1 EXPUNGE"),
        "{r:?}"
    );
    assert_eq!(untagged_of(&r).last(), Some(&"* 1 EXPUNGE"), "{r:?}");
    let r = b.cmd("b6", "FETCH 1:* (UID)").await;
    let uids: Vec<&str> = untagged_of(&r);
    assert_eq!(
        uids,
        [
            "* 1 FETCH (UID 2)",
            "* 2 FETCH (UID 4)",
            "* 3 FETCH (UID 5)",
            "* 4 FETCH (UID 6)"
        ],
        "{r:?}"
    );

    // A moves message 2 (UID 4) away; B's UID FETCH may be told of the EXPUNGE at once.
    let r = a.cmd("a8", "MOVE 2 Trash").await;
    let u = untagged_of(&r);
    assert!(
        u[0].starts_with("* OK [COPYUID ") && u[0].contains(" 4 1]"),
        "{r:?}"
    );
    assert_eq!(&u[1..], ["* 2 EXPUNGE", "* 2 RECENT"], "{r:?}");
    // The FETCH answers use the numbers B knows; the EXPUNGE follows them.
    let r = b.cmd("b7", "UID FETCH 1:* (FLAGS)").await;
    assert_eq!(
        untagged_of(&r),
        [
            "* 1 FETCH (UID 2 FLAGS (\\Flagged))",
            "* 3 FETCH (UID 5 FLAGS ())",
            "* 4 FETCH (UID 6 FLAGS (\\Recent))",
            "* 2 EXPUNGE"
        ],
        "{r:?}"
    );

    // One STORE over several messages (one modseq for all) reaches the other session whole.
    let r = b.cmd("b7a", "STORE 2:3 +FLAGS.SILENT (\\Answered)").await;
    assert!(untagged_of(&r).is_empty(), "{r:?}");
    let r = a.cmd("a8a", "NOOP").await;
    assert_eq!(
        untagged_of(&r),
        [
            "* 2 FETCH (UID 5 FLAGS (\\Answered \\Recent))",
            "* 3 FETCH (UID 6 FLAGS (\\Answered))"
        ],
        "{r:?}"
    );

    // B's own flag changes are not echoed back to it, and A hears of them.
    let r = b.cmd("b8", "STORE 1 +FLAGS (\\Seen)").await;
    assert_eq!(
        untagged_of(&r),
        ["* 1 FETCH (FLAGS (\\Seen \\Flagged))"],
        "{r:?}"
    );
    let r = b.cmd("b9", "NOOP").await;
    assert!(untagged_of(&r).is_empty(), "{r:?}");
    let r = a.cmd("a9", "NOOP").await;
    assert_eq!(
        untagged_of(&r),
        ["* 1 FETCH (UID 2 FLAGS (\\Seen \\Flagged \\Recent))"],
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_without_a_mailbox_and_keepalive_free_done() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    // IDLE in the authenticated state just waits for DONE.
    c.send(b"i IDLE\r\nDONE\r\n").await;
    let r = c.until("i").await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r[0].starts_with("+ ") && r[1] == "i OK IDLE terminated",
        "{r:?}"
    );
    // Anything but DONE ends IDLE with BAD.
    let r = c.cmd("s", "SELECT INBOX").await;
    assert!(r.last().unwrap().starts_with("s OK"));
    // Mail that arrived since the last command is reported right after the continuation.
    w.deliver("INBOX", &common::sample_message(1)).await;
    c.send(b"j IDLE\r\n").await;
    let r = untagged(&mut c, 3, Duration::from_secs(2)).await;
    assert_eq!(r, ["+ idling", "* 1 EXISTS", "* 1 RECENT"]);
    c.send(b"NOTDONE\r\n").await;
    let r = c.until("j").await;
    assert_eq!(r, ["j BAD Expected DONE"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_appenders_and_one_idler() {
    let w = World::start_with(|c| c.limits.imap_connections_per_user = 50).await;
    let mut idler = Client::login(w.addr).await;
    idler.cmd("s", "SELECT INBOX").await;
    idler.send(b"i IDLE\r\n").await;
    assert!(idler.response().await.unwrap().starts_with(b"+ "));
    let mut tasks = Vec::new();
    for n in 0..10 {
        let addr = w.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = Client::login(addr).await;
            let mut uids = Vec::new();
            for i in 0..10 {
                let msg = common::sample_message(n * 100 + i);
                c.send(format!("a{i} APPEND INBOX {{{}+}}\r\n", msg.len()).as_bytes())
                    .await;
                c.send(&msg).await;
                c.send(b"\r\n").await;
                let r = c.until(&format!("a{i}")).await;
                let line = r.last().unwrap().clone();
                let uid: u32 = line
                    .split_whitespace()
                    .nth(4)
                    .and_then(|u| u.trim_end_matches(']').parse().ok())
                    .unwrap_or_else(|| panic!("{line}"));
                uids.push(uid);
            }
            uids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=100).collect::<Vec<u32>>(),
        "UIDs unique and gap-free"
    );
    // The idler ends up told about all 100, with increasing EXISTS counts.
    let mut last_exists = 0;
    while last_exists < 100 {
        let r = untagged(&mut idler, 1, Duration::from_secs(3)).await;
        if let Some(n) = r[0]
            .strip_prefix("* ")
            .and_then(|s| s.strip_suffix(" EXISTS"))
        {
            let n: u32 = n.parse().unwrap();
            assert!(n > last_exists, "{r:?}");
            last_exists = n;
        } else {
            assert!(r[0].ends_with(" RECENT"), "{r:?}");
        }
    }
    idler.send(b"DONE\r\n").await;
    let r = idler.until("i").await;
    assert_eq!(r.last().unwrap(), "i OK IDLE terminated");
    let r = idler.cmd("f", "FETCH 1:* (UID)").await;
    assert_eq!(r.len(), 101, "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pruned_journal_resynchronises_the_view() {
    let w = World::start().await;
    for i in 1..=3 {
        w.deliver("INBOX", &common::sample_message(i)).await;
    }
    let mut a = Client::login(w.addr).await;
    let mut b = Client::login(w.addr).await;
    a.cmd("a1", "SELECT INBOX").await;
    b.cmd("b1", "SELECT INBOX").await;
    b.cmd("b2", "STORE 1 +FLAGS.SILENT (\\Seen)").await;
    b.cmd("b3", "STORE 3 +FLAGS.SILENT (\\Deleted)").await;
    b.cmd("b4", "EXPUNGE").await;
    // The journal entries A has not read yet are pruned (as the retention sweep does).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stats = w.store.sweep(0, now + 60).await.unwrap();
    assert!(stats.journal_entries > 0);
    b.cmd("b5", "STORE 2 +FLAGS.SILENT (\\Flagged)").await;
    // A sees a gap and rebuilds its view from a listing: every change still arrives.
    let r = a.cmd("a2", "NOOP").await;
    let u = untagged_of(&r);
    assert!(u.contains(&"* 3 EXPUNGE"), "{r:?}");
    assert!(
        u.iter()
            .any(|l| l.starts_with("* 1 FETCH (UID 1 FLAGS (\\Seen")),
        "{r:?}"
    );
    assert!(
        u.iter()
            .any(|l| l.starts_with("* 2 FETCH (UID 2 FLAGS (\\Flagged")),
        "{r:?}"
    );
    let r = a.cmd("a3", "FETCH 1:* (UID)").await;
    assert_eq!(untagged_of(&r).len(), 2, "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_selected_mailbox_elsewhere_ends_the_session() {
    let w = World::start().await;
    let mut a = Client::login(w.addr).await;
    let mut b = Client::login(w.addr).await;
    a.cmd("a1", "CREATE Doomed").await;
    b.cmd("b1", "SELECT Doomed").await;
    b.send(b"b2 IDLE\r\n").await;
    assert!(b.response().await.unwrap().starts_with(b"+ "));
    let r = a.cmd("a2", "DELETE Doomed").await;
    assert_eq!(r, ["a2 OK DELETE completed"]);
    let r = untagged(&mut b, 1, Duration::from_secs(2)).await;
    assert!(r[0].starts_with("* BYE"), "{r:?}");
    assert!(b.response().await.is_none());
}
