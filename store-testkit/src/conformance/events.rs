//! Conformance: change notifications. Every committed write that changes a mailbox publishes a
//! `StoreEvent` naming the user, the mailbox and its new HIGHESTMODSEQ, only after the change is
//! visible to readers (an IDLE session woken by the event must find the change).

use super::fixtures::{append_n, mailbox_id, make_user, seen, simple_message};
use super::{StoreFactory, check_consistency};
use eider_model::types::{MailboxId, ModSeq, Uid};
use eider_model::{FlagOp, Flags, StoreEvent};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

/// Collects events until every mailbox in `want` has reached its modseq (or 5 s pass).
async fn wait_for(
    rx: &mut Receiver<StoreEvent>,
    want: &BTreeMap<MailboxId, ModSeq>,
) -> Vec<StoreEvent> {
    let mut got: Vec<StoreEvent> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let done = |got: &[StoreEvent]| {
        want.iter()
            .all(|(mb, ms)| got.iter().any(|e| e.mailbox == *mb && e.modseq >= *ms))
    };
    while !done(&got) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(ev)) => got.push(ev),
            other => panic!("waiting for {want:?}: got {got:?} then {other:?}"),
        }
    }
    got
}

/// Append, flags, copy, move, expunge each notify every mailbox they change, with its new modseq.
pub async fn events_name_each_changed_mailbox(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let arch = mailbox_id(s, u.id, "Archive").await;
    let mut rx = s.subscribe();
    let highest = |mb| async move { s.get_mailbox(mb).await.unwrap().unwrap().highest_modseq };

    let msg = simple_message(s, 1, 100, Flags::default()).await;
    let ap = s.append(inbox, msg).await.unwrap();
    let evs = wait_for(&mut rx, &BTreeMap::from([(inbox, ap.modseq)])).await;
    assert!(evs.iter().all(|e| e.user == u.id), "{evs:?}");
    let fc = s
        .set_flags(inbox, &[ap.uid], FlagOp::Add, &seen(), None)
        .await
        .unwrap();
    wait_for(&mut rx, &BTreeMap::from([(inbox, fc.changed[0].1)])).await;
    s.copy_messages(inbox, &[ap.uid], arch).await.unwrap();
    wait_for(&mut rx, &BTreeMap::from([(arch, highest(arch).await)])).await;
    s.move_messages(arch, &[Uid(1)], inbox).await.unwrap();
    let want = BTreeMap::from([(arch, highest(arch).await), (inbox, highest(inbox).await)]);
    wait_for(&mut rx, &want).await;
    s.expunge(inbox, None, false).await.unwrap();
    wait_for(&mut rx, &BTreeMap::from([(inbox, highest(inbox).await)])).await;
}

/// While a writer appends, every event received names a change a reader can already see.
pub async fn events_follow_commit(f: &dyn StoreFactory) {
    let store = f.make().await;
    let u = make_user(store.as_ref(), "u", 0).await;
    let inbox = mailbox_id(store.as_ref(), u.id, "INBOX").await;
    let mut rx = store.subscribe();
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move { append_n(store.as_ref(), inbox, 60, 1).await })
    };
    let mut seen_last = ModSeq(0);
    let mut checked = 0;
    while seen_last < ModSeq(61) {
        let ev = match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Ok(ev)) => ev,
            other => panic!("after modseq {seen_last}: {other:?}"),
        };
        if ev.mailbox != inbox {
            continue;
        }
        let mb = store.get_mailbox(inbox).await.unwrap().unwrap();
        assert!(
            mb.highest_modseq >= ev.modseq,
            "event {} published before the change was visible ({})",
            ev.modseq,
            mb.highest_modseq
        );
        let listed = store.list_messages(inbox, super::all_uids()).await.unwrap();
        assert!(
            listed.iter().any(|m| m.modseq == ev.modseq),
            "message of modseq {} not readable",
            ev.modseq
        );
        seen_last = seen_last.max(ev.modseq);
        checked += 1;
    }
    writer.await.unwrap();
    assert!(checked > 0);
    check_consistency(store.as_ref()).await.unwrap();
}
