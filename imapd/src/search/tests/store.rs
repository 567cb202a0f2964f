//! The store-backed driver over the embedded store: results, staged loading (proved with the
//! content-bytes counter), pending expunges, and a 10,000-message timing run (ignored by default;
//! run it with `--ignored --nocapture`).

use super::super::*;
use crate::mailbox::SelectedView;
use crate::mailbox::recent::RecentRegistry;
use crate::proto::command::{CommandBody, parse};
use eider_model::types::{MailboxId, Uid};
use eider_model::{
    Flags, HeaderField, MessageMeta, NewMessage, NewUser, Segment, SystemFlags, UserLimits,
};
use eider_store::MailStore;
use eider_store::content::put_blob;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use std::sync::Arc;
use std::time::Instant;

const TOPICS: [&str; 3] = ["apples", "bananas", "cherries"];

fn subject(i: u32) -> String {
    format!("Message {i} about {}", TOPICS[i as usize % 3])
}

fn body(i: u32, filler: usize) -> String {
    let word = if i.is_multiple_of(7) {
        "zebra"
    } else {
        "horse"
    };
    let mut s = format!("Body of message {i}: the secret word is {word}.\n");
    while s.len() < filler {
        s.push_str("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. ");
    }
    s
}

/// Appends messages 1..=n; with `batch` > 1 appends run concurrently (so UIDs follow `i` only
/// when `batch` is 1).
async fn fill(store: &EmbeddedStore, mailbox: MailboxId, n: u32, filler: usize, batch: u32) {
    let one = |i: u32| async move {
        let text = body(i, filler);
        let blob = put_blob(store, text.as_bytes()).await.unwrap().id;
        let raw = format!("Subject: {}\r\n\r\n{text}", subject(i)).into_bytes();
        let mut flags = Flags::default();
        if i.is_multiple_of(2) {
            flags.system = SystemFlags(SystemFlags::SEEN);
        }
        let msg = NewMessage {
            flags,
            internal_date: 1_700_000_000 + i64::from(i) * 60,
            internal_tz_minutes: 0,
            size: raw.len() as u64,
            segments: vec![Segment::Inline(raw)],
            sha256: [0; 32],
            meta: MessageMeta {
                headers: vec![
                    HeaderField {
                        name: "subject".into(),
                        value: subject(i),
                    },
                    HeaderField {
                        name: "from".into(),
                        value: format!("Sender {i} <s{i}@example.org>"),
                    },
                ],
                subject: Some(subject(i)),
                text_blob: Some(blob),
                ..Default::default()
            },
        };
        store.append(mailbox, msg).await.unwrap();
    };
    // Batches of concurrent appends so the writer can group commits.
    let mut i = 1;
    while i <= n {
        let end = (i + batch).min(n + 1);
        futures::future::join_all((i..end).map(one)).await;
        i = end;
    }
}

async fn setup(
    n: u32,
    filler: usize,
    batch: u32,
) -> (tempfile::TempDir, EmbeddedStore, SelectedView) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let user = store
        .create_user(NewUser {
            username: "u".into(),
            password_hash: "x".into(),
            quota: 0,
            limits: UserLimits::default(),
            spam_level: 50,
        })
        .await
        .unwrap();
    let mb = store.find_mailbox(user.id, "INBOX").await.unwrap().unwrap();
    fill(&store, mb.id, n, filler, batch).await;
    let view = open_view(&store, mb.id).await;
    (dir, store, view)
}

