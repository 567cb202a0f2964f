//! Black-box LMTP tests: a real `eider-ingest` server on loopback, driven by our client, raw
//! bytes, Python's `smtplib.LMTP` and `swaks`; what was stored is read back from the store and
//! compared byte for byte.

#![allow(clippy::unwrap_used)]

use eider_model::SpecialUse;
use eider_model::types::Uid;
use eider_store::content::read_message;
use eider_tests::harness::World;
use eider_tests::lmtp_client::LmtpClient;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MSG: &[u8] = b"From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: hello\r\nMessage-ID: <m1@example.net>\r\n\r\nHi Alice,\r\n.a line starting with a dot\r\n";

async fn world() -> (World, SocketAddr) {
    let w = World::new(|_| {}).unwrap();
    w.user("alice", "pw", &["alice@example.org"]).await.unwrap();
    w.user("bob", "pw", &["bob@example.org"]).await.unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    (w, addr)
}

/// The bytes of the message with `uid` in `user`'s mailbox `path`.
async fn stored(w: &World, user: &str, path: &str, uid: u32) -> Option<Vec<u8>> {
    let u = w.store.find_user(user).await.unwrap()?;
    let mb = w.store.find_mailbox(u.id, path).await.unwrap()?;
    let m = w.store.get_message(mb.id, Uid(uid)).await.unwrap()?;
    let bytes = read_message(&*w.store, &m.segments).await.unwrap();
    assert_eq!(bytes.len() as u64, m.summary.size, "size is the real size");
    Some(bytes)
}

fn expected(from: &str, rcpt: &str, msg: &[u8]) -> Vec<u8> {
    let mut v = format!("Return-Path: <{from}>\r\nDelivered-To: {rcpt}\r\n").into_bytes();
    v.extend_from_slice(msg);
    v
}

#[tokio::test]
async fn delivers_byte_exact_with_per_recipient_replies() {
    let (w, addr) = world().await;
    let mut c = LmtpClient::connect(&addr.to_string()).await.unwrap();
    let (rcpt, data) = c
        .deliver(
            "bob@example.net",
            &["alice@example.org", "nobody@example.org", "BOB@Example.ORG"],
            MSG,
        )
        .await
        .unwrap();
    let codes: Vec<u16> = rcpt.iter().map(|r| r.code).collect();
    assert_eq!(codes, [250, 550, 250]);
    assert!(rcpt[1].text.starts_with("5.1.1"), "{:?}", rcpt[1]);
    assert_eq!(data.iter().map(|r| r.code).collect::<Vec<_>>(), [250, 250]);
    c.quit().await.unwrap();
    let a = stored(&w, "alice", "INBOX", 1).await.unwrap();
    assert_eq!(a, expected("bob@example.net", "alice@example.org", MSG));
    let b = stored(&w, "bob", "INBOX", 1).await.unwrap();
    assert_eq!(b, expected("bob@example.net", "bob@example.org", MSG));
    // Stored once: both records refer to the same content blobs.
    let blobs = w.store.list_blobs(None, 100).await.unwrap();
    assert!(blobs.iter().all(|b| b.refs == 2), "{blobs:?}");
}

#[tokio::test]
async fn routes_spam_to_junk_and_plus_tags_to_existing_mailboxes() {
    let (w, addr) = world().await;
    let alice = w.store.find_user("alice").await.unwrap().unwrap();
    w.store
        .create_mailbox(alice.id, "news", None)
        .await
        .unwrap();
    let mut c = LmtpClient::connect(&addr.to_string()).await.unwrap();
    let spam = b"Subject: buy\r\nX-Spam-Flag: YES\r\n\r\nspam\r\n";
    let scored = b"Subject: buy\r\nX-Spam-Score: 7.5\r\n\r\nspam\r\n";
    for m in [&spam[..], &scored[..]] {
        let (_, r) = c.deliver("s@x", &["alice@example.org"], m).await.unwrap();
        assert_eq!(r[0].code, 250);
    }
    let (_, r) = c
        .deliver("s@x", &["alice+news@example.org"], MSG)
        .await
        .unwrap();
    assert_eq!(r[0].code, 250);
    let (_, r) = c
        .deliver("s@x", &["alice+nomailbox@example.org"], MSG)
        .await
        .unwrap();
    assert_eq!(r[0].code, 250);
    let mailboxes = w.store.list_mailboxes(alice.id).await.unwrap();
    let count = |f: &dyn Fn(&eider_model::Mailbox) -> bool| {
        mailboxes.iter().find(|m| f(m)).map(|m| m.messages)
    };
    assert_eq!(count(&|m| m.special_use == Some(SpecialUse::Junk)), Some(2));
    assert_eq!(count(&|m| m.path == "news"), Some(1));
    assert_eq!(count(&|m| m.path == "INBOX"), Some(1));
}

