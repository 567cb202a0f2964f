//! Conformance: UID and MODSEQ allocation under concurrent writers.
//!
//! RFC 3501 §2.3.1.1: UIDs strictly ascend in the order messages are added; RFC 7162 §3.1:
//! every change gets a MODSEQ above all earlier ones of the mailbox. With many tasks appending
//! at once, the UIDs handed out must be unique, gap-free, and ordered like the modseqs (both
//! follow commit order).

use super::fixtures::{all_uids, mailbox_id, make_user, seen, simple_message};
use super::{StoreFactory, check_consistency};
use eider_model::types::{ModSeq, Uid};
use eider_model::{FlagOp, Flags};
use std::collections::BTreeSet;
use std::sync::Arc;

const TASKS: usize = 16;
const PER_TASK: usize = 25;

/// 16 tasks × 25 appends into one mailbox.
pub async fn concurrent_appends_monotonic(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    let start = store.get_mailbox(inbox).await.unwrap().unwrap();
    // Stage every blob first so the appends themselves race.
    let mut batches = Vec::new();
    for t in 0..TASKS {
        let mut msgs = Vec::new();
        for i in 0..PER_TASK {
            let seed = (t * PER_TASK + i) as u64;
            msgs.push(simple_message(store.as_ref(), seed, 150, Flags::default()).await);
        }
        batches.push(msgs);
    }
    let mut handles = Vec::new();
    for msgs in batches {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for msg in msgs {
                let ap = store.append(inbox, msg).await.expect("concurrent append");
                out.push((ap.uid, ap.modseq));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        let got = h.await.unwrap();
        for w in got.windows(2) {
            assert!(
                w[1].0 > w[0].0 && w[1].1 > w[0].1,
                "one task's sequential appends ascend: {w:?}"
            );
        }
        all.extend(got);
    }
    let n = TASKS * PER_TASK;
    let uids: BTreeSet<Uid> = all.iter().map(|x| x.0).collect();
    assert_eq!(uids.len(), n, "UIDs unique");
    assert_eq!(
        uids.iter().map(|u| u.0).collect::<Vec<_>>(),
        (1..=n as u32).collect::<Vec<_>>(),
        "UIDs gap-free from 1"
    );
    let modseqs: BTreeSet<ModSeq> = all.iter().map(|x| x.1).collect();
    assert_eq!(modseqs.len(), n, "modseqs unique");
    all.sort();
    for w in all.windows(2) {
        assert!(w[1].1 > w[0].1, "UID order and modseq order agree: {w:?}");
    }
    assert!(all[0].1 > start.highest_modseq);
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(mb.uid_next, Uid(n as u32 + 1), "UIDNEXT");
    assert_eq!(mb.highest_modseq, all.last().unwrap().1, "HIGHESTMODSEQ");
    assert_eq!(mb.messages as usize, n);
    let listed = store.list_messages(inbox, all_uids()).await.unwrap();
    assert_eq!(
        listed.iter().map(|m| (m.uid, m.modseq)).collect::<Vec<_>>(),
        all,
        "stored (uid, modseq) pairs"
    );
    check_consistency(store.as_ref()).await.unwrap();
}

/// Concurrent appends and flag changes on one mailbox: every change gets a distinct, increasing
/// modseq and the journal holds each of them once.
pub async fn concurrent_flag_changes_monotonic(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    let mut uids = Vec::new();
    for i in 0..32u64 {
        let msg = simple_message(store.as_ref(), i, 120, Flags::default()).await;
        uids.push(store.append(inbox, msg).await.unwrap().uid);
    }
    let mut handles = Vec::new();
    for t in 0..8usize {
        let store = Arc::clone(&store);
        let mine: Vec<Uid> = uids.iter().copied().skip(t).step_by(8).collect();
        handles.push(tokio::spawn(async move {
            let mut modseqs = Vec::new();
            for round in 0..6 {
                let op = if round % 2 == 0 {
                    FlagOp::Add
                } else {
                    FlagOp::Remove
                };
                let fc = store
                    .set_flags(inbox, &mine, op, &seen(), None)
                    .await
                    .expect("set_flags");
                assert_eq!(fc.changed.len(), mine.len(), "every flag actually changed");
                let ms: BTreeSet<ModSeq> = fc.changed.iter().map(|c| c.1).collect();
                assert_eq!(ms.len(), 1, "one modseq per set_flags call");
                modseqs.extend(ms);
            }
            modseqs
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let distinct: BTreeSet<ModSeq> = all.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "no two set_flags calls share a modseq"
    );
    let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
    assert_eq!(
        Some(&mb.highest_modseq),
        distinct.last(),
        "HIGHESTMODSEQ is the last change"
    );
    assert_eq!(mb.unseen, 32, "every message ends unseen");
    check_consistency(store.as_ref()).await.unwrap();
}