async fn open_view(store: &EmbeddedStore, mailbox: MailboxId) -> SelectedView {
    let mb = store.get_mailbox(mailbox).await.unwrap().unwrap();
    let uids = store
        .list_messages(mailbox, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
        .iter()
        .map(|s| s.uid)
        .collect();
    SelectedView::open(&mb, uids, true, Arc::new(RecentRegistry::new()), Uid(0))
}

fn q(args: &str) -> Query {
    match parse(format!("t SEARCH {args}").as_bytes()).map(|c| c.body) {
        Ok(CommandBody::Search(s)) => compile(&s.criteria, s.charset.as_deref(), None).unwrap(),
        other => panic!("{args}: {other:?}"),
    }
}

#[tokio::test]
async fn driver_results_and_staged_loading() {
    let n = 300;
    let (_dir, store, view) = setup(n, 3000, 1).await;
    let expect = |pred: &dyn Fn(u32) -> bool| (1..=n).filter(|&i| pred(i)).collect::<Vec<_>>();
    let run = |args: &'static str| {
        let (store, view) = (&store, &view);
        async move {
            let before = store.stats().content_bytes_read();
            let out = search(store, view, &q(args), 0).await.unwrap();
            (out, store.stats().content_bytes_read() - before)
        }
    };

    let (out, read) = run("SUBJECT bananas").await;
    assert_eq!(out.numbers(false), expect(&|i| i % 3 == 1));
    assert_eq!(read, 0, "header keys must not read content");

    let (out, read) = run("SEEN").await;
    assert_eq!(out.numbers(true), expect(&|i| i % 2 == 0));
    assert_eq!(read, 0);

    let (out, all_read) = run("BODY zebra").await;
    assert_eq!(out.numbers(false), expect(&|i| i % 7 == 0));
    let (out, seen_read) = run("SEEN BODY zebra").await;
    assert_eq!(out.numbers(false), expect(&|i| i % 14 == 0));
    // Text blobs are read only for messages the flags left undecided: about half of them.
    assert!(
        seen_read * 10 < all_read * 6,
        "SEEN BODY read {seen_read}, BODY read {all_read}"
    );
    let (out, _) = run("TEXT \"message 42:\"").await;
    assert_eq!(out.numbers(false), vec![42]);
    let (out, _) = run("OR SUBJECT \"message 5 \" BODY \"message 6:\"").await;
    assert_eq!(out.numbers(false), vec![5, 6]);

    // Expunged in the store but not yet announced: still numbered, never matches.
    store
        .expunge(view.mailbox(), Some(&[Uid(3)]), false)
        .await
        .unwrap();
    let out = search(&store, &view, &q("1:5"), 0).await.unwrap();
    assert_eq!(out.numbers(false), vec![1, 2, 4, 5]);
    let e = esearch(&out, false, &[]);
    assert_eq!(e.all.as_deref(), Some("1:2,4:5"));
}

/// 10,000 messages with ~1.5 KB of text each: SUBJECT and BODY search times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing run: cargo test -p eider-imapd search_10k -- --ignored --nocapture"]
async fn search_10k() {
    let n = 10_000;
    let t = Instant::now();
    let (_dir, store, view) = setup(n, 1500, 64).await;
    println!("setup of {n} messages: {:?}", t.elapsed());
    for args in [
        "SEEN",
        "SUBJECT \"message 4242 \"",
        "SUBJECT bananas",
        "FROM s77@",
        "BODY zebra",
        "BODY nowhere",
        "SEEN BODY zebra",
    ] {
        let query = q(args);
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let out = search(&store, &view, &query, 0).await.unwrap();
            times.push(t.elapsed());
            hits = out.matches.len();
        }
        times.sort();
        println!(
            "SEARCH {args}: {hits} hits, median {:?} (runs {times:?})",
            times[1]
        );
    }
}

#[tokio::test]
async fn search_stops_at_its_budget_and_refuses_long_strings() {
    let (_dir, store, view) = setup(20, 100, 1).await;
    let zero = std::time::Duration::ZERO;
    let out = search_within(&store, &view, &q("SUBJECT bananas"), 0, zero).await;
    assert!(matches!(out, Err(SearchError::TimeLimit(_))), "{out:?}");
    let long = Query::Not(Box::new(Query::Text("x".repeat(MAX_STRING_BYTES + 1))));
    let out = search(&store, &view, &long, 0).await;
    assert!(matches!(out, Err(SearchError::TooLong { .. })), "{out:?}");
    let at_cap = Query::Text("x".repeat(MAX_STRING_BYTES));
    assert!(search(&store, &view, &at_cap, 0).await.is_ok());
}
