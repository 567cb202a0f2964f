//! Mailbox and search commands over a raw socket: LIST hierarchy and extended forms, mailbox
//! names (modified UTF-7, UTF8=ACCEPT), CREATE/RENAME/DELETE rules, SEARCH variants with
//! ESEARCH and saved results.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;

fn last(r: &[String]) -> &str {
    r.last().map(String::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_missing_parents_and_children() {
    let w = World::start().await;
    w.store
        .create_mailbox(w.user.id, "a/b/c", None)
        .await
        .unwrap();
    let mut c = Client::login(w.addr).await;
    let r = c.cmd("a", "LIST \"\" \"a*\"").await;
    assert!(
        r.contains(&"* LIST (\\Noselect \\HasChildren) \"/\" a".to_owned()),
        "{r:?}"
    );
    assert!(
        r.contains(&"* LIST (\\Noselect \\HasChildren) \"/\" a/b".to_owned()),
        "{r:?}"
    );
    assert!(
        r.contains(&"* LIST (\\HasNoChildren) \"/\" a/b/c".to_owned()),
        "{r:?}"
    );
    let r = c.cmd("b", "LIST \"\" %").await;
    assert!(!r.iter().any(|l| l.contains("a/b")), "{r:?}");
    let r = c.cmd("c", "LIST \"\" \"\"").await;
    assert_eq!(r[0], "* LIST (\\Noselect) \"/\" \"\"", "{r:?}");
    let r = c
        .cmd("d", "LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN)")
        .await;
    assert!(
        r.iter()
            .any(|l| l.contains("\\Subscribed") && l.ends_with(" INBOX")),
        "{r:?}"
    );
    let r = c.cmd("e", "XLIST \"\" \"*\"").await;
    assert!(r.iter().any(|l| l.contains("\\Inbox")), "{r:?}");
    let r = c.cmd("f", "NAMESPACE").await;
    assert_eq!(r[0], "* NAMESPACE ((\"\" \"/\")) NIL NIL", "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mailbox_names_hierarchy_and_special_use() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    // Modified UTF-7 on the wire, UTF-8 in the store (RFC 3501 §5.1.3).
    let r = c.cmd("a", "CREATE \"Entw&APw-rfe/Alt\"").await;
    assert!(last(&r).starts_with("a OK"), "{r:?}");
    assert!(
        w.store
            .find_mailbox(w.user.id, "Entwürfe/Alt")
            .await
            .unwrap()
            .is_some()
    );
    let r = c.cmd("b", "LIST \"\" \"Entw*\"").await;
    assert!(
        r.contains(&"* LIST (\\HasChildren) \"/\" Entw&APw-rfe".to_owned()),
        "{r:?}"
    );
    // RENAME moves children along.
    let r = c.cmd("c", "RENAME \"Entw&APw-rfe\" Drafts2").await;
    assert!(last(&r).starts_with("c OK"), "{r:?}");
    let r = c.cmd("d", "LIST \"\" \"Drafts2*\"").await;
    assert!(r.iter().any(|l| l.ends_with("\"/\" Drafts2/Alt")), "{r:?}");
    let r = c.cmd("e", "CREATE Existing").await;
    assert!(last(&r).starts_with("e OK"));
    let r = c.cmd("f", "CREATE Existing").await;
    assert!(last(&r).starts_with("f NO [ALREADYEXISTS]"), "{r:?}");
    let r = c.cmd("g", "DELETE INBOX").await;
    assert!(last(&r).starts_with("g NO"), "{r:?}");
    let r = c.cmd("h", "CREATE Stuff (USE (\\Flagged))").await;
    assert!(last(&r).starts_with("h OK"), "{r:?}");
    let r = c.cmd("i", "LIST (SPECIAL-USE) \"\" *").await;
    assert!(
        r.iter()
            .any(|l| l.contains("\\Flagged") && l.ends_with(" Stuff")),
        "{r:?}"
    );
    assert!(!r.iter().any(|l| l.ends_with(" INBOX")), "{r:?}");
    // UTF8=ACCEPT: names travel as UTF-8.
    let r = c.cmd("j", "ENABLE UTF8=ACCEPT").await;
    assert!(r.contains(&"* ENABLED UTF8=ACCEPT".to_owned()), "{r:?}");
    let r = c.cmd("k", "LIST \"\" \"Drafts2*\"").await;
    assert!(r.iter().any(|l| l.ends_with(" Drafts2")), "{r:?}");
    let r = c.cmd("l", "CREATE \"Größe\"").await;
    assert!(last(&r).starts_with("l OK"), "{r:?}");
    assert!(
        w.store
            .find_mailbox(w.user.id, "Größe")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_variants_and_saved_results() {
    let w = World::start().await;
    for i in 1..=6 {
        w.deliver("INBOX", &common::sample_message(i)).await;
    }
    let mut c = Client::login(w.addr).await;
    c.cmd("s", "SELECT INBOX").await;
    c.cmd("f", "STORE 2,4 +FLAGS.SILENT (\\Flagged)").await;
    let r = c.cmd("a", "SEARCH RETURN (SAVE) FLAGGED").await;
    assert_eq!(r, ["a OK SEARCH completed, result saved"]);
    let r = c.cmd("b", "FETCH $ (UID)").await;
    assert_eq!(r.len(), 3, "{r:?}");
    let r = c
        .cmd("c", "UID SEARCH RETURN (ALL COUNT) BODY findme3")
        .await;
    assert_eq!(r[0], "* ESEARCH (TAG \"c\") UID COUNT 1 ALL 3", "{r:?}");
    let r = c
        .cmd("d", "SEARCH OR SUBJECT \"Test 1\" SUBJECT \"Test 6\"")
        .await;
    assert_eq!(r[0], "* SEARCH 1 6", "{r:?}");
    let r = c.cmd("e", "SEARCH 2:4 NOT FLAGGED").await;
    assert_eq!(r[0], "* SEARCH 3", "{r:?}");
    let r = c.cmd("g", "SEARCH CHARSET ISO-8859-1 SUBJECT test").await;
    assert_eq!(r[0], "* SEARCH 1 2 3 4 5 6", "{r:?}");
    let r = c.cmd("h", "SEARCH CHARSET X-UNKNOWN SUBJECT test").await;
    assert!(last(&r).starts_with("h NO [BADCHARSET"), "{r:?}");
    let r = c.cmd("i", "FETCH 7 FLAGS").await;
    assert!(last(&r).starts_with("i BAD"), "{r:?}");
    let r = c
        .cmd(
            "j",
            "STATUS INBOX (MESSAGES RECENT UNSEEN SIZE APPENDLIMIT)",
        )
        .await;
    // The selected mailbox's RECENT is this session's (it was the first to see them).
    assert!(r[0].contains("MESSAGES 6 RECENT 6 UNSEEN 6 SIZE "), "{r:?}");
    let mut other = Client::login(w.addr).await;
    let r = other.cmd("k", "STATUS INBOX (RECENT)").await;
    assert_eq!(r[0], "* STATUS INBOX (RECENT 0)", "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lsub_lists_unsubscribed_parents_as_noselect() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    c.cmd("a", "CREATE Lists/rust").await;
    // New mailboxes start subscribed; the parent is unsubscribed here.
    c.cmd("b", "UNSUBSCRIBE Lists").await;
    let r = c.cmd("c", "LSUB \"\" %").await;
    assert!(
        r.contains(&"* LSUB (\\Noselect) \"/\" Lists".to_owned()),
        "{r:?}"
    );
    assert!(!r.iter().any(|l| l.contains("Lists/rust")), "{r:?}");
    let r = c.cmd("d", "LSUB \"\" *").await;
    assert!(
        r.contains(&"* LSUB () \"/\" Lists/rust".to_owned()),
        "{r:?}"
    );
    assert!(!r.iter().any(|l| l.ends_with(" Lists")), "{r:?}");
    let r = c.cmd("e", "LIST \"\" * RETURN (SUBSCRIBED)").await;
    assert!(
        r.iter()
            .any(|l| l.contains("\\Subscribed") && l.ends_with(" Lists/rust")),
        "{r:?}"
    );
    let r = c.cmd("f", "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %").await;
    assert!(
        r.iter()
            .any(|l| l.ends_with(" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))")),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn new_keywords_are_announced_with_flags() {
    let w = World::start().await;
    w.deliver("INBOX", &common::sample_message(1)).await;
    let mut a = Client::login(w.addr).await;
    let mut b = Client::login(w.addr).await;
    let r = a.cmd("a", "SELECT INBOX").await;
    assert!(
        r.contains(&"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)".to_owned()),
        "{r:?}"
    );
    b.cmd("b", "SELECT INBOX").await;
    let r = a.cmd("c", "STORE 1 +FLAGS ($Important)").await;
    assert_eq!(
        r[..2],
        [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted"
        ],
        "{r:?}"
    );
    // The other session learns the keyword before the FETCH that carries it.
    let r = b.cmd("d", "NOOP").await;
    assert!(
        r[0].starts_with("* FLAGS (") && r[0].contains("$Important"),
        "{r:?}"
    );
    assert!(
        r[2].starts_with("* 1 FETCH (UID 1 FLAGS ($Important))"),
        "{r:?}"
    );
    // Known keywords (any case) are not announced again.
    let r = a.cmd("e", "STORE 1 +FLAGS ($important)").await;
    assert!(!r.iter().any(|l| l.starts_with("* FLAGS")), "{r:?}");
    // APPEND into the selected mailbox with a new keyword.
    let r = a.cmd("f", "APPEND INBOX ($Later) {4+}\r\nx\r\n\r").await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* FLAGS (") && l.contains("$Later")),
        "{r:?}"
    );
    assert!(r.last().unwrap().starts_with("f OK [APPENDUID"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_body_parts_are_empty_strings() {
    let w = World::start().await;
    w.deliver("INBOX", b"Subject: plain\r\n\r\nbody\r\n").await;
    let mut c = Client::login(w.addr).await;
    c.cmd("s", "SELECT INBOX").await;
    let r = c.cmd("f", "FETCH 1 (BODY.PEEK[2] BODY.PEEK[1])").await;
    assert_eq!(
        r[0], "* 1 FETCH (BODY[2] {0}\r\n BODY[1] {6}\r\nbody\r\n)",
        "{r:?}"
    );
}

/// The `[APPENDUID v u]` of an APPEND's tagged OK.
fn append_uid(r: &[String]) -> String {
    let l = last(r);
    assert!(l.contains("OK [APPENDUID "), "{r:?}");
    l.split("APPENDUID ")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .to_owned()
}

/// Gmail-like: APPENDing to Sent a message whose Message-ID is already there from the last day
/// (the copy `submit` stored) gives back that message instead of a second copy. Elsewhere,
/// without a Message-ID, or when the stored one is older, every copy is stored.
#[tokio::test(flavor = "multi_thread")]
async fn append_to_sent_does_not_duplicate_by_message_id() {
    let w = World::start().await;
    let raw = "Message-ID: <dup@example.org>\r\nSubject: sent\r\n\r\nhello\r\n";
    let append = |mailbox: &str, raw: &str| format!("APPEND {mailbox} {{{}+}}\r\n{raw}", raw.len());
    let mut c = Client::login(w.addr).await;
    let first = append_uid(&c.cmd("a", &append("Sent", raw)).await);
    let again = append_uid(&c.cmd("b", &append("Sent", raw)).await);
    assert_eq!(first, again, "the second APPEND names the stored message");
    let r = c.cmd("c", "STATUS Sent (MESSAGES)").await;
    assert!(r[0].ends_with("(MESSAGES 1)"), "{r:?}");

    let other = raw.replace("dup@", "other@");
    assert_ne!(
        first,
        append_uid(&c.cmd("d", &append("Sent", &other)).await)
    );
    let bare = "Subject: no id\r\n\r\nx\r\n";
    append_uid(&c.cmd("e", &append("Sent", bare)).await);
    append_uid(&c.cmd("f", &append("Sent", bare)).await);
    let r = c.cmd("g", "STATUS Sent (MESSAGES)").await;
    assert!(r[0].ends_with("(MESSAGES 4)"), "{r:?}");

    append_uid(&c.cmd("h", &append("INBOX", raw)).await);
    append_uid(&c.cmd("i", &append("INBOX", raw)).await);
    let r = c.cmd("j", "STATUS INBOX (MESSAGES)").await;
    assert!(
        r[0].ends_with("(MESSAGES 2)"),
        "not Sent: both stored {r:?}"
    );

    // A copy older than the window does not absorb a new APPEND.
    let old = raw.replace("dup@", "old@");
    w.deliver("Sent", old.as_bytes()).await;
    append_uid(&c.cmd("k", &append("Sent", &old)).await);
    let r = c.cmd("l", "STATUS Sent (MESSAGES)").await;
    assert!(r[0].ends_with("(MESSAGES 6)"), "{r:?}");
}