#[tokio::test]
async fn quota_is_checked_at_rcpt_with_size_and_after_data() {
    let (w, addr) = world().await;
    let alice = w.store.find_user("alice").await.unwrap().unwrap();
    let update = eider_model::UserUpdate {
        quota: Some(100),
        ..Default::default()
    };
    w.store.update_user(alice.id, update).await.unwrap();
    let mut c = LmtpClient::connect(&addr.to_string()).await.unwrap();
    let big = [MSG, &b"x".repeat(200)[..], b"\r\n"].concat();
    // With SIZE (our client always sends it): refused at RCPT.
    let (rcpt, _) = c
        .deliver("s@x", &["alice@example.org"], &big)
        .await
        .unwrap();
    assert_eq!(rcpt[0].code, 552);
    assert!(rcpt[0].text.starts_with("5.2.2"));
    c.send_line("RSET").await.unwrap();
    assert_eq!(c.reply().await.unwrap().code, 250);
    // Without SIZE: accepted at RCPT, refused after DATA for that recipient only.
    let mut wire =
        b"MAIL FROM:<s@x>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
            .to_vec();
    let codes: Vec<u16> = {
        c.send_line(std::str::from_utf8(&wire[..wire.len() - 2]).unwrap())
            .await
            .unwrap();
        wire.clear();
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(c.reply().await.unwrap().code);
        }
        v
    };
    assert_eq!(codes, [250, 250, 250, 354]);
    let mut data = eider_tests::lmtp_client::stuff(&big);
    data.extend_from_slice(b".\r\n");
    c.send_line(std::str::from_utf8(&data[..data.len() - 2]).unwrap())
        .await
        .unwrap();
    let first = c.reply().await.unwrap();
    let second = c.reply().await.unwrap();
    assert_eq!(
        (first.code, second.code),
        (552, 250),
        "{first:?} {second:?}"
    );
    assert!(stored(&w, "alice", "INBOX", 1).await.is_none());
    assert!(stored(&w, "bob", "INBOX", 1).await.is_some());
    eider_store_testkit::conformance::check_consistency(&*w.store)
        .await
        .unwrap();
}

#[tokio::test]
async fn bdat_chunks_and_pipelining() {
    let (w, addr) = world().await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (one, two) = MSG.split_at(40);
    let mut wire = b"LHLO x\r\nMAIL FROM:<b@x>\r\nRCPT TO:<alice@example.org>\r\n".to_vec();
    wire.extend_from_slice(format!("BDAT {}\r\n", one.len()).as_bytes());
    wire.extend_from_slice(one);
    wire.extend_from_slice(format!("BDAT {} LAST\r\n", two.len()).as_bytes());
    wire.extend_from_slice(two);
    wire.extend_from_slice(b"QUIT\r\n");
    s.write_all(&wire).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let codes: Vec<&str> = out
        .lines()
        .filter(|l| l.as_bytes().get(3) == Some(&b' '))
        .map(|l| &l[..3])
        .collect();
    assert_eq!(
        codes,
        ["220", "250", "250", "250", "250", "250", "221"],
        "{out}"
    );
    let a = stored(&w, "alice", "INBOX", 1).await.unwrap();
    assert_eq!(a, expected("b@x", "alice@example.org", MSG));
}

