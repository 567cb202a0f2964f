//! Robustness over a raw socket: the bad-command limit, shutdown, and random garbage.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn too_many_bad_commands_end_the_connection() {
    let w = World::start().await;
    let (mut c, _) = Client::connect(w.addr).await;
    let mut bye = false;
    for i in 0..25 {
        c.send(format!("t{i} FROBNICATE\r\n").as_bytes()).await;
        match c.response().await {
            Some(r) if r.starts_with(b"* BYE") => {
                bye = true;
                break;
            }
            Some(r) => {
                let s = String::from_utf8_lossy(&r);
                assert!(s.starts_with(&format!("t{i} BAD")), "{s}");
                if i == 19 {
                    let r = c.response().await.unwrap();
                    assert!(r.starts_with(b"* BYE"), "{}", String::from_utf8_lossy(&r));
                    bye = true;
                    break;
                }
            }
            None => panic!("closed without BYE"),
        }
    }
    assert!(bye);
    assert!(c.response().await.is_none(), "connection still open");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_says_bye() {
    let w = World::start().await;
    let mut c = Client::login(w.addr).await;
    w.shutdown.cancel();
    let r = c.response().await.expect("BYE");
    assert!(r.starts_with(b"* BYE"), "{}", String::from_utf8_lossy(&r));
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_never_takes_the_server_down() {
    let w = World::start_opts(eider_imapd::Options {
        max_errors: 1000,
        ..eider_imapd::Options::default()
    })
    .await;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pieces: [&[u8]; 12] = [
        b"a ",
        b"FETCH ",
        b"1:* ",
        b"(",
        b")",
        b"{5}\r\n",
        b"{3+}\r\n",
        b"\r\n",
        b"\"",
        b"BODY[",
        b"UID ",
        b"LOGIN ",
    ];
    for round in 0..4 {
        let mut c = if round % 2 == 0 {
            Client::connect(w.addr).await.0
        } else {
            Client::login(w.addr).await
        };
        let mut junk = Vec::new();
        for _ in 0..400 {
            let r = next();
            if r % 3 == 0 {
                junk.push((r >> 8) as u8);
            } else {
                junk.extend_from_slice(pieces[(r >> 16) as usize % pieces.len()]);
            }
        }
        junk.extend_from_slice(b"\r\n\r\n");
        c.send(&junk).await;
        // Whatever happened, the server still answers a new connection.
        let mut fresh = Client::login(w.addr).await;
        let r = fresh.cmd("n", "NOOP").await;
        assert_eq!(r, ["n OK NOOP completed"], "round {round}");
    }
}

/// A message whose Subject is `len` bytes of `a`, folded into 900-byte lines.
fn long_subject_message(len: usize) -> Vec<u8> {
    let mut subject = String::new();
    for start in (0..len).step_by(900) {
        if start > 0 {
            subject.push_str("\r\n ");
        }
        subject.push_str(&"a".repeat(900.min(len - start)));
    }
    format!("From: b@example.org\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\r\nbody\r\n")
        .into_bytes()
}

/// Sends `tag SEARCH SUBJECT {n+}` with `needle` as a non-synchronizing literal.
async fn search_subject(c: &mut Client, tag: &str, needle: &[u8]) -> (Vec<String>, Duration) {
    let started = Instant::now();
    let mut cmd = format!("{tag} SEARCH SUBJECT {{{}+}}\r\n", needle.len()).into_bytes();
    cmd.extend_from_slice(needle);
    cmd.extend_from_slice(b"\r\n");
    c.send(&cmd).await;
    let r = c.until(tag).await;
    (r, started.elapsed())
}

/// Issue #14: SUBJECT with a needle that matches a long prefix at every offset of a 200 KB
/// Subject was quadratic on an async worker. Now: a needle at the cap is matched in linear time,
/// one over the cap is refused with `NO [LIMIT]`, and another client's NOOP answers meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_search_strings_are_linear_and_bounded() {
    let w = World::start().await;
    for _ in 0..4 {
        w.deliver("INBOX", &long_subject_message(200_000)).await;
    }
    let mut attacker = Client::login(w.addr).await;
    attacker.cmd("s", "SELECT INBOX").await;
    let mut other = Client::login(w.addr).await;

    // At the cap (1 KiB): `aaa…ab` compares ~1 KiB at each of 200 K offsets when done naively.
    let mut needle = vec![b'a'; 1023];
    needle.push(b'b');
    let attack = async {
        let mut total = Duration::ZERO;
        for i in 0..2 {
            let (r, took) = search_subject(&mut attacker, &format!("a{i}"), &needle).await;
            assert_eq!(
                r.last().map(String::as_str),
                Some(&*format!("a{i} OK SEARCH completed"))
            );
            assert!(r.iter().any(|l| l == "* SEARCH"), "{r:?}");
            total += took;
        }
        total
    };
    let noop = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        let r = other.cmd("n", "NOOP").await;
        assert!(r.last().unwrap().starts_with("n OK"), "{r:?}");
        started.elapsed()
    };
    let (searching, noop) = tokio::join!(attack, noop);
    assert!(
        searching < Duration::from_secs(2),
        "two searches took {searching:?}"
    );
    assert!(noop < Duration::from_millis(500), "NOOP took {noop:?}");

    // Over the cap: refused before any message is looked at.
    let (r, took) = search_subject(&mut attacker, "b", &vec![b'a'; 16 * 1024]).await;
    let last = r.last().unwrap();
    assert!(last.starts_with("b NO [LIMIT]"), "{r:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}
