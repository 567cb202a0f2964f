//! Conformance under injected faults: multi-step flows interrupted at every write.
//!
//! For each flow and every N = 1, 2, … until the flow completes without reaching write N, a fresh
//! store runs the flow through a [`FaultyStore`] failing write N, once refused before the backend
//! ([`FaultMode::Before`]) and once after it ([`FaultMode::After`]). After each run the store must
//! pass [`check_consistency`], a sweep past the grace cutoff must leave no unreferenced blob, and
//! since a flow stops at its first error, the mail state (users, mailboxes, UIDs, flags) after
//! "refused before write N" must equal the state after "failed after write N-1". Backends that
//! can reopen (see [`StoreFactory::reopen`]) are reopened after each run, as after a restart.

use super::fixtures::{all_uids, bytes, mailbox_id, make_user, message, now, try_put_blob};
use super::{StoreFactory, check_consistency, reopen_or_keep};
use crate::faulty::{FaultMode, FaultyStore};
use eider_model::types::{BlobId, MailboxId, Uid, UserId};
use eider_model::{FlagOp, Flags};
use eider_store::content::BlobWriter;
use eider_store::error::StoreResult;
use eider_store::mailstore::MailStore;
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a flow's setup made: a user, their mailboxes by path, some UIDs in INBOX.
#[derive(Clone, Debug, Default)]
pub struct FlowIds {
    pub user: UserId,
    pub other: UserId,
    pub boxes: BTreeMap<String, MailboxId>,
    pub uids: Vec<Uid>,
}

/// Prepares a store before faults are armed.
pub type SetupFn = for<'a> fn(&'a dyn MailStore) -> BoxFuture<'a, FlowIds>;
/// The interrupted flow; stops at its first error like a client would.
pub type FlowFn = for<'a> fn(&'a dyn MailStore, &'a FlowIds) -> BoxFuture<'a, StoreResult<()>>;

const MAX_WRITES: u64 = 200;

/// Mail state by name (ids may differ between runs of some backends): per user, usage and each
/// mailbox's path, counters, UIDNEXT and (UID, flags) list.
type Snapshot = Vec<(String, u64, Vec<(String, u32, u32, Vec<(Uid, Flags)>)>)>;

async fn snapshot(s: &dyn MailStore) -> Snapshot {
    let mut out = Vec::new();
    for u in s.list_users(None, 1000).await.unwrap() {
        let mut boxes = Vec::new();
        for mb in s.list_mailboxes(u.id).await.unwrap() {
            let msgs = s.list_messages(mb.id, all_uids()).await.unwrap();
            let msgs = msgs.into_iter().map(|m| (m.uid, m.flags)).collect();
            boxes.push((mb.path, mb.messages, mb.uid_next.0, msgs));
        }
        out.push((u.username, u.bytes_used, boxes));
    }
    out
}

/// Runs `flow` interrupted at every write, both ways; see the module doc.
pub async fn run_interrupted(f: &dyn StoreFactory, name: &str, setup: SetupFn, flow: FlowFn) {
    let mut prev_after: Option<Snapshot> = None;
    for n in 1..=MAX_WRITES {
        let mut completed = false;
        let mut states = Vec::new();
        for mode in [FaultMode::Before, FaultMode::After] {
            let store = f.make().await;
            let ids = setup(store.as_ref()).await;
            if n == 1 && mode == FaultMode::Before {
                prev_after = Some(snapshot(store.as_ref()).await);
            }
            let faulty = FaultyStore::new(Arc::clone(&store));
            faulty.fail_nth_write(n, mode, false);
            let res = flow(&faulty, &ids).await;
            let hit = faulty.injected() > 0;
            faulty.disarm();
            let ctx = format!("{name}: fault {mode:?} write #{n}");
            if !hit {
                assert!(res.is_ok(), "{ctx}: flow failed without a fault: {res:?}");
                completed = true;
            }
            // As if the process stopped here (the lost reply of `After`) and started again.
            let live = snapshot(store.as_ref()).await;
            drop(faulty);
            let (store, _) = reopen_or_keep(f, store).await;
            let s = store.as_ref();
            check_consistency(s)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: inconsistent:\n{e}"));
            let snap = snapshot(s).await;
            assert!(
                snap == live,
                "{ctx}: state differs after reopening:\n{snap:?}\nvs\n{live:?}"
            );
            states.push(snap);
            let swept = s
                .sweep(now() + 3600, 0)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: sweep: {e}"));
            let orphans: Vec<_> = s
                .list_blobs(None, 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|b| b.refs == 0)
                .collect();
            assert!(
                orphans.is_empty(),
                "{ctx}: unreferenced blobs survive a sweep past the cutoff ({swept:?}): {orphans:?}"
            );
            let again = s.sweep(now() + 3600, 0).await.unwrap();
            assert_eq!(
                (again.blobs, again.uploads),
                (0, 0),
                "{ctx}: second sweep found more (uploads left open?)"
            );
            check_consistency(s)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: after sweep:\n{e}"));
        }
        if let Some(prev) = &prev_after {
            assert!(
                &states[0] == prev,
                "{name}: refusing write #{n} left a different state than failing after write #{}:\n{:?}\nvs\n{:?}",
                n - 1,
                states[0],
                prev
            );
        }
        prev_after = states.pop();
        if completed {
            assert!(n > 2, "{name}: the flow made only {} writes", n - 1);
            println!("{name}: interrupted at each of {} writes, both ways", n - 1);
            return;
        }
    }
    panic!("{name}: flow still running after {MAX_WRITES} writes");
}

