//! Conformance: generic records with expiry and the event outbox (`record_*`, `outbox_*`):
//! prefix listing in key order, expiry, prefix deletion, outbox tailing in id order, and
//! exclusive, leased claims (two claimers never get the same entry while a lease runs).

use super::{StoreFactory, reopen_or_keep};
use eider_model::OutboxEntry;
use eider_store::mailstore::MailStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn keys(list: &[(String, Vec<u8>)]) -> Vec<&str> {
    list.iter().map(|(k, _)| k.as_str()).collect()
}

/// Put, replace, get, delete, list by prefix (ordered, paged), expiry and prefix deletion.
pub async fn records_put_list_expire(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let far = Some(now() + 3600);
    for (k, v) in [
        ("token/1/b", "1b"),
        ("token/1/a", "1a"),
        ("token/10/a", "10a"),
        ("token/2/a", "2a"),
        ("webhook/x", "hook"),
    ] {
        s.record_put(k, v.as_bytes().to_vec(), far).await.unwrap();
    }
    s.record_put("token/1/gone", b"old".to_vec(), Some(now() - 1))
        .await
        .unwrap();
    assert_eq!(
        s.record_get("token/1/a").await.unwrap(),
        Some(b"1a".to_vec())
    );
    assert_eq!(s.record_get("token/1/gone").await.unwrap(), None, "expired");
    assert_eq!(s.record_get("token/3").await.unwrap(), None);
    s.record_put("webhook/x", b"replaced".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(
        s.record_get("webhook/x").await.unwrap(),
        Some(b"replaced".to_vec())
    );

    let all = s.record_list("token/", None, 100).await.unwrap();
    assert_eq!(
        keys(&all),
        ["token/1/a", "token/1/b", "token/10/a", "token/2/a"]
    );
    let one = s.record_list("token/1/", None, 100).await.unwrap();
    assert_eq!(keys(&one), ["token/1/a", "token/1/b"], "prefix is exact");
    let page = s.record_list("token/", Some("token/1/b"), 1).await.unwrap();
    assert_eq!(keys(&page), ["token/10/a"]);
    assert_eq!(page[0].1, b"10a");

    assert!(s.record_delete("token/2/a").await.unwrap());
    assert!(!s.record_delete("token/2/a").await.unwrap());
    assert!(!s.record_delete("token/1/gone").await.unwrap(), "expired");
    let removed = s.record_delete_prefix("token/1/").await.unwrap();
    assert!(removed >= 2, "removed {removed}");
    let left = s.record_list("", None, 100).await.unwrap();
    assert_eq!(keys(&left), ["token/10/a", "webhook/x"]);
    // An expiring record may be made permanent and back.
    s.record_put("webhook/x", b"v".to_vec(), Some(now() - 5))
        .await
        .unwrap();
    assert_eq!(s.record_get("webhook/x").await.unwrap(), None);
    assert_eq!(
        keys(&s.record_list("", None, 100).await.unwrap()),
        ["token/10/a"]
    );
}

fn ids(entries: &[OutboxEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.id).collect()
}

/// Pushes get increasing ids; `outbox_after` tails them (delivered or not); claims take pending
/// entries oldest first, once per lease; `outbox_done` ends claims; expired entries vanish.
pub async fn outbox_tail_claim_done(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let keep = now() + 3600;
    let mut pushed = Vec::new();
    for i in 0..3u8 {
        pushed.push(s.outbox_push(vec![i; 3], keep).await.unwrap());
    }
    s.outbox_push(b"expired".to_vec(), now() - 1).await.unwrap();
    assert!(pushed.windows(2).all(|w| w[0] < w[1]), "{pushed:?}");
    let all = s.outbox_after(0, 100).await.unwrap();
    assert_eq!(ids(&all), pushed, "expired entry hidden");
    assert_eq!(all[1].payload, vec![1u8; 3]);
    assert!(all.iter().all(|e| e.claims == 0 && e.at >= now() - 60));
    assert_eq!(
        ids(&s.outbox_after(pushed[0], 1).await.unwrap()),
        [pushed[1]]
    );

    let long = Duration::from_secs(600);
    let first = s.outbox_claim(long, 2).await.unwrap();
    assert_eq!(ids(&first), pushed[..2]);
    assert!(first.iter().all(|e| e.claims == 1));
    let second = s.outbox_claim(long, 10).await.unwrap();
    assert_eq!(
        ids(&second),
        [pushed[2]],
        "leased entries are not claimed again"
    );
    assert!(s.outbox_claim(long, 10).await.unwrap().is_empty());

    // A short lease runs out: the entry comes back, with the claim counted.
    let short = s.outbox_push(b"short".to_vec(), keep).await.unwrap();
    let got = s
        .outbox_claim(Duration::from_millis(200), 10)
        .await
        .unwrap();
    assert_eq!(ids(&got), [short]);
    assert!(s.outbox_claim(long, 10).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = s
        .outbox_claim(Duration::from_millis(200), 10)
        .await
        .unwrap();
    assert_eq!(ids(&again), [short]);
    assert_eq!(again[0].claims, 2);
    s.outbox_done(short).await.unwrap();
    s.outbox_done(u64::MAX).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        s.outbox_claim(long, 10).await.unwrap().is_empty(),
        "done entries are never claimed"
    );
    // Delivered entries stay readable for tailers until they expire.
    let tail = s.outbox_after(0, 100).await.unwrap();
    assert_eq!(ids(&tail).last(), Some(&short));
}

/// Concurrent claimers split the pending entries: each is claimed exactly once.
pub async fn outbox_concurrent_claims_exclusive(f: &dyn StoreFactory) {
    let store = f.make().await;
    let keep = now() + 3600;
    let mut pushed = BTreeSet::new();
    for i in 0..24u8 {
        pushed.insert(store.outbox_push(vec![i], keep).await.unwrap());
    }
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let s: Arc<dyn MailStore> = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = s.outbox_claim(Duration::from_secs(600), 3).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(ids(&batch));
            }
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    let unique: BTreeSet<u64> = claimed.iter().copied().collect();
    assert_eq!(unique.len(), claimed.len(), "an entry was claimed twice");
    assert_eq!(unique, pushed);
}

