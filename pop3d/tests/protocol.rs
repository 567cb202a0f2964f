//! Black-box protocol tests over raw TCP: sizes, byte-exact RETR/TOP, UIDL stability, the UPDATE
//! state, IN-USE, limits, timeouts, shutdown, and consistency with concurrent store changes.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, message};
use eider_model::UserUpdate;
use eider_runtime::config::Pop3DeleteAction;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn retr_is_byte_exact_and_sizes_match_list() {
    let s = Server::start().await;
    let u = s.user("alice@example.org", "secret").await;
    let msgs = [message(1, 300), message(2, 700_000), message(3, 5_000)];
    for m in &msgs {
        s.deliver(&u, m).await;
    }
    let mut c = s.client().await;
    assert_eq!(
        c.login("alice@example.org", "secret").await,
        format!(
            "+OK maildrop has 3 messages ({} octets)",
            msgs.iter().map(Vec::len).sum::<usize>()
        )
    );
    assert_eq!(
        c.cmd("STAT").await,
        format!("+OK 3 {}", msgs.iter().map(Vec::len).sum::<usize>())
    );
    assert!(c.cmd("LIST").await.starts_with("+OK"));
    let list = String::from_utf8(c.body().await).unwrap();
    let want: String = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\r\n", i + 1, m.len()))
        .collect();
    assert_eq!(list, want);
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(
            c.cmd(&format!("RETR {}", i + 1)).await,
            format!("+OK {} octets", m.len())
        );
        assert_eq!(c.body().await, *m, "message {}", i + 1);
    }
    // TOP: the header, the blank line and n body lines.
    assert!(c.cmd("TOP 2 2").await.starts_with("+OK"));
    let head_end = msgs[1].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        c.body().await,
        [&msgs[1][..head_end], b".leading dot\r\n..two\r\n"].concat()
    );
    assert_eq!(c.cmd("QUIT").await, "+OK bye");
    let inbox = s.mailbox(&u, "INBOX").await;
    assert_eq!(s.seen(inbox).await.len(), 3, "RETR marks \\Seen at QUIT");
}