fn setup_basic(s: &dyn MailStore) -> BoxFuture<'_, FlowIds> {
    Box::pin(async move {
        let u = make_user(s, "flow", 0).await;
        let other = make_user(s, "other", 0).await;
        let mut ids = FlowIds {
            user: u.id,
            other: other.id,
            ..FlowIds::default()
        };
        for mb in s.list_mailboxes(u.id).await.unwrap() {
            ids.boxes.insert(mb.path, mb.id);
        }
        let inbox = ids.boxes["INBOX"];
        let shared = bytes(77, 5000);
        let shared_id = try_put_blob(s, &shared).await.unwrap();
        for i in 0..4u64 {
            let own = bytes(100 + i, 300);
            let own_id = try_put_blob(s, &own).await.unwrap();
            let msg = message(
                b"H: 1\r\n",
                &[(own_id, 300), (shared_id, 5000)],
                Flags::default(),
                &format!("f{i}"),
            );
            ids.uids.push(s.append(inbox, msg).await.unwrap().uid);
        }
        let theirs = mailbox_id(s, other.id, "INBOX").await;
        s.append(
            theirs,
            message(b"", &[(shared_id, 5000)], Flags::default(), "theirs"),
        )
        .await
        .unwrap();
        ids
    })
}

fn flow_ingest<'a>(s: &'a dyn MailStore, ids: &'a FlowIds) -> BoxFuture<'a, StoreResult<()>> {
    Box::pin(async move {
        // Delivery to two recipients: a three-chunk skeleton streamed through `BlobWriter`, an
        // attachment already stored (dedup on commit).
        let skeleton = bytes(5, 150_000);
        let sk = stream_blob(s, &skeleton).await?;
        let att = try_put_blob(s, &bytes(77, 5000)).await?;
        let msg = message(
            b"Delivered-To: flow\r\n",
            &[(sk, 150_000), (att, 5000)],
            Flags::default(),
            "in",
        );
        s.append(ids.boxes["INBOX"], msg.clone()).await?;
        let theirs = mailbox_id(s, ids.other, "INBOX").await;
        s.append(theirs, msg).await?;
        Ok(())
    })
}

/// Streams `data` through a `BlobWriter` in 40 000-byte writes; aborts the upload on error, as
/// the ingest path does.
async fn stream_blob(s: &dyn MailStore, data: &[u8]) -> StoreResult<BlobId> {
    let mut w = BlobWriter::begin(s).await?;
    for piece in data.chunks(40_000) {
        if let Err(e) = w.write(s, piece).await {
            let _ = w.abort(s).await;
            return Err(e);
        }
    }
    Ok(w.finish(s).await?.0)
}

fn flow_session<'a>(s: &'a dyn MailStore, ids: &'a FlowIds) -> BoxFuture<'a, StoreResult<()>> {
    Box::pin(async move {
        let (inbox, arch, trash) = (ids.boxes["INBOX"], ids.boxes["Archive"], ids.boxes["Trash"]);
        let copied = s.copy_messages(inbox, &ids.uids[..3], arch).await?;
        let in_arch: Vec<Uid> = copied.mapping.iter().map(|p| p.1).collect();
        s.set_flags(arch, &in_arch, FlagOp::Add, &super::fixtures::seen(), None)
            .await?;
        s.move_messages(arch, &in_arch[..2], trash).await?;
        s.move_messages(inbox, &ids.uids[3..], trash).await?;
        s.expunge(trash, None, false).await?;
        let tmp = s.create_mailbox(ids.user, "Tmp", None).await?;
        s.copy_messages(inbox, &ids.uids[..1], tmp.id).await?;
        s.rename_mailbox(tmp.id, "Tmp2").await?;
        s.delete_mailbox(tmp.id).await?;
        Ok(())
    })
}

fn flow_delete_user<'a>(s: &'a dyn MailStore, ids: &'a FlowIds) -> BoxFuture<'a, StoreResult<()>> {
    Box::pin(async move {
        s.add_address(ids.user, "flow@example.org", "flow@example.org")
            .await?;
        s.copy_messages(ids.boxes["INBOX"], &ids.uids, ids.boxes["Sent"])
            .await?;
        s.delete_mailbox(ids.boxes["Junk"]).await?;
        s.delete_user(ids.user).await?;
        s.delete_user(ids.other).await?;
        Ok(())
    })
}

/// Blob staging + commit, then appends to two users, interrupted at every write.
pub async fn faults_ingest_flow(f: &dyn StoreFactory) {
    run_interrupted(f, "ingest", setup_basic, flow_ingest).await;
}

/// Copy, flag, move, expunge, create/rename/delete mailbox, interrupted at every write.
pub async fn faults_copy_move_flow(f: &dyn StoreFactory) {
    run_interrupted(f, "session", setup_basic, flow_session).await;
}

/// Address, copy, delete mailbox, delete both users, interrupted at every write.
pub async fn faults_delete_user_flow(f: &dyn StoreFactory) {
    run_interrupted(f, "delete_user", setup_basic, flow_delete_user).await;
}
