//! Conformance: edge cases of arguments (duplicate and missing UIDs, empty lists, reversed ranges,
//! bad paths) and threading.

use super::fixtures::{
    all_uids, append_n, assert_err, bytes, mailbox_id, make_user, message, put_blob, seen,
};
use super::{StoreFactory, check_consistency};
use eider_model::types::{ModSeq, Uid};
use eider_model::{FlagOp, Flags};
use eider_store::error::StoreError;

/// Duplicate UIDs in a request count once (an IMAP set `1,1` names message 1 once); empty lists
/// change nothing and allocate no modseq.
pub async fn edges_duplicate_and_empty_uid_lists(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let arch = mailbox_id(s, u.id, "Archive").await;
    let uids = append_n(s, inbox, 4, 1).await;
    let before = s.get_mailbox(inbox).await.unwrap().unwrap();

    let fc = s
        .set_flags(inbox, &[], FlagOp::Add, &seen(), None)
        .await
        .unwrap();
    assert!(fc.changed.is_empty());
    let c = s.copy_messages(inbox, &[], arch).await.unwrap();
    assert!(c.mapping.is_empty());
    let c = s.move_messages(inbox, &[], arch).await.unwrap();
    assert!(c.mapping.is_empty());
    assert_eq!(
        s.expunge(inbox, Some(&[]), false).await.unwrap(),
        vec![],
        "empty list expunges nothing"
    );
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap(),
        before,
        "no-op calls changed nothing"
    );
    let a = s.get_mailbox(arch).await.unwrap().unwrap();
    assert_eq!(
        (a.messages, a.uid_next, a.highest_modseq),
        (0, Uid(1), ModSeq(1))
    );

    let fc = s
        .set_flags(
            inbox,
            &[uids[0], uids[0], uids[1]],
            FlagOp::Add,
            &seen(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        fc.changed.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![uids[0], uids[1]],
        "each message once"
    );
    assert_eq!(
        s.get_mailbox(inbox).await.unwrap().unwrap().unseen,
        2,
        "unseen counted once per message"
    );
    let c = s
        .copy_messages(inbox, &[uids[2], uids[2]], arch)
        .await
        .unwrap();
    assert_eq!(c.mapping, vec![(uids[2], Uid(1))], "duplicate copied once");
    let c = s
        .move_messages(inbox, &[uids[3], uids[3]], arch)
        .await
        .unwrap();
    assert_eq!(c.mapping, vec![(uids[3], Uid(2))], "duplicate moved once");
    assert_eq!(
        s.expunge(inbox, Some(&[uids[0], uids[0]]), false)
            .await
            .unwrap(),
        vec![uids[0]]
    );
    check_consistency(s).await.unwrap();
    assert_eq!(s.get_mailbox(arch).await.unwrap().unwrap().messages, 2);
}