#[tokio::test]
async fn dropped_connection_mid_data_stores_nothing() {
    let (w, addr) = world().await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let big = "Subject: big\r\n\r\n".to_string() + &"line of text\r\n".repeat(20_000);
    let mut wire = b"LHLO x\r\nMAIL FROM:<b@x>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n".to_vec();
    wire.extend_from_slice(&big.as_bytes()[..big.len() / 2]);
    s.write_all(&wire).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(s);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(stored(&w, "alice", "INBOX", 1).await.is_none());
    eider_store_testkit::conformance::check_consistency(&*w.store)
        .await
        .unwrap();
    // A retry on a new connection is accepted.
    let mut c = LmtpClient::connect(&addr.to_string()).await.unwrap();
    let (_, r) = c
        .deliver("b@x", &["alice@example.org"], big.as_bytes())
        .await
        .unwrap();
    assert_eq!(r[0].code, 250);
    assert_eq!(
        stored(&w, "alice", "INBOX", 1).await.unwrap(),
        expected("b@x", "alice@example.org", big.as_bytes())
    );
}

#[tokio::test]
async fn malformed_commands_get_errors_and_the_session_goes_on() {
    let (_w, addr) = world().await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let long = format!("NOOP {}\r\n", "x".repeat(10_000));
    let wire = [
        "HELO x\r\n",
        "LHLO x\r\n",
        "RCPT TO:<a@b>\r\n",
        "MAIL FROM:bad\r\n",
        "FOO\r\n",
        &long,
        "MAIL FROM:<a@b> SIZE=999999999999\r\n",
        "QUIT\r\n",
    ]
    .concat();
    s.write_all(wire.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let codes: Vec<&str> = out
        .lines()
        .filter(|l| l.as_bytes().get(3) == Some(&b' '))
        .map(|l| &l[..3])
        .collect();
    assert_eq!(
        codes,
        [
            "220", "500", "250", "503", "501", "500", "500", "552", "221"
        ],
        "{out}"
    );
}

#[tokio::test]
async fn user_filters_flag_file_and_discard() {
    use eider_model::{Filter, FilterAction, FilterQuery, SystemFlags, UserUpdate};
    let (w, addr) = world().await;
    let alice = w.store.find_user("alice").await.unwrap().unwrap();
    w.store
        .create_mailbox(alice.id, "Lists", None)
        .await
        .unwrap();
    let f = |query: FilterQuery, action: FilterAction| Filter {
        name: "t".into(),
        disabled: false,
        query,
        action,
    };
    let filters = vec![
        f(
            FilterQuery {
                subject: Some("[mips]".into()),
                ..Default::default()
            },
            FilterAction {
                mailbox: Some("lists".into()),
                seen: true,
                ..Default::default()
            },
        ),
        f(
            FilterQuery {
                from: Some("spammer@".into()),
                ..Default::default()
            },
            FilterAction {
                discard: true,
                ..Default::default()
            },
        ),
        f(
            FilterQuery {
                header: Some(("X-Priority".into(), "1".into())),
                ..Default::default()
            },
            FilterAction {
                flagged: true,
                ..Default::default()
            },
        ),
    ];
    let update = UserUpdate {
        filters: Some(filters),
        ..Default::default()
    };
    w.store.update_user(alice.id, update).await.unwrap();
    let mut c = LmtpClient::connect(&addr.to_string()).await.unwrap();
    for m in [
        &b"Subject: [MIPS] patch\r\n\r\nx\r\n"[..],
        b"From: spammer@bad.example\r\n\r\nx\r\n",
        b"X-Priority: 1\r\nSubject: urgent\r\n\r\nx\r\n",
    ] {
        let (_, r) = c.deliver("s@x", &["alice@example.org"], m).await.unwrap();
        assert_eq!(r[0].code, 250, "{r:?}");
    }
    let boxes = w.store.list_mailboxes(alice.id).await.unwrap();
    let get = |p: &str| boxes.iter().find(|m| m.path == p).unwrap().clone();
    let (lists, inbox) = (get("Lists"), get("INBOX"));
    assert_eq!((lists.messages, lists.unseen), (1, 0), "filed and seen");
    assert_eq!(inbox.messages, 1, "the spammer's message was discarded");
    let m = w
        .store
        .get_message(inbox.id, Uid(1))
        .await
        .unwrap()
        .unwrap();
    assert!(m.summary.flags.system.has(SystemFlags::FLAGGED));
}
