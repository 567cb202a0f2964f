//! The shared listener's limits as IMAP applies them (per-address limit with `* BYE`, the
//! absolute pre-login deadline, PROXY headers only from trusted proxies), over raw TCP.

#![allow(clippy::unwrap_used)]

mod common;

use common::World;
use common::client::Client;
use eider_imapd::Options;
use eider_tests::raw_client::{connect_from, line, trickle_until_closed};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread")]
async fn per_address_limit_says_bye_other_addresses_served() {
    let w = World::start_opts(Options {
        max_connections_per_address: Some(2),
        ..Options::default()
    })
    .await;
    let mut a = connect_from("127.0.0.1", w.addr).await;
    let mut b = connect_from("127.0.0.1", w.addr).await;
    assert!(line(&mut a).await.starts_with("* OK"));
    assert!(line(&mut b).await.starts_with("* OK"));
    let mut c = connect_from("127.0.0.1", w.addr).await;
    assert!(
        line(&mut c)
            .await
            .starts_with("* BYE [UNAVAILABLE] Too many connections")
    );
    let mut other = connect_from("127.0.0.2", w.addr).await;
    assert!(line(&mut other).await.starts_with("* OK"));
}

#[tokio::test(flavor = "multi_thread")]
async fn trickling_does_not_extend_the_pre_login_deadline() {
    let w = World::start_opts(Options {
        pre_login_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut c = connect_from("127.0.0.1", w.addr).await;
    let started = Instant::now();
    assert!(line(&mut c).await.starts_with("* OK"));
    let closed = trickle_until_closed(&mut c, started).await;
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_millis(2500), "{closed:?}");
    // Logged in, the connection outlives the deadline.
    let mut c = Client::login(w.addr).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.cmd("n", "NOOP").await, ["n OK NOOP completed"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_header_honoured_only_from_trusted_proxies() {
    let w = World::start_opts(Options {
        max_connections_per_address: Some(1),
        trusted_proxies: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
    let header = b"PROXY TCP6 2001:db8::9 ::1 5555 143\r\n";
    let mut a = connect_from("127.0.0.1", w.addr).await;
    a.get_mut().write_all(header).await.unwrap();
    assert!(line(&mut a).await.starts_with("* OK"));
    // Same /64 behind the proxy: over the limit of 1.
    let mut b = connect_from("127.0.0.1", w.addr).await;
    b.get_mut()
        .write_all(b"PROXY TCP6 2001:db8::77 ::1 5556 143\r\n")
        .await
        .unwrap();
    assert!(line(&mut b).await.starts_with("* BYE [UNAVAILABLE]"));
    // From an untrusted address the header is a bad command, and the limit counts 127.0.0.2.
    let mut c = connect_from("127.0.0.2", w.addr).await;
    assert!(line(&mut c).await.starts_with("* OK"));
    c.get_mut().write_all(header).await.unwrap();
    assert!(line(&mut c).await.contains("BAD"));
}
