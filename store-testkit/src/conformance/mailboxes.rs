//! Conformance: mailbox create / find / rename / delete and attributes.

use super::fixtures::{all_uids, append_n, assert_err, mailbox_id, make_user};
use super::{StoreFactory, check_consistency};
use eider_model::SpecialUse;
use eider_model::types::{MailboxId, UserId};
use eider_store::error::StoreError;

/// Create, duplicate, find (INBOX case-insensitively), no implicit parents, unknown user.
pub async fn mailboxes_create_and_find(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let other = make_user(s, "other", 0).await;
    let work = s.create_mailbox(u.id, "Work", None).await.unwrap();
    assert_eq!(
        (
            work.user,
            work.path.as_str(),
            work.uid_next.0,
            work.highest_modseq.0
        ),
        (u.id, "Work", 1, 1)
    );
    assert_eq!(
        (work.messages, work.unseen, work.size, work.special_use),
        (0, 0, 0, None)
    );
    let res = s.create_mailbox(u.id, "Work", None).await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_),
        "create_mailbox duplicate"
    );
    // Another user may use the same path.
    let theirs = s.create_mailbox(other.id, "Work", None).await.unwrap();
    assert_ne!(theirs.id, work.id);

    let deep = s
        .create_mailbox(u.id, "Projects/2026/Q4", Some(SpecialUse::Archive))
        .await
        .unwrap();
    assert_eq!(deep.special_use, Some(SpecialUse::Archive));
    assert_eq!(
        s.find_mailbox(u.id, "Projects").await.unwrap(),
        None,
        "parents not created implicitly"
    );
    assert_eq!(
        s.find_mailbox(u.id, "Projects/2026/Q4")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(deep.id)
    );
    assert_eq!(s.get_mailbox(deep.id).await.unwrap().as_ref(), Some(&deep));
    let unicode = s
        .create_mailbox(u.id, "Entw\u{fc}rfe/\u{65e5}\u{672c}", None)
        .await
        .unwrap();
    assert_eq!(
        s.find_mailbox(u.id, "Entw\u{fc}rfe/\u{65e5}\u{672c}")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(unicode.id)
    );

    let inbox = mailbox_id(s, u.id, "INBOX").await;
    for spelling in ["inbox", "Inbox", "iNbOx"] {
        let found = s.find_mailbox(u.id, spelling).await.unwrap();
        assert_eq!(
            found.as_ref().map(|m| (m.id, m.path.as_str())),
            Some((inbox, "INBOX")),
            "find {spelling}"
        );
    }
    assert_eq!(
        s.find_mailbox(u.id, "work").await.unwrap(),
        None,
        "non-INBOX paths are case-sensitive"
    );
    let res = s.create_mailbox(u.id, "inbox", None).await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_),
        "create inbox (INBOX exists)"
    );
    let res = s.create_mailbox(UserId(u64::MAX), "X", None).await;
    assert_err!(
        res,
        StoreError::NotFound(_),
        "create_mailbox for unknown user"
    );
    assert_eq!(s.get_mailbox(MailboxId(u64::MAX)).await.unwrap(), None);

    let paths: Vec<_> = s
        .list_mailboxes(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.path)
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "list_mailboxes ordered by path");
    assert!(paths.contains(&"Work".to_string()) && paths.contains(&"Projects/2026/Q4".to_string()));
}

/// Rename moves children, keeps ids, UIDVALIDITY, UIDNEXT and messages; refuses taken targets.
pub async fn mailboxes_rename_moves_children(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let a = s.create_mailbox(u.id, "a", None).await.unwrap();
    let ax = s.create_mailbox(u.id, "a/x", None).await.unwrap();
    let axy = s.create_mailbox(u.id, "a/x/y", None).await.unwrap();
    let ab = s.create_mailbox(u.id, "ab", None).await.unwrap();
    append_n(s, a.id, 3, 1).await;
    append_n(s, axy.id, 2, 10).await;
    let before_a = s.get_mailbox(a.id).await.unwrap().unwrap();
    let before_axy = s.get_mailbox(axy.id).await.unwrap().unwrap();
    let msgs_a = s.get_messages(a.id, all_uids()).await.unwrap();

    s.rename_mailbox(a.id, "b").await.unwrap();
    let after_a = s.get_mailbox(a.id).await.unwrap().unwrap();
    assert_eq!(after_a.path, "b");
    assert_eq!(
        (
            after_a.uid_validity,
            after_a.uid_next,
            after_a.messages,
            after_a.size
        ),
        (
            before_a.uid_validity,
            before_a.uid_next,
            before_a.messages,
            before_a.size
        )
    );
    assert_eq!(
        s.get_mailbox(ax.id).await.unwrap().unwrap().path,
        "b/x",
        "child renamed"
    );
    let after_axy = s.get_mailbox(axy.id).await.unwrap().unwrap();
    assert_eq!(
        (
            after_axy.path.as_str(),
            after_axy.uid_validity,
            after_axy.messages
        ),
        ("b/x/y", before_axy.uid_validity, 2),
        "grandchild renamed"
    );
    assert_eq!(
        s.get_mailbox(ab.id).await.unwrap().unwrap().path,
        "ab",
        "prefix sibling untouched"
    );
    assert_eq!(s.find_mailbox(u.id, "a").await.unwrap(), None);
    assert_eq!(s.find_mailbox(u.id, "a/x").await.unwrap(), None);
    assert_eq!(
        s.find_mailbox(u.id, "b/x").await.unwrap().map(|m| m.id),
        Some(ax.id)
    );
    let msgs_b = s.get_messages(a.id, all_uids()).await.unwrap();
    assert_eq!(
        msgs_a.iter().map(|m| &m.summary.uid).collect::<Vec<_>>(),
        msgs_b.iter().map(|m| &m.summary.uid).collect::<Vec<_>>()
    );

    let res = s.rename_mailbox(a.id, "ab").await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_),
        "rename onto an existing mailbox"
    );
    // Only a child's target is taken: c -> d would move c/x onto the existing d/x.
    let c = s.create_mailbox(u.id, "c", None).await.unwrap();
    let cx = s.create_mailbox(u.id, "c/x", None).await.unwrap();
    s.create_mailbox(u.id, "d/x", None).await.unwrap();
    let res = s.rename_mailbox(c.id, "d").await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_),
        "rename c -> d with d/x taken"
    );
    assert_eq!(
        s.get_mailbox(c.id).await.unwrap().unwrap().path,
        "c",
        "failed rename changed nothing"
    );
    assert_eq!(
        s.get_mailbox(cx.id).await.unwrap().unwrap().path,
        "c/x",
        "failed rename changed nothing"
    );
    check_consistency(s).await.unwrap();
}

