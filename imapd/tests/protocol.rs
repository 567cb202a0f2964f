//! Raw-socket protocol tests: greeting, pipelining, login rules and limits, APPEND edge cases
//! (dropped connection, TOOBIG, OVERQUOTA, TRYCREATE, a large message streamed both ways),
//! CONDSTORE, LIST hierarchy, shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::client::{Client, literal_of};
use common::{PASS, USER, World};
use eider_model::UserUpdate;
use eider_model::types::Uid;
use std::time::Duration;

fn last(r: &[String]) -> &str {
    r.last().map(String::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn greeting_and_pipelining() {
    let w = World::start().await;
    let (mut c, greeting) = Client::connect(w.addr).await;
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4rev1"),
        "{greeting}"
    );
    assert!(greeting.contains("AUTH=PLAIN"), "{greeting}");
    // Several commands in one write are all answered, in order.
    c.send(
        format!("a LOGIN {USER} {PASS}\r\nb SELECT INBOX\r\nc NOOP\r\nd LIST \"\" INBOX\r\n")
            .as_bytes(),
    )
    .await;
    let mut all = c.until("a").await;
    all.extend(c.until("b").await);
    all.extend(c.until("c").await);
    all.extend(c.until("d").await);
    let tagged: Vec<&String> = all.iter().filter(|l| !l.starts_with('*')).collect();
    assert_eq!(tagged.len(), 4, "{all:?}");
    assert!(tagged.iter().all(|l| l.contains(" OK")), "{all:?}");
    assert!(all.iter().any(|l| l == "* 0 EXISTS"), "{all:?}");
    assert!(all.iter().any(|l| l.contains("[READ-WRITE]")), "{all:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_failures_and_disabled_users() {
    let w = World::start().await;
    let (mut c, _) = Client::connect(w.addr).await;
    let r = c.cmd("a", &format!("LOGIN {USER} wrong")).await;
    assert!(last(&r).starts_with("a NO [AUTHENTICATIONFAILED]"), "{r:?}");
    let r = c.cmd("b", "LOGIN nobody whatever").await;
    assert!(last(&r).starts_with("b NO [AUTHENTICATIONFAILED]"), "{r:?}");
    // Commands that need a login are refused before it.
    let r = c.cmd("c", "SELECT INBOX").await;
    assert!(last(&r).starts_with("c BAD"), "{r:?}");
    w.store
        .update_user(
            w.user.id,
            UserUpdate {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = c.cmd("d", &format!("LOGIN {USER} {PASS}")).await;
    assert!(last(&r).starts_with("d NO [AUTHENTICATIONFAILED]"), "{r:?}");
    // AUTHENTICATE PLAIN with SASL-IR after re-enabling.
    w.store
        .update_user(
            w.user.id,
            UserUpdate {
                disabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    use base64::Engine;
    let ir = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASS}"));
    let r = c.cmd("e", &format!("AUTHENTICATE PLAIN {ir}")).await;
    assert!(last(&r).starts_with("e OK"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn per_user_connection_limit() {
    let w = World::start_with(|c| c.limits.imap_connections_per_user = 2).await;
    let _a = Client::login(w.addr).await;
    let _b = Client::login(w.addr).await;
    let (mut c, _) = Client::connect(w.addr).await;
    let r = c.cmd("x", &format!("LOGIN {USER} {PASS}")).await;
    assert!(last(&r).starts_with("x NO [LIMIT]"), "{r:?}");
    drop(_a);
    // The slot is released when the connection ends.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = c.cmd("y", &format!("LOGIN {USER} {PASS}")).await;
    assert!(last(&r).starts_with("y OK"), "{r:?}");
}

async fn message_count(w: &World, path: &str) -> usize {
    let id = w.mailbox(path).await;
    w.store
        .list_messages(id, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connection_mid_append_stores_nothing() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    c.send(b"a APPEND INBOX {100000}\r\n").await;
    let r = c.response().await.unwrap();
    assert!(r.starts_with(b"+ "), "{}", String::from_utf8_lossy(&r));
    c.send(&vec![b'x'; 50_000]).await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(message_count(&w, "INBOX").await, 0);
    // A non-synchronising literal cut short the same way.
    let mut c = Client::login(w.addr).await;
    c.send(b"b APPEND INBOX {1000+}\r\nSubject: x\r\n\r\n")
        .await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(message_count(&w, "INBOX").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn append_refusals() {
    let w = World::start_with(|c| c.limits.max_message_size = 1000).await;
    let mut c = Client::login(w.addr).await;
    let r = c.cmd("a", "APPEND INBOX {2000}").await;
    assert!(last(&r).starts_with("a NO [TOOBIG]"), "{r:?}");
    // The refused literal is never sent; the connection carries on.
    let r = c.cmd("b", "APPEND Missing {5}").await;
    assert!(last(&r).starts_with("b NO [TRYCREATE]"), "{r:?}");
    let r = c.cmd("c", "NOOP").await;
    assert!(last(&r).starts_with("c OK"), "{r:?}");
    // Over quota.
    w.store
        .update_user(
            w.user.id,
            UserUpdate {
                quota: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let msg = common::sample_message(1);
    c.send(format!("d APPEND INBOX {{{}+}}\r\n", msg.len()).as_bytes())
        .await;
    c.send(&msg).await;
    c.send(b"\r\n").await;
    let r = c.until("d").await;
    assert!(last(&r).starts_with("d NO [OVERQUOTA]"), "{r:?}");
    // A user's own size limit is below the global APPENDLIMIT.
    w.store
        .update_user(
            w.user.id,
            UserUpdate {
                quota: Some(0),
                limits: Some(eider_model::UserLimits {
                    max_message_size: Some(50),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut c2 = Client::login(w.addr).await;
    let r = c2.cmd("u", "APPEND INBOX {60}").await;
    assert!(last(&r).starts_with("u NO [TOOBIG]"), "{r:?}");
    w.store
        .update_user(
            w.user.id,
            UserUpdate {
                quota: Some(100),
                limits: Some(Default::default()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = c.cmd("e", "GETQUOTAROOT INBOX").await;
    assert!(r.iter().any(|l| l == "* QUOTAROOT INBOX \"\""), "{r:?}");
    assert!(
        r.iter()
            .any(|l| l.starts_with("* QUOTA \"\" (STORAGE 0 0)")),
        "{r:?}"
    );
    assert_eq!(message_count(&w, "INBOX").await, 0);
}

/// A message with a large base64 attachment, so most of it is stored as a decoded blob.
fn large_message(mib: usize) -> Vec<u8> {
    use base64::Engine;
    let mut data = Vec::with_capacity(mib << 20);
    let mut x: u32 = 12345;
    while data.len() < mib << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        data.push((x >> 16) as u8);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut m = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    for line in b64.as_bytes().chunks(76) {
        m.extend_from_slice(line);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--XX--\r\n");
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn large_append_and_fetch_are_byte_exact() {
    let w = World::start().await;
    let msg = large_message(6);
    let mut c = Client::login(w.addr).await;
    c.send(format!("a APPEND INBOX (\\Seen) {{{}}}\r\n", msg.len()).as_bytes())
        .await;
    let r = c.response().await.unwrap();
    assert!(r.starts_with(b"+ "));
    c.send(&msg).await;
    c.send(b"\r\n").await;
    let r = c.until("a").await;
    assert!(last(&r).starts_with("a OK [APPENDUID "), "{r:?}");
    let r = c.cmd("b", "SELECT INBOX").await;
    assert!(last(&r).starts_with("b OK"), "{r:?}");
    c.send(b"c FETCH 1 (RFC822.SIZE BODY.PEEK[])\r\n").await;
    let r = c.until_raw("c").await;
    let fetch = &r[0];
    assert!(
        String::from_utf8_lossy(&fetch[..60]).contains(&format!("RFC822.SIZE {}", msg.len())),
        "{}",
        String::from_utf8_lossy(&fetch[..60])
    );
    assert!(
        literal_of(fetch) == msg,
        "BODY[] differs from what was appended"
    );
    // A partial from the middle of the attachment.
    c.send(b"d FETCH 1 (BODY.PEEK[]<3000000.1000>)\r\n").await;
    let r = c.until_raw("d").await;
    assert!(
        literal_of(&r[0]) == msg[3_000_000..3_001_000],
        "partial differs"
    );
    c.send(b"e FETCH 1 (BODY.PEEK[2])\r\n").await;
    let r = c.until_raw("e").await;
    let part = literal_of(&r[0]);
    let start = msg.windows(8).position(|w| w == b"base64\r\n").unwrap() + 10;
    // The part ends before the CRLF that precedes the closing boundary (RFC 2046 §5.1.1).
    let want = &msg[start..msg.len() - 10];
    assert!(
        part == want,
        "BODY[2]: {} bytes, want {}",
        part.len(),
        want.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn condstore_unchangedsince_reports_modified() {
    let w = World::start().await;
    w.deliver("INBOX", &common::sample_message(1)).await;
    w.deliver("INBOX", &common::sample_message(2)).await;
    let mut c = Client::login(w.addr).await;
    let r = c.cmd("a", "SELECT INBOX (CONDSTORE)").await;
    let hms = r
        .iter()
        .find_map(|l| l.split("[HIGHESTMODSEQ ").nth(1))
        .and_then(|s| s.split(']').next())
        .and_then(|s| s.parse::<u64>().ok())
        .expect("HIGHESTMODSEQ");
    let r = c.cmd("b", "STORE 1 +FLAGS (\\Flagged)").await;
    assert!(r.iter().any(|l| l.contains("MODSEQ (")), "{r:?}");
    let r = c
        .cmd(
            "c",
            &format!("STORE 1:2 (UNCHANGEDSINCE {hms}) +FLAGS (\\Seen)"),
        )
        .await;
    assert!(last(&r).starts_with("c OK [MODIFIED 1]"), "{r:?}");
    assert!(
        r.iter().any(|l| l.starts_with("* 2 FETCH (FLAGS (\\Seen")),
        "{r:?}"
    );
    let r = c
        .cmd("d", &format!("FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})"))
        .await;
    assert_eq!(r.iter().filter(|l| l.starts_with("* ")).count(), 2, "{r:?}");
    let r = c
        .cmd("e", "STATUS INBOX (HIGHESTMODSEQ MESSAGES UNSEEN)")
        .await;
    assert!(
        r[0].contains("MESSAGES 2") && r[0].contains("UNSEEN 1"),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authenticate_plain_with_a_continuation() {
    use base64::Engine;
    let w = World::start().await;
    let (mut c, _) = Client::connect(w.addr).await;
    c.send(b"a AUTHENTICATE PLAIN\r\n").await;
    let r = c.response().await.unwrap();
    assert_eq!(r, b"+ \r\n");
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASS}"));
    c.send(format!("{creds}\r\n").as_bytes()).await;
    let r = c.until("a").await;
    assert!(last(&r).starts_with("a OK [CAPABILITY "), "{r:?}");
    // Cancelled exchange.
    let (mut c, _) = Client::connect(w.addr).await;
    c.send(b"b AUTHENTICATE PLAIN\r\n").await;
    let _ = c.response().await;
    c.send(b"*\r\n").await;
    let r = c.until("b").await;
    assert!(last(&r).starts_with("b BAD"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn utf8_accept_append_and_silent_condstore_store() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    let r = c.cmd("a", "ENABLE UTF8=ACCEPT CONDSTORE").await;
    assert_eq!(r[0], "* ENABLED UTF8=ACCEPT CONDSTORE", "{r:?}");
    let msg = "From: Jürgen <j@exämple.org>\r\nSubject: Grüße\r\n\r\nHallo\r\n".as_bytes();
    c.send(format!("b APPEND INBOX UTF8 (~{{{}+}}\r\n", msg.len()).as_bytes())
        .await;
    c.send(msg).await;
    c.send(b")\r\n").await;
    let r = c.until("b").await;
    assert!(last(&r).starts_with("b OK [APPENDUID "), "{r:?}");
    c.cmd("s", "SELECT INBOX").await;
    c.send(b"f FETCH 1 (BODY.PEEK[] ENVELOPE)\r\n").await;
    let r = c.until_raw("f").await;
    assert!(literal_of(&r[0]) == msg);
    let text = String::from_utf8_lossy(&r[0]).into_owned();
    assert!(text.contains("\"Grüße\""), "{text}");
    // .SILENT under CONDSTORE still reports the new modseq, without flags.
    let r = c.cmd("g", "STORE 1 +FLAGS.SILENT (\\Seen)").await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r[0].starts_with("* 1 FETCH (MODSEQ (") && !r[0].contains("FLAGS"),
        "{r:?}"
    );
}
