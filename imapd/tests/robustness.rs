//! Robustness over a raw socket: the bad-command limit, shutdown, and random garbage.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;

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
