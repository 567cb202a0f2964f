//! Conformance: users (unique names, default mailboxes, update, delete) and addresses.

use super::fixtures::{append_n, assert_err, mailbox_id, make_user};
use super::{StoreFactory, check_consistency};
use eider_model::types::UserId;
use eider_model::{DEFAULT_MAILBOXES, UserLimits, UserUpdate};
use eider_store::error::StoreError;

/// Usernames are unique after NFC and lower-casing; lookups use the same folding.
pub async fn users_unique_names(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let alice = make_user(s, "Alice", 0).await;
    assert_eq!(alice.username, "Alice", "username kept as given");
    // Precomposed é (U+00E9) vs e + combining acute (U+0301): equal after NFC.
    let amelie = make_user(s, "Am\u{e9}lie", 0).await;
    for (name, owner) in [
        ("alice", alice.id),
        ("ALICE", alice.id),
        ("Am\u{e9}lie", amelie.id),
        ("Ame\u{301}lie", amelie.id),
        ("AME\u{301}LIE", amelie.id),
    ] {
        let found = s.find_user(name).await.unwrap().map(|u| u.id);
        assert_eq!(found, Some(owner), "find_user({name:?})");
        let res = s.create_user(new_user(name)).await;
        assert_err!(
            res,
            StoreError::AlreadyExists(_),
            format!("create_user({name:?}) again")
        );
    }
    assert_eq!(s.find_user("bob").await.unwrap(), None, "unknown user");
    assert_ne!(alice.id, amelie.id);
    let got = s.get_user(alice.id).await.unwrap().expect("get_user");
    assert_eq!(got, alice, "get_user returns what create_user returned");
    assert_eq!(s.get_user(UserId(u64::MAX)).await.unwrap(), None);
}

fn new_user(name: &str) -> eider_model::NewUser {
    eider_model::NewUser {
        username: name.to_string(),
        password_hash: "x".into(),
        quota: 0,
        limits: UserLimits::default(),
        spam_level: 0,
    }
}

/// A new user has exactly the default mailboxes with their special-use attributes, ordered by path.
pub async fn users_default_mailboxes(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "carol", 1000).await;
    assert_eq!((u.quota, u.bytes_used, u.disabled), (1000, 0, false));
    let mbs = s.list_mailboxes(u.id).await.unwrap();
    let mut want: Vec<_> = DEFAULT_MAILBOXES
        .iter()
        .map(|(p, su)| (p.to_string(), *su))
        .collect();
    want.sort();
    let got: Vec<_> = mbs
        .iter()
        .map(|m| (m.path.clone(), m.special_use))
        .collect();
    assert_eq!(got, want, "default mailboxes ordered by path");
    for m in &mbs {
        assert_eq!(m.user, u.id);
        assert_eq!(
            (m.messages, m.unseen, m.size),
            (0, 0, 0),
            "{} counters",
            m.path
        );
        assert_eq!(m.uid_next.0, 1, "{} uid_next", m.path);
        assert_eq!(m.highest_modseq.0, 1, "{} highest_modseq", m.path);
    }
    let ids: std::collections::BTreeSet<_> = mbs.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), mbs.len(), "mailbox ids unique");
    check_consistency(s).await.unwrap();
}

