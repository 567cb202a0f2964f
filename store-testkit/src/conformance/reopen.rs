//! Conformance: everything survives closing and reopening the store (for backends that can,
//! see [`StoreFactory::reopen`]), and allocation resumes where it stopped: no UID, mailbox id,
//! user id or UIDVALIDITY is handed out twice across a restart.

use super::fixtures::{all_uids, append_n, bytes, mailbox_id, make_user, message, put_blob, seen};
use super::{StoreFactory, check_consistency, reopen_or_keep};
use eider_model::types::{ModSeq, UserId};
use eider_model::{Address, BlobInfo, FlagOp, Flags, JournalEntry, Mailbox, StoredMessage, User};
use eider_store::mailstore::MailStore;
use std::collections::BTreeSet;

#[derive(Debug, PartialEq)]
struct Everything {
    users: Vec<User>,
    addresses: Vec<Vec<Address>>,
    alias: Option<String>,
    mailboxes: Vec<Mailbox>,
    messages: Vec<Vec<StoredMessage>>,
    journals: Vec<Vec<JournalEntry>>,
    blobs: Vec<BlobInfo>,
}

async fn everything(s: &dyn MailStore, users: &[UserId]) -> Everything {
    let mut e = Everything {
        users: s.list_users(None, 100).await.unwrap(),
        addresses: Vec::new(),
        alias: s.lookup_domain_alias("alias.example").await.unwrap(),
        mailboxes: Vec::new(),
        messages: Vec::new(),
        journals: Vec::new(),
        blobs: s.list_blobs(None, 1000).await.unwrap(),
    };
    for u in users {
        let mut a = s.list_addresses(*u).await.unwrap();
        a.sort_by(|x, y| x.address.cmp(&y.address));
        e.addresses.push(a);
        for mb in s.list_mailboxes(*u).await.unwrap() {
            e.messages
                .push(s.get_messages(mb.id, all_uids()).await.unwrap());
            e.journals
                .push(s.changes_since(mb.id, ModSeq(0)).await.unwrap());
            e.mailboxes.push(mb);
        }
    }
    e
}

pub async fn reopen_keeps_everything(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let a = make_user(s, "a", 50_000).await;
    let b = make_user(s, "b", 0).await;
    s.add_address(a.id, "a@example.org", "A <a@example.org>")
        .await
        .unwrap();
    s.add_address(a.id, "*@example.net", "*@example.net")
        .await
        .unwrap();
    s.add_domain_alias("alias.example", "example.org")
        .await
        .unwrap();
    let inbox = mailbox_id(s, a.id, "INBOX").await;
    let work = s.create_mailbox(a.id, "Work", None).await.unwrap();
    s.create_mailbox(a.id, "Work/Old", None).await.unwrap();
    s.rename_mailbox(work.id, "Job").await.unwrap();
    s.set_subscribed(work.id, true).await.unwrap();
    let uids = append_n(s, inbox, 6, 1).await;
    s.set_flags(inbox, &uids[..3], FlagOp::Add, &seen(), None)
        .await
        .unwrap();
    s.copy_messages(inbox, &uids[2..], work.id).await.unwrap();
    s.expunge(inbox, Some(&uids[4..]), false).await.unwrap();
    let blob = put_blob(s, &bytes(99, 1000)).await;
    let mut root = message(b"", &[(blob, 1000)], Flags::default(), "root");
    root.meta.message_id = Some("root@example.org".into());
    let root_ap = s.append(inbox, root).await.unwrap();
    s.delete_mailbox(mailbox_id(s, b.id, "Junk").await)
        .await
        .unwrap();
    let users = [a.id, b.id];
    let before = everything(s, &users).await;

    let (store, reopened) = reopen_or_keep(f, store).await;
    if !reopened {
        println!("backend cannot reopen: checking the live store only");
    }
    let s = store.as_ref();
    let after = everything(s, &users).await;
    assert!(
        before == after,
        "state differs after reopening:\n{before:#?}\nvs\n{after:#?}"
    );
    check_consistency(s).await.unwrap();

    // Allocation resumes after what was handed out before.
    let inbox_mb = s.get_mailbox(inbox).await.unwrap().unwrap();
    let mut reply = message(b"", &[(blob, 1000)], Flags::default(), "reply");
    reply.meta.in_reply_to = vec!["root@example.org".into()];
    let ap = s.append(inbox, reply).await.unwrap();
    assert_eq!(ap.uid, inbox_mb.uid_next, "UIDs continue");
    assert!(ap.modseq > inbox_mb.highest_modseq, "modseqs continue");
    let thread = |uid| async move {
        s.get_message(inbox, uid)
            .await
            .unwrap()
            .unwrap()
            .summary
            .thread
    };
    assert_eq!(
        thread(ap.uid).await,
        thread(root_ap.uid).await,
        "threads survive"
    );
    let fresh = s.create_mailbox(a.id, "Fresh", None).await.unwrap();
    let old_ids: BTreeSet<_> = before.mailboxes.iter().map(|m| m.id).collect();
    let old_validity: BTreeSet<_> = before.mailboxes.iter().map(|m| m.uid_validity).collect();
    assert!(
        !old_ids.contains(&fresh.id),
        "mailbox id reused after reopen"
    );
    assert!(
        !old_validity.contains(&fresh.uid_validity),
        "UIDVALIDITY reused after reopen"
    );
    let c = make_user(s, "c", 0).await;
    assert!(!users.contains(&c.id), "user id reused after reopen");
    let res = s.create_user(eider_model::NewUser {
        username: "A".into(),
        password_hash: String::new(),
        quota: 0,
        limits: Default::default(),
        spam_level: 0,
    });
    assert!(
        matches!(
            res.await,
            Err(eider_store::error::StoreError::AlreadyExists(_))
        ),
        "name index survives"
    );
    check_consistency(s).await.unwrap();
}