/// INBOX cannot be renamed or deleted here.
pub async fn mailboxes_inbox_is_protected(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let res = s.rename_mailbox(inbox, "Old").await;
    assert_err!(res, StoreError::NotAllowed(_), "rename INBOX");
    let res = s.delete_mailbox(inbox).await;
    assert_err!(res, StoreError::NotAllowed(_), "delete INBOX");
    assert_eq!(s.get_mailbox(inbox).await.unwrap().unwrap().path, "INBOX");
    assert_eq!(s.find_mailbox(u.id, "Old").await.unwrap(), None);
    let res = s.delete_mailbox(MailboxId(u64::MAX)).await;
    assert_err!(res, StoreError::NotFound(_), "delete unknown mailbox");
    let res = s.rename_mailbox(MailboxId(u64::MAX), "x").await;
    assert_err!(res, StoreError::NotFound(_), "rename unknown mailbox");
}

/// Subscription, special use and retention persist.
pub async fn mailboxes_attributes(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let m = s.create_mailbox(u.id, "Lists", None).await.unwrap();
    s.set_subscribed(m.id, true).await.unwrap();
    s.set_special_use(m.id, Some(SpecialUse::Flagged))
        .await
        .unwrap();
    s.set_retention(m.id, Some(30)).await.unwrap();
    let got = s.get_mailbox(m.id).await.unwrap().unwrap();
    assert_eq!(
        (got.subscribed, got.special_use, got.retention_days),
        (true, Some(SpecialUse::Flagged), Some(30))
    );
    s.set_subscribed(m.id, false).await.unwrap();
    s.set_special_use(m.id, None).await.unwrap();
    s.set_retention(m.id, None).await.unwrap();
    let got = s.get_mailbox(m.id).await.unwrap().unwrap();
    assert_eq!(
        (got.subscribed, got.special_use, got.retention_days),
        (false, None, None)
    );
    assert_eq!(
        (got.uid_validity, got.uid_next),
        (m.uid_validity, m.uid_next)
    );
    let res = s.set_subscribed(MailboxId(u64::MAX), true).await;
    assert_err!(
        res,
        StoreError::NotFound(_),
        "set_subscribed unknown mailbox"
    );
}

/// Deleting a mailbox removes its messages and usage; a new mailbox of the same name gets a new id
/// and a different UIDVALIDITY (its UIDs restart at 1: RFC 3501 §2.3.1.1).
pub async fn mailboxes_delete_releases_messages(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let m = s.create_mailbox(u.id, "Tmp", None).await.unwrap();
    append_n(s, m.id, 4, 1).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    append_n(s, inbox, 1, 50).await;
    let used = s.quota(u.id).await.unwrap().used;
    let tmp_size = s.get_mailbox(m.id).await.unwrap().unwrap().size;
    s.delete_mailbox(m.id).await.unwrap();
    assert_eq!(s.get_mailbox(m.id).await.unwrap(), None);
    assert_eq!(
        s.quota(u.id).await.unwrap().used,
        used - tmp_size,
        "usage released"
    );
    assert!(
        s.get_messages(m.id, all_uids())
            .await
            .map(|v| v.is_empty())
            .unwrap_or(true)
    );
    check_consistency(s).await.unwrap();
    let again = s.create_mailbox(u.id, "Tmp", None).await.unwrap();
    assert_ne!(again.id, m.id, "mailbox ids are never reused");
    assert_ne!(
        again.uid_validity, m.uid_validity,
        "UIDVALIDITY must change when UIDs restart"
    );
    assert_eq!(again.uid_next.0, 1);
}
