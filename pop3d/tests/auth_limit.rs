//! Authentication-failure throttling (`[auth] max_failures_per_user` / `_per_ip`) in POP3:
//! after N failures USER/PASS and AUTH PLAIN are refused `-ERR [SYS/TEMP]` even with the right
//! password; other users and addresses are unaffected; the window ends. (Sharing the count
//! across processes through Redis is the counters' job, tested in `imapd/tests/auth_limit.rs`
//! and `tests/tests/redis.rs`.)

#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, Server};
use std::time::Duration;
use tokio::io::BufReader;

/// `\0erin\0pw`.
const PLAIN_OK: &str = "AGVyaW4AcHc=";

async fn server(per_user: u32, per_ip: u32, window_secs: u64) -> Server {
    Server::start_with(move |c| {
        c.auth.max_failures_per_user = per_user;
        c.auth.max_failures_per_ip = per_ip;
        c.auth.failure_window_secs = window_secs;
        c.auth.failure_delay_ms = 0;
    })
    .await
}

/// A client connecting from `127.0.0.2` (another address on the loopback network).
async fn client_from_elsewhere(s: &Server) -> Client {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 2], 0).into()).unwrap();
    let mut c = Client {
        r: BufReader::new(socket.connect(s.addr).await.unwrap()),
    };
    assert!(c.line().await.starts_with("+OK"));
    c
}

#[tokio::test]
async fn user_over_the_limit_is_refused_even_with_the_right_password() {
    let s = server(3, 0, 2).await;
    s.user("erin", "pw").await;
    s.user("frank", "pw2").await;
    for _ in 0..3 {
        let mut c = s.client().await;
        assert_eq!(
            c.login("erin", "wrong").await,
            "-ERR [AUTH] invalid credentials"
        );
    }
    let mut c = s.client().await;
    let r = c.login("erin", "pw").await;
    assert!(
        r.starts_with("-ERR [SYS/TEMP]") && r.contains("try again later"),
        "{r}"
    );
    let r = c.cmd(&format!("AUTH PLAIN {PLAIN_OK}")).await;
    assert!(r.starts_with("-ERR [SYS/TEMP]"), "AUTH too: {r}");
    let mut other = s.client().await;
    assert!(
        other.login("frank", "pw2").await.starts_with("+OK"),
        "another user"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let r = c.cmd(&format!("AUTH PLAIN {PLAIN_OK}")).await;
    assert!(r.starts_with("+OK"), "window over: {r}");
}

#[tokio::test]
async fn address_over_the_limit_is_refused_other_addresses_are_not() {
    let s = server(0, 2, 60).await;
    s.user("erin", "pw").await;
    for name in ["x1", "x2"] {
        let mut c = s.client().await;
        assert_eq!(
            c.login(name, "guess").await,
            "-ERR [AUTH] invalid credentials"
        );
    }
    let mut c = s.client().await;
    assert!(c.login("erin", "pw").await.starts_with("-ERR [SYS/TEMP]"));
    let mut c = client_from_elsewhere(&s).await;
    assert!(
        c.login("erin", "pw").await.starts_with("+OK"),
        "another address"
    );
}