/// Reversed and out-of-range UID ranges are empty, not errors.
pub async fn edges_uid_ranges(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    append_n(s, inbox, 3, 1).await;
    assert!(
        s.list_messages(inbox, Uid(3)..=Uid(2))
            .await
            .unwrap()
            .is_empty(),
        "reversed range"
    );
    assert!(
        s.get_messages(inbox, Uid(3)..=Uid(1))
            .await
            .unwrap()
            .is_empty(),
        "reversed range"
    );
    assert_eq!(
        s.list_messages(inbox, Uid(0)..=Uid(1)).await.unwrap().len(),
        1,
        "range from 0"
    );
    assert_eq!(
        s.list_messages(inbox, Uid(3)..=Uid(3)).await.unwrap().len(),
        1,
        "single UID"
    );
    assert_eq!(
        s.list_messages(inbox, Uid(u32::MAX)..=Uid(u32::MAX))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(s.list_messages(inbox, all_uids()).await.unwrap().len(), 3);
}

/// Paths: empty is invalid; a mailbox cannot be renamed below itself.
pub async fn edges_mailbox_paths(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let res = s.create_mailbox(u.id, "", None).await;
    assert_err!(res, StoreError::Invalid(_), "create empty path");
    let a = s.create_mailbox(u.id, "a", None).await.unwrap();
    let res = s.rename_mailbox(a.id, "a/b").await;
    assert_err!(
        res,
        StoreError::NotAllowed(_) | StoreError::Invalid(_),
        "rename a mailbox into its own child"
    );
    let res = s.rename_mailbox(a.id, "").await;
    assert_err!(res, StoreError::Invalid(_), "rename to empty path");
    let res = s.rename_mailbox(a.id, "INBOX").await;
    assert_err!(res, StoreError::AlreadyExists(_), "rename onto INBOX");
    let res = s.rename_mailbox(a.id, "inbox").await;
    assert_err!(
        res,
        StoreError::AlreadyExists(_) | StoreError::NotAllowed(_) | StoreError::Invalid(_),
        "rename onto inbox"
    );
    assert_eq!(
        s.get_mailbox(a.id).await.unwrap().unwrap().path,
        "a",
        "refused renames changed nothing"
    );
    // Children of INBOX are ordinary mailboxes.
    let child = s.create_mailbox(u.id, "INBOX/Sub", None).await.unwrap();
    s.rename_mailbox(child.id, "INBOX/Sub2").await.unwrap();
    s.delete_mailbox(child.id).await.unwrap();
    check_consistency(s).await.unwrap();
}

/// Messages linked by Message-ID / In-Reply-To / References share a thread within one user,
/// across mailboxes; unrelated messages and other users' messages do not.
pub async fn threads_follow_references(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let v = make_user(s, "v", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let sent = mailbox_id(s, u.id, "Sent").await;
    let theirs = mailbox_id(s, v.id, "INBOX").await;
    let blob = put_blob(s, &bytes(1, 100)).await;
    let mk = |subject: &str, id: &str, reply_to: &[&str], refs: &[&str]| {
        let mut m = message(b"", &[(blob, 100)], Flags::default(), subject);
        m.meta.message_id = Some(id.to_string());
        m.meta.in_reply_to = reply_to.iter().map(|x| x.to_string()).collect();
        m.meta.references = refs.iter().map(|x| x.to_string()).collect();
        m
    };
    let root = s
        .append(inbox, mk("Plan", "root@x", &[], &[]))
        .await
        .unwrap();
    let reply = s
        .append(sent, mk("Re: Plan", "reply@x", &["root@x"], &["root@x"]))
        .await
        .unwrap();
    let deep = s
        .append(inbox, mk("Re: Plan", "deep@x", &[], &["root@x", "reply@x"]))
        .await
        .unwrap();
    let other = s
        .append(inbox, mk("Other", "other@x", &[], &[]))
        .await
        .unwrap();
    let foreign = s
        .append(theirs, mk("Re: Plan", "f@x", &["root@x"], &["root@x"]))
        .await
        .unwrap();
    let thread = |mb, uid| {
        let s = store.clone();
        async move {
            s.get_message(mb, uid)
                .await
                .unwrap()
                .unwrap()
                .summary
                .thread
        }
    };
    let t_root = thread(inbox, root.uid).await;
    assert_eq!(
        thread(sent, reply.uid).await,
        t_root,
        "reply (other mailbox) joins the thread"
    );
    assert_eq!(
        thread(inbox, deep.uid).await,
        t_root,
        "References joins the thread"
    );
    assert_ne!(thread(inbox, other.uid).await, t_root, "unrelated message");
    assert_ne!(
        thread(theirs, foreign.uid).await,
        t_root,
        "threads are per user"
    );
    let c = s.copy_messages(inbox, &[root.uid], sent).await.unwrap();
    assert_eq!(
        thread(sent, c.mapping[0].1).await,
        t_root,
        "copy keeps the thread"
    );
}

/// A reply delivered before its parent: the parent, arriving later, joins the reply's thread.
pub async fn threads_link_out_of_order(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let blob = put_blob(s, &bytes(1, 100)).await;
    let mut reply = message(b"", &[(blob, 100)], Flags::default(), "Re: x");
    reply.meta.message_id = Some("child@x".into());
    reply.meta.references = vec!["parent@x".into()];
    let mut parent = message(b"", &[(blob, 100)], Flags::default(), "x");
    parent.meta.message_id = Some("parent@x".into());
    let r = s.append(inbox, reply).await.unwrap();
    let p = s.append(inbox, parent).await.unwrap();
    let thread = |uid| async move {
        s.get_message(inbox, uid)
            .await
            .unwrap()
            .unwrap()
            .summary
            .thread
    };
    assert_eq!(
        thread(p.uid).await,
        thread(r.uid).await,
        "parent found through the reply's References"
    );
}
