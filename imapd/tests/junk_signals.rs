//! COPY and MOVE into and out of `\Junk` record spam/ham training signals in the store's
//! outbox (delivered later by the API; see docs/imap.md), whether or not an API runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::client::Client;
use common::{World, sample_message};
use eider_store::junk::JunkEvent;

/// The outbox as (event, from mailbox, to mailbox, [old, new] uids).
async fn outbox(w: &World) -> Vec<(String, String, String, Vec<[u32; 2]>)> {
    let entries = w.store.outbox_after(0, 100).await.unwrap();
    entries
        .iter()
        .map(|e| {
            let ev = JunkEvent::decode(&e.payload).unwrap();
            (ev.event, ev.from_mailbox, ev.to_mailbox, ev.messages)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_and_move_record_junk_signals() {
    let w = World::start().await;
    for n in 0..3 {
        w.deliver("INBOX", &sample_message(n)).await;
    }
    let (inbox, junk) = (
        w.mailbox("INBOX").await.0.to_string(),
        w.mailbox("Junk").await.0.to_string(),
    );
    let mut c = Client::login(w.addr).await;
    let steps = [
        ("SELECT INBOX", None),
        (
            "UID MOVE 1 Junk",
            Some(("marked.spam", &inbox, &junk, [1, 1])),
        ),
        (
            "UID COPY 2 Junk",
            Some(("marked.spam", &inbox, &junk, [2, 2])),
        ),
        ("UID COPY 3 Trash", None),
        ("SELECT Junk", None),
        ("UID COPY 1 Trash", None),
        (
            "UID MOVE 2 INBOX",
            Some(("marked.ham", &junk, &inbox, [2, 4])),
        ),
        ("UID COPY 1 Junk", None),
    ];
    let mut want = Vec::new();
    for (i, (cmd, signal)) in steps.into_iter().enumerate() {
        let tag = format!("t{i}");
        let r = c.cmd(&tag, cmd).await;
        assert!(
            r.last().unwrap().starts_with(&format!("{tag} OK")),
            "{cmd}: {r:?}"
        );
        if let Some((event, from, to, uids)) = signal {
            want.push((event.to_owned(), from.clone(), to.clone(), vec![uids]));
        }
        assert_eq!(outbox(&w).await, want, "after {cmd}");
    }
}