/// `update_user` changes only the given fields; `list_users` pages by id.
pub async fn users_update_and_list(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(make_user(s, &format!("user{i}"), 0).await.id);
    }
    let before = s.get_user(ids[3]).await.unwrap().unwrap();
    let limits = UserLimits {
        imap_connections: Some(3),
        max_message_size: Some(1 << 20),
        pop3_daily_download: None,
    };
    let after = s
        .update_user(
            ids[3],
            UserUpdate {
                quota: Some(5000),
                disabled: Some(true),
                limits: Some(limits.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (after.quota, after.disabled, &after.limits),
        (5000, true, &limits)
    );
    assert_eq!(
        (&after.username, &after.password_hash, after.spam_level),
        (&before.username, &before.password_hash, before.spam_level)
    );
    assert_eq!(
        s.get_user(ids[3]).await.unwrap().as_ref(),
        Some(&after),
        "update persisted"
    );
    let after2 = s
        .update_user(
            ids[3],
            UserUpdate {
                password_hash: Some("new".into()),
                spam_level: Some(90),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            after2.password_hash.as_str(),
            after2.spam_level,
            after2.quota
        ),
        ("new", 90, 5000)
    );
    assert_eq!(s.quota(ids[3]).await.unwrap().limit, 5000);
    let res = s.update_user(UserId(u64::MAX), UserUpdate::default()).await;
    assert_err!(res, StoreError::NotFound(_), "update_user(unknown)");

    let mut sorted = ids.clone();
    sorted.sort();
    let mut listed = Vec::new();
    let mut after_id = None;
    loop {
        let page = s.list_users(after_id, 3).await.unwrap();
        assert!(page.len() <= 3, "page limit");
        let Some(last) = page.last() else { break };
        after_id = Some(last.id);
        listed.extend(page.iter().map(|u| u.id));
    }
    assert_eq!(
        listed, sorted,
        "list_users pages through every user in id order"
    );
}

/// `delete_user` removes mailboxes, messages, addresses and releases blob references.
pub async fn users_delete_releases_everything(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let keep = make_user(s, "keep", 0).await;
    let gone = make_user(s, "gone", 0).await;
    s.add_address(gone.id, "gone@example.org", "Gone@Example.org")
        .await
        .unwrap();
    s.add_address(keep.id, "keep@example.org", "keep@example.org")
        .await
        .unwrap();
    let inbox = mailbox_id(s, gone.id, "INBOX").await;
    let uids = append_n(s, inbox, 5, 100).await;
    let sent = mailbox_id(s, gone.id, "Sent").await;
    s.copy_messages(inbox, &uids[..2], sent).await.unwrap();
    let keep_inbox = mailbox_id(s, keep.id, "INBOX").await;
    append_n(s, keep_inbox, 2, 200).await;
    check_consistency(s).await.unwrap();

    s.delete_user(gone.id).await.unwrap();
    assert_eq!(s.get_user(gone.id).await.unwrap(), None);
    assert_eq!(s.find_user("gone").await.unwrap(), None);
    assert_eq!(
        s.lookup_address("gone@example.org").await.unwrap(),
        None,
        "address removed"
    );
    assert_eq!(s.get_mailbox(inbox).await.unwrap(), None, "mailbox removed");
    assert_eq!(
        s.lookup_address("keep@example.org").await.unwrap(),
        Some(keep.id)
    );
    assert_eq!(
        s.list_mailboxes(keep.id).await.unwrap().len(),
        DEFAULT_MAILBOXES.len()
    );
    let res = s.delete_user(gone.id).await;
    assert_err!(res, StoreError::NotFound(_), "delete_user twice");
    check_consistency(s).await.unwrap();
    // The name is free again.
    make_user(s, "GONE", 0).await;
}

/// Addresses: exact lookup, one owner store-wide, delete.
pub async fn addresses_add_lookup_delete(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let a = make_user(s, "a", 0).await;
    let b = make_user(s, "b", 0).await;
    let addr = s
        .add_address(a.id, "a@example.org", "A@Example.ORG")
        .await
        .unwrap();
    assert_eq!(
        (addr.address.as_str(), addr.user, addr.display.as_str()),
        ("a@example.org", a.id, "A@Example.ORG")
    );
    s.add_address(a.id, "alias@b\u{fc}cher.example", "alias@bücher.example")
        .await
        .unwrap();
    assert_eq!(s.lookup_address("a@example.org").await.unwrap(), Some(a.id));
    assert_eq!(
        s.lookup_address("alias@b\u{fc}cher.example").await.unwrap(),
        Some(a.id)
    );
    assert_eq!(s.lookup_address("nobody@example.org").await.unwrap(), None);
    let res = s.add_address(b.id, "a@example.org", "a@example.org").await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_),
        "address held by another user"
    );
    let res = s.add_address(a.id, "a@example.org", "a@example.org").await;
    assert_err!(res, StoreError::AlreadyExists(_), "address added twice");
    let mut listed: Vec<_> = s
        .list_addresses(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.address)
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        vec![
            "a@example.org".to_string(),
            "alias@b\u{fc}cher.example".to_string()
        ]
    );
    assert!(s.list_addresses(b.id).await.unwrap().is_empty());
    let res = s
        .add_address(UserId(u64::MAX), "x@example.org", "x@example.org")
        .await;
    assert_err!(res, StoreError::NotFound(_), "address for an unknown user");
    assert_eq!(s.lookup_address("x@example.org").await.unwrap(), None);

    s.delete_address("a@example.org").await.unwrap();
    assert_eq!(s.lookup_address("a@example.org").await.unwrap(), None);
    let res = s.delete_address("a@example.org").await;
    assert_err!(res, StoreError::NotFound(_), "delete_address twice");
    // Free again: another user may take it.
    s.add_address(b.id, "a@example.org", "a@example.org")
        .await
        .unwrap();
    assert_eq!(s.lookup_address("a@example.org").await.unwrap(), Some(b.id));
}

/// Catch-alls are stored as `*@domain` and found only by exact lookup; domain aliases map a domain.
pub async fn addresses_catch_all_and_domain_aliases(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let a = make_user(s, "a", 0).await;
    let b = make_user(s, "b", 0).await;
    s.add_address(a.id, "*@example.org", "*@example.org")
        .await
        .unwrap();
    assert_eq!(s.lookup_address("*@example.org").await.unwrap(), Some(a.id));
    assert_eq!(
        s.lookup_address("x@example.org").await.unwrap(),
        None,
        "no catch-all logic in lookup"
    );
    let res = s.add_address(b.id, "*@example.org", "*@example.org").await;
    assert_err!(res, StoreError::AlreadyExists(_), "catch-all taken");

    assert_eq!(s.lookup_domain_alias("alias.example").await.unwrap(), None);
    s.add_domain_alias("alias.example", "example.org")
        .await
        .unwrap();
    s.add_domain_alias("\u{e9}t\u{e9}.example", "example.org")
        .await
        .unwrap();
    assert_eq!(
        s.lookup_domain_alias("alias.example")
            .await
            .unwrap()
            .as_deref(),
        Some("example.org")
    );
    assert_eq!(
        s.lookup_domain_alias("\u{e9}t\u{e9}.example")
            .await
            .unwrap()
            .as_deref(),
        Some("example.org")
    );
    assert_eq!(
        s.lookup_domain_alias("example.org").await.unwrap(),
        None,
        "target is not an alias"
    );
    let res = s.add_domain_alias("alias.example", "other.example").await;
    assert_err!(res, StoreError::AlreadyExists(_), "domain alias twice");
    s.delete_domain_alias("alias.example").await.unwrap();
    assert_eq!(s.lookup_domain_alias("alias.example").await.unwrap(), None);
    let res = s.delete_domain_alias("alias.example").await;
    assert_err!(res, StoreError::NotFound(_), "delete_domain_alias twice");
}