#[tokio::test]
async fn uidl_is_stable_across_sessions_and_copy_back() {
    let s = Server::start().await;
    let u = s.user("bob", "pw").await;
    for i in 0..3 {
        s.deliver(&u, &message(i, 500)).await;
    }
    // An identical copy of message 0 gets its own id.
    s.deliver(&u, &message(0, 500)).await;
    let uidl = |s: &Server| {
        let addr = s.addr;
        async move {
            let mut c = common::Client::connect(addr).await;
            assert!(c.login("bob", "pw").await.starts_with("+OK"));
            assert!(c.cmd("UIDL").await.starts_with("+OK"));
            let body = String::from_utf8(c.body().await).unwrap();
            assert_eq!(c.cmd("QUIT").await, "+OK bye");
            body.lines()
                .map(|l| l.split(' ').nth(1).unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let first = uidl(&s).await;
    assert_eq!(first.len(), 4);
    assert_eq!(first[3], format!("{}-2", first[0]));
    let mut sorted = first.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 4, "unique within the maildrop");
    assert_eq!(uidl(&s).await, first, "same ids in the next session");
    // Move message 2 out of INBOX and back (it gets a new UID): its UIDL stays.
    let inbox = s.mailbox(&u, "INBOX").await;
    let archive = s.mailbox(&u, "Archive").await;
    let uids = s.uids(inbox).await;
    let moved = s
        .store
        .move_messages(inbox, &[uids[1]], archive)
        .await
        .unwrap();
    s.store
        .move_messages(archive, &[moved.mapping[0].1], inbox)
        .await
        .unwrap();
    let after = uidl(&s).await;
    assert_ne!(s.uids(inbox).await, uids, "the message has a new UID");
    let mut a = after.clone();
    let mut b = first.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "every message keeps its UIDL");
    // And across a restart of the server and the store.
    let s = s.restart().await;
    assert_eq!(uidl(&s).await, after, "same ids after a restart");
}

#[tokio::test]
async fn dele_and_seen_take_effect_only_at_quit() {
    for action in [Pop3DeleteAction::Trash, Pop3DeleteAction::Expunge] {
        let s = Server::start_with(|c| c.pop3.delete_action = action).await;
        let u = s.user("carol", "pw").await;
        for i in 0..3 {
            s.deliver(&u, &message(i, 400)).await;
        }
        let inbox = s.mailbox(&u, "INBOX").await;
        let trash = s.mailbox(&u, "Trash").await;
        let before = s.uids(inbox).await;
        // A dropped connection changes nothing.
        let mut c = s.client().await;
        assert!(c.login("carol", "pw").await.starts_with("+OK"));
        assert!(c.cmd("RETR 1").await.starts_with("+OK"));
        c.body().await;
        assert!(c.cmd("DELE 1").await.starts_with("+OK"));
        assert!(c.cmd("DELE 2").await.starts_with("+OK"));
        drop(c);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(s.uids(inbox).await, before);
        assert!(s.seen(inbox).await.is_empty());
        // RSET undoes DELE; QUIT applies what is left.
        let mut c = s.client().await;
        assert!(c.login("carol", "pw").await.starts_with("+OK"));
        assert!(c.cmd("DELE 1").await.starts_with("+OK"));
        assert_eq!(c.cmd("RSET").await, "+OK maildrop has 3 messages");
        assert!(c.cmd("RETR 3").await.starts_with("+OK"));
        c.body().await;
        assert!(c.cmd("DELE 2").await.starts_with("+OK"));
        assert_eq!(
            c.cmd("STAT").await,
            format!("+OK 2 {}", message(0, 400).len() * 2)
        );
        assert_eq!(c.cmd("QUIT").await, "+OK bye");
        assert_eq!(s.uids(inbox).await, vec![before[0], before[2]]);
        assert_eq!(s.seen(inbox).await, vec![before[2]]);
        let trashed = s.uids(trash).await.len();
        match action {
            Pop3DeleteAction::Trash => assert_eq!(trashed, 1),
            Pop3DeleteAction::Expunge => assert_eq!(trashed, 0),
        }
    }
}

#[tokio::test]
async fn a_second_session_gets_in_use() {
    let s = Server::start().await;
    s.user("dave", "pw").await;
    let mut a = s.client().await;
    assert!(a.login("dave", "pw").await.starts_with("+OK"));
    let mut b = s.client().await;
    assert_eq!(
        b.login("dave", "pw").await,
        "-ERR [IN-USE] maildrop is locked by another POP3 session"
    );
    assert_eq!(a.cmd("QUIT").await, "+OK bye");
    assert!(b.login("dave", "pw").await.starts_with("+OK"));
}

#[tokio::test]
async fn auth_failures_are_delayed_and_coded() {
    let s = Server::start_with(|c| c.auth.failure_delay_ms = 300).await;
    let u = s.user("erin", "pw").await;
    let mut c = s.client().await;
    let t = Instant::now();
    assert_eq!(
        c.login("erin", "wrong").await,
        "-ERR [AUTH] invalid credentials"
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        c.login("nobody", "pw").await,
        "-ERR [AUTH] invalid credentials"
    );
    // AUTH PLAIN, and a disabled account is refused like a wrong password.
    s.store
        .update_user(
            u.id,
            UserUpdate {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.cmd("AUTH PLAIN AGVyaW4AcHc=").await,
        "-ERR [AUTH] invalid credentials"
    );
    assert!(c.closed().await, "closed after three failures");
}

#[tokio::test]
async fn unknown_commands_keep_the_connection_until_the_limit() {
    let s = Server::start_with(|c| c.pop3.max_bad_commands = 3).await;
    let mut c = s.client().await;
    assert_eq!(c.cmd("HELO x").await, "-ERR unknown command");
    assert_eq!(c.cmd("APOP a b").await, "-ERR unknown command");
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    let caps = String::from_utf8(c.body().await).unwrap();
    for cap in [
        "TOP",
        "UIDL",
        "USER",
        "SASL PLAIN",
        "PIPELINING",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "EXPIRE NEVER",
        "UTF8 USER",
        "IMPLEMENTATION Eider",
    ] {
        assert!(caps.lines().any(|l| l == cap), "{cap} missing from {caps}");
    }
    assert!(
        !caps.contains("STLS"),
        "STLS must not be advertised without TLS"
    );
    assert_eq!(c.cmd("RETR 1").await, "-ERR too many bad commands, closing");
    assert!(c.closed().await);
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let s = Server::start().await;
    let u = s.user("frank", "pw").await;
    let m = message(1, 2000);
    s.deliver(&u, &m).await;
    let mut c = s.client().await;
    c.r.get_mut()
        .write_all(b"USER frank\r\nPASS pw\r\nSTAT\r\nRETR 1\r\nNOOP\r\nQUIT\r\n")
        .await
        .unwrap();
    assert_eq!(c.line().await, "+OK send PASS");
    assert!(c.line().await.starts_with("+OK maildrop has 1"));
    assert_eq!(c.line().await, format!("+OK 1 {}", m.len()));
    assert!(c.line().await.starts_with("+OK"));
    assert_eq!(c.body().await, m);
    assert_eq!(c.line().await, "+OK");
    assert_eq!(c.line().await, "+OK bye");
}

#[tokio::test]
async fn maildrop_is_the_newest_messages_oldest_first() {
    let s = Server::start_with(|c| c.pop3.max_messages = 2).await;
    let u = s.user("gina", "pw").await;
    let msgs: Vec<_> = (0..4).map(|i| message(i, 300 + i)).collect();
    for m in &msgs {
        s.deliver(&u, m).await;
    }
    let mut c = s.client().await;
    assert!(
        c.login("gina", "pw")
            .await
            .starts_with("+OK maildrop has 2")
    );
    assert!(c.cmd("RETR 1").await.starts_with("+OK"));
    assert_eq!(c.body().await, msgs[2]);
    assert!(c.cmd("RETR 2").await.starts_with("+OK"));
    assert_eq!(c.body().await, msgs[3]);
    assert_eq!(c.cmd("RETR 3").await, "-ERR no such message");
}

#[tokio::test]
async fn daily_download_limit_is_a_clear_error() {
    let s = Server::start_with(|c| c.pop3.daily_download = 1000).await;
    let u = s.user("hank", "pw").await;
    for i in 0..3 {
        s.deliver(&u, &message(i, 450)).await;
    }
    let mut c = s.client().await;
    assert!(c.login("hank", "pw").await.starts_with("+OK"));
    for n in 1..=2 {
        assert!(c.cmd(&format!("RETR {n}")).await.starts_with("+OK"));
        c.body().await;
    }
    assert_eq!(
        c.cmd("RETR 3").await,
        "-ERR [SYS/TEMP] daily download limit reached, try again tomorrow"
    );
    // The connection stays usable, and the limit outlives the session.
    assert_eq!(c.cmd("QUIT").await, "+OK bye");
    let mut c = s.client().await;
    assert!(c.login("hank", "pw").await.starts_with("+OK"));
    assert!(c.cmd("RETR 3").await.starts_with("-ERR [SYS/TEMP]"));
}

#[tokio::test]
async fn changes_by_other_sessions_are_handled() {
    let s = Server::start().await;
    let u = s.user("iris", "pw").await;
    for i in 0..3 {
        s.deliver(&u, &message(i, 400)).await;
    }
    let inbox = s.mailbox(&u, "INBOX").await;
    let uids = s.uids(inbox).await;
    let mut c = s.client().await;
    assert!(c.login("iris", "pw").await.starts_with("+OK"));
    // An IMAP client expunges message 1 and a new message arrives during the session.
    s.store
        .expunge(inbox, Some(&uids[..1]), false)
        .await
        .unwrap();
    s.deliver(&u, &message(9, 400)).await;
    assert_eq!(
        c.cmd("STAT").await,
        format!("+OK 3 {}", 3 * message(0, 400).len()),
        "snapshot"
    );
    assert_eq!(
        c.cmd("RETR 1").await,
        "-ERR message was removed by another session"
    );
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.cmd("DELE 2").await.starts_with("+OK"));
    assert_eq!(c.cmd("QUIT").await, "+OK bye");
    let left = s.uids(inbox).await;
    assert_eq!(left.len(), 2);
    assert_eq!(left[0], uids[2]);
}

#[tokio::test]
async fn a_prefetched_message_expunged_meanwhile_is_not_served() {
    let s = Server::start().await;
    let u = s.user("kate", "pw").await;
    for i in 0..3 {
        s.deliver(&u, &message(i, 400)).await;
    }
    let inbox = s.mailbox(&u, "INBOX").await;
    let uids = s.uids(inbox).await;
    let mut c = s.client().await;
    assert!(c.login("kate", "pw").await.starts_with("+OK"));
    assert!(c.cmd("RETR 1").await.starts_with("+OK"));
    c.body().await;
    // RETR 1 started reading message 2 ahead; IMAP expunges it now.
    s.store
        .expunge(inbox, Some(&uids[1..2]), false)
        .await
        .unwrap();
    assert_eq!(
        c.cmd("RETR 2").await,
        "-ERR message was removed by another session"
    );
    assert!(c.cmd("RETR 3").await.starts_with("+OK"));
    assert_eq!(c.body().await, message(2, 400));
}

#[tokio::test]
async fn idle_timeout_and_shutdown_end_sessions_without_update() {
    let s = Server::start_with(|c| c.pop3.idle_timeout_secs = 1).await;
    let u = s.user("jack", "pw").await;
    s.deliver(&u, &message(0, 300)).await;
    let mut c = s.client().await;
    assert!(c.login("jack", "pw").await.starts_with("+OK"));
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert_eq!(c.line().await, "-ERR autologout: idle for too long");
    assert!(c.closed().await);
    let inbox = s.mailbox(&u, "INBOX").await;
    assert_eq!(s.uids(inbox).await.len(), 1);
    let mut c = s.client().await;
    assert!(
        c.login("jack", "pw").await.starts_with("+OK"),
        "lock released"
    );
    s.shutdown.cancel();
    assert_eq!(c.line().await, "-ERR [SYS/TEMP] server shutting down");
    tokio::time::timeout(Duration::from_secs(5), s.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
