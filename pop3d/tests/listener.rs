//! The shared listener's limits as POP3 applies them (`[pop3] max_connections_per_address`,
//! `pre_login_timeout_secs`, `trusted_proxies`), over raw TCP.

#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use eider_tests::raw_client::{connect_from, line, trickle_until_closed};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn per_address_limit_refuses_with_sys_temp_other_addresses_served() {
    let s = Server::start_with(|c| c.pop3.max_connections_per_address = 2).await;
    let mut a = connect_from("127.0.0.1", s.addr).await;
    let mut b = connect_from("127.0.0.1", s.addr).await;
    assert!(line(&mut a).await.starts_with("+OK"));
    assert!(line(&mut b).await.starts_with("+OK"));
    let mut c = connect_from("127.0.0.1", s.addr).await;
    assert!(line(&mut c).await.starts_with("-ERR [SYS/TEMP]"));
    assert_eq!(line(&mut c).await, "");
    let mut other = connect_from("127.0.0.2", s.addr).await;
    assert!(line(&mut other).await.starts_with("+OK"));
}

#[tokio::test]
async fn pre_login_deadline_is_not_extended_by_trickling() {
    let s = Server::start_with(|c| c.pop3.pre_login_timeout_secs = 1).await;
    let u = s.user("alice@example.org", "secret").await;
    drop(u);
    let mut c = connect_from("127.0.0.1", s.addr).await;
    let started = Instant::now();
    assert!(line(&mut c).await.starts_with("+OK"));
    let closed = trickle_until_closed(&mut c, started).await;
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_millis(2500), "{closed:?}");
    // After login the deadline no longer applies.
    let mut c = s.client().await;
    assert!(
        c.login("alice@example.org", "secret")
            .await
            .starts_with("+OK")
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(c.cmd("STAT").await.starts_with("+OK"));
}

#[tokio::test]
async fn proxy_header_honoured_only_from_trusted_proxies() {
    let s = Server::start_with(|c| {
        c.pop3.max_connections_per_address = 1;
        c.pop3.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let header = b"PROXY TCP4 192.0.2.9 127.0.0.1 5555 110\r\n";
    let mut a = connect_from("127.0.0.1", s.addr).await;
    a.get_mut().write_all(header).await.unwrap();
    assert!(line(&mut a).await.starts_with("+OK"));
    // The limit counts 192.0.2.9 (from the header), not the proxy.
    let mut b = connect_from("127.0.0.1", s.addr).await;
    b.get_mut().write_all(header).await.unwrap();
    assert!(line(&mut b).await.starts_with("-ERR [SYS/TEMP]"));
    let mut other = connect_from("127.0.0.1", s.addr).await;
    other
        .get_mut()
        .write_all(b"PROXY TCP4 192.0.2.10 127.0.0.1 5555 110\r\n")
        .await
        .unwrap();
    assert!(line(&mut other).await.starts_with("+OK"));
    // From an untrusted address the header is just a bad command.
    let mut untrusted = connect_from("127.0.0.2", s.addr).await;
    assert!(line(&mut untrusted).await.starts_with("+OK"));
    untrusted.get_mut().write_all(header).await.unwrap();
    assert!(line(&mut untrusted).await.starts_with("-ERR"));
}