/// Records and the outbox survive a restart of the store.
pub async fn records_survive_reopen(f: &dyn StoreFactory) {
    let store = f.make().await;
    store
        .record_put("token/7/h", b"t".to_vec(), Some(now() + 3600))
        .await
        .unwrap();
    let id = store
        .outbox_push(b"e".to_vec(), now() + 3600)
        .await
        .unwrap();
    let (store, _reopened) = reopen_or_keep(f, store).await;
    assert_eq!(
        store.record_get("token/7/h").await.unwrap(),
        Some(b"t".to_vec())
    );
    let tail = store.outbox_after(0, 10).await.unwrap();
    assert_eq!(ids(&tail), [id]);
    let next = store
        .outbox_push(b"f".to_vec(), now() + 3600)
        .await
        .unwrap();
    assert!(next > id, "ids keep increasing after a restart");
    let claimed = store
        .outbox_claim(Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), [id, next]);
}

/// Copies and moves into or out of `\Junk` append their training signal to the outbox with the
/// copy (see `eider_store::junk`); other copies, failed ones and Junk→Trash append nothing.
pub async fn outbox_records_junk_copies(f: &dyn StoreFactory) {
    use super::fixtures::{mailbox_id, make_user, simple_message};
    use eider_model::Flags;
    use eider_model::types::{MailboxId, Uid};
    use eider_store::junk::JunkEvent;
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "j", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let junk = mailbox_id(s, u.id, "Junk").await;
    let trash = mailbox_id(s, u.id, "Trash").await;
    for i in 0..3 {
        let m = simple_message(s, i, 100, Flags::default()).await;
        s.append(inbox, m).await.unwrap();
    }
    let events = || async {
        let entries = s.outbox_after(0, 100).await.unwrap();
        entries
            .iter()
            .map(|e| {
                let ev = JunkEvent::decode(&e.payload).unwrap();
                assert_eq!(ev.user_id, u.id.0.to_string());
                (ev.event, ev.from_mailbox, ev.to_mailbox, ev.messages)
            })
            .collect::<Vec<_>>()
    };
    let ev = |e: &str, from: MailboxId, to: MailboxId, m: Vec<[u32; 2]>| {
        (e.to_owned(), from.0.to_string(), to.0.to_string(), m)
    };
    s.move_messages(inbox, &[Uid(1), Uid(2)], junk)
        .await
        .unwrap();
    s.copy_messages(inbox, &[Uid(3)], trash).await.unwrap();
    s.copy_messages(junk, &[Uid(1)], trash).await.unwrap();
    // Nothing to copy, or a failing copy: no signal.
    s.copy_messages(inbox, &[Uid(99)], junk).await.unwrap();
    assert!(
        s.move_messages(inbox, &[Uid(3)], MailboxId(u64::MAX))
            .await
            .is_err()
    );
    s.copy_messages(junk, &[Uid(2)], inbox).await.unwrap();
    assert_eq!(
        events().await,
        [
            ev("marked.spam", inbox, junk, vec![[1, 1], [2, 2]]),
            ev("marked.ham", junk, inbox, vec![[2, 4]]),
        ]
    );
}
